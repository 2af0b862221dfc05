"""CreateExportTask writes a log group's events to S3 as AWS does."""

from __future__ import annotations

import gzip

import pytest
from botocore.exceptions import ClientError

from test_logs import virtual_now_ms


def test_export_task_writes_gzip_objects_per_stream(server, unique):
    logs, s3 = server.client("logs"), server.client("s3")
    s3.create_bucket(Bucket=unique)
    logs.create_log_group(logGroupName=unique)
    now = virtual_now_ms(server)
    for stream in ("app-1", "app-2", "other"):
        logs.create_log_stream(logGroupName=unique, logStreamName=stream)
        logs.put_log_events(logGroupName=unique, logStreamName=stream,
                            logEvents=[{"timestamp": now + i, "message": f"{stream} line {i}"} for i in range(3)])
    task_id = logs.create_export_task(taskName="nightly", logGroupName=unique, logStreamNamePrefix="app",
                                      to=now + 1, **{"from": now}, destination=unique,
                                      destinationPrefix="exports")["taskId"]
    task = logs.describe_export_tasks(taskId=task_id)["exportTasks"][0]
    assert task["status"]["code"] == "COMPLETED" and task["taskName"] == "nightly"
    assert task["destination"] == unique and task["destinationPrefix"] == "exports"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=unique)["Contents"]}
    assert keys == {"exports/aws-logs-write-test", f"exports/{task_id}/app-1/000000.gz",
                    f"exports/{task_id}/app-2/000000.gz"}
    body = gzip.decompress(s3.get_object(Bucket=unique, Key=f"exports/{task_id}/app-1/000000.gz")["Body"].read())
    lines = body.decode().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["app-1 line 0", "app-1 line 1"]
    assert lines[0].split(" ", 1)[0].endswith("Z") and "T" in lines[0]
    with pytest.raises(ClientError) as exc:
        logs.cancel_export_task(taskId=task_id)
    assert exc.value.response["Error"]["Code"] == "InvalidOperationException"


def test_export_to_a_missing_bucket_is_refused(server, unique):
    logs = server.client("logs")
    logs.create_log_group(logGroupName=unique)
    with pytest.raises(ClientError) as exc:
        logs.create_export_task(logGroupName=unique, to=1, **{"from": 0}, destination=f"{unique}-none")
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
