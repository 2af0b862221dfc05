"""Export tasks: a log group's events of a time range written to an S3 bucket, as AWS writes them
(`<prefix>/<task id>/<stream>/000000.gz`, gzip'd lines "<ISO time> <message>", and an
`aws-logs-write-test` object at the prefix). Tasks run to completion at CreateExportTask."""

from __future__ import annotations

import gzip
import uuid
from datetime import datetime, timezone

from pocketcloud.protocol.errors import ServiceError

from .common import invalid, listed, load_group, not_found, now_ms
from .events import stream_events

KIND = "export-task"
WRITE_TEST = b"Permission Check Successful"


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def _put(ctx, bucket: str, key: str, body: bytes) -> None:
    from pocketcloud.protocol.http import BodyStream

    await ctx.runtime.providers.call("s3", "PutObject", {
        "Bucket": bucket, "Key": key, "Body": BodyStream.from_bytes(body), "ContentLength": len(body)},
        ctx.account, ctx.region)


async def create_export_task(ctx, params: dict) -> dict:
    group_name = params["logGroupName"]
    group = load_group(ctx, group_name)
    start, end = params["from"], params["to"]
    if end < start:
        raise invalid("The 'to' time must not be before the 'from' time.")
    bucket = params["destination"]
    prefix = (params.get("destinationPrefix") or "exportedlogs").strip("/")
    task_id = str(uuid.uuid4())
    try:
        await _put(ctx, bucket, f"{prefix}/aws-logs-write-test", WRITE_TEST)
    except LookupError:
        raise ServiceError("InvalidOperationException", "S3 is not available in this pocketcloud.", 400) from None
    except ServiceError as exc:
        if exc.code == "NoSuchBucket":
            raise invalid("The specified bucket does not exist.") from None
        raise invalid(f"GetBucketAcl call on the given bucket failed. Please check if CloudWatch Logs has been "
                      f"granted permission to perform this operation. ({exc.code})") from None
    task = {"taskId": task_id, "logGroupName": group_name, "from": start, "to": end, "destination": bucket,
            "destinationPrefix": prefix, "status": {"code": "COMPLETED", "message": "Completed successfully"},
            "executionInfo": {"creationTime": now_ms(ctx)}}
    if params.get("taskName"):
        task["taskName"] = params["taskName"]
    stream_prefix = params.get("logStreamNamePrefix") or ""
    try:
        for _, stream in ctx.namespace("logs").list("stream", f"{group_name}:{stream_prefix}"):
            name = stream["logStreamName"]
            rows = stream_events(ctx, group, name, start, end + 1)
            if rows:
                text = "".join(f"{_iso(r[1])} {r[3]}\n" for r in rows).encode()
                await _put(ctx, bucket, f"{prefix}/{task_id}/{name}/000000.gz", gzip.compress(text))
    except ServiceError as exc:
        task["status"] = {"code": "FAILED", "message": exc.message or exc.code}
    task["executionInfo"]["completionTime"] = now_ms(ctx)
    ctx.namespace("logs").put(KIND, task_id, task)
    return {"taskId": task_id}


def describe_export_tasks(ctx, params: dict) -> dict:
    tasks = [t for _, t in ctx.namespace("logs").list(KIND)]
    if params.get("taskId"):
        tasks = [t for t in tasks if t["taskId"] == params["taskId"]]
    if params.get("statusCode"):
        tasks = [t for t in tasks if t["status"]["code"] == params["statusCode"]]
    tasks.sort(key=lambda t: t["executionInfo"]["creationTime"], reverse=True)
    return listed("exportTasks", tasks, params)


def cancel_export_task(ctx, params: dict) -> dict:
    task = ctx.namespace("logs").get(KIND, params["taskId"])
    if task is None:
        raise not_found("The specified export task does not exist.")
    raise ServiceError("InvalidOperationException", "The specified export task has already finished.", 400)
