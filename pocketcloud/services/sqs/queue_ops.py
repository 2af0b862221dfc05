"""Queue operations: create, find, list, delete, attributes, tags, permissions, purge."""

from __future__ import annotations

import base64
import json
import re
import uuid

from pocketcloud.protocol.errors import ServiceError

from . import attributes as attrs
from .queue import Queue
from .registry import no_such_queue
from .urls import endpoint_of, queue_url, split_arn

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_FIFO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,75}\.fifo$")
_TAG_KEY_LIMIT, _TAG_VALUE_LIMIT, _MAX_TAGS = 128, 256, 50
DELETE_COOLDOWN = 60.0
PURGE_COOLDOWN = 60.0


def invalid_parameter(name: str, value, reason: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", f"Value {value} for parameter {name} is invalid. Reason: {reason}")


def url_of(ctx, queue: Queue) -> str:
    return queue_url(queue.account, queue.region, queue.name, endpoint_of(ctx.request if ctx.protocol != "internal"
                                                                          else None))


def _check_tags(tags: dict) -> None:
    if len(tags) > _MAX_TAGS:
        raise ServiceError("InvalidParameterValue", f"Too many tags added for queue. Max allowed: {_MAX_TAGS}.")
    for key, value in tags.items():
        if not key or len(key) > _TAG_KEY_LIMIT or key.lower().startswith("aws:"):
            raise ServiceError("InvalidParameterValue", f"Tag key {key!r} is not valid.")
        if len(value) > _TAG_VALUE_LIMIT:
            raise ServiceError("InvalidParameterValue", f"Tag value for key {key!r} is too long.")


def check_redrive_target(sqs, queue_arn: str, fifo: bool, policy_text: str) -> None:
    """A RedrivePolicy must name an existing queue of the same type that accepts this source."""
    target, _ = attrs.parse_redrive_policy(policy_text)
    dlq = sqs.registry.by_arn(target)
    if dlq is None:
        raise invalid_parameter("RedrivePolicy", policy_text, "Dead-letter target does not exist.")
    if dlq.fifo != fifo:
        raise invalid_parameter("RedrivePolicy", policy_text,
                                "Dead-letter queue must be same type of queue as the source.")
    if dlq.arn == queue_arn:
        raise invalid_parameter("RedrivePolicy", policy_text, "Dead-letter target can't be the queue itself.")
    if not attrs.allows_source(dlq.attributes, queue_arn):
        raise invalid_parameter("RedrivePolicy", policy_text,
                                f"Queue {queue_arn} is not allowed to use {target} as its dead-letter queue.")


def create_queue(sqs, ctx, params: dict) -> dict:
    name = params["QueueName"]
    given = dict(params.get("Attributes") or {})
    fifo = given.get("FifoQueue", "").lower() == "true"
    if fifo and not _FIFO_NAME.match(name):
        raise ServiceError("InvalidParameterValue",
                           "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores,"
                           " must end with .fifo suffix and be 1 to 80 in length.")
    if not fifo and not _NAME.match(name):
        raise ServiceError("InvalidParameterValue",
                           "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
    checked = attrs.check(given, fifo, creating=True)
    tags = dict(params.get("tags") or {})
    _check_tags(tags)
    now = sqs.clock.time()
    registry = sqs.registry
    store = sqs.runtime.store
    with store.transaction():
        existing = registry.find(ctx.account, ctx.region, name)
        if existing is not None:
            for key, value in checked.items():
                if existing.attributes.get(key, attrs.DEFAULTS.get(key)) != value:
                    raise ServiceError("QueueNameExists",
                                       f"A queue already exists with the same name and a different value for "
                                       f"attribute {key}")
            return {"QueueUrl": url_of(ctx, existing)}
        ns = registry.namespace(ctx.account, ctx.region)
        tombstone = ns.get("deleted-queue", name)
        if tombstone is not None and now - tombstone < DELETE_COOLDOWN:
            raise ServiceError("QueueDeletedRecently",
                               "You must wait 60 seconds after deleting a queue before you can create another with "
                               "the same name.")
        merged = {**attrs.DEFAULTS, **(attrs.FIFO_DEFAULTS if fifo else {}), **checked}
        _apply_sse(merged, checked)
        if fifo:
            attrs.check_fifo_combination(merged)
        arn = f"arn:aws:sqs:{ctx.region}:{ctx.account}:{name}"
        if merged.get("RedrivePolicy"):
            check_redrive_target(sqs, arn, fifo, merged["RedrivePolicy"])
        record = {"id": uuid.uuid4().hex[:16], "created": int(now), "modified": int(now), "attributes": merged,
                  "tags": tags, "last_purge": None, "last_seq": 0}
        ns.put("queue", name, record)
        queue = Queue(ns, name, record)
        registry.add(queue)
    return {"QueueUrl": url_of(ctx, queue)}


def _apply_sse(merged: dict, given: dict) -> None:
    """SSE-SQS and SSE-KMS exclude each other: naming a KMS key turns SSE-SQS off."""
    if given.get("KmsMasterKeyId"):
        if given.get("SqsManagedSseEnabled") == "true":
            raise attrs.invalid_value("SqsManagedSseEnabled",
                                      "You can use one type of server-side encryption (SSE) at one time.")
        merged["SqsManagedSseEnabled"] = "false"
        merged.setdefault("KmsDataKeyReusePeriodSeconds", "300")
    elif given.get("SqsManagedSseEnabled") == "true":
        merged.pop("KmsMasterKeyId", None)
        merged.pop("KmsDataKeyReusePeriodSeconds", None)


def get_queue_url(sqs, ctx, params: dict) -> dict:
    account = params.get("QueueOwnerAWSAccountId") or ctx.account
    queue = sqs.registry.find(account, ctx.region, params["QueueName"])
    if queue is None:
        raise no_such_queue()
    return {"QueueUrl": url_of(ctx, queue)}


def _page(items: list[str], params: dict, token_key: str = "NextToken") -> tuple[list[str], str | None]:
    """AWS pages only when MaxResults is given; the token is the last name handed out."""
    limit = params.get("MaxResults")
    if limit is not None and not 1 <= limit <= 1000:
        raise invalid_parameter("MaxResults", limit, "MaxResults must be an integer between 1 and 1000.")
    token = params.get(token_key)
    if token:
        try:
            after = base64.urlsafe_b64decode(token.encode()).decode()
        except ValueError:
            raise ServiceError("InvalidParameterValue", "Invalid NextToken value.") from None
        items = [item for item in items if item > after]
    if limit is None:
        return items[:1000], None
    page = items[:limit]
    more = len(items) > limit
    return page, (base64.urlsafe_b64encode(page[-1].encode()).decode() if more else None)


def _urls_answer(ctx, sqs, account, region, names: list[str], params: dict, key: str) -> dict:
    page, token = _page(names, params)
    out: dict = {}
    if page:
        endpoint = endpoint_of(ctx.request if ctx.protocol != "internal" else None)
        out[key] = [queue_url(account, region, name, endpoint) for name in page]
    elif key == "queueUrls":
        out[key] = []  # required in ListDeadLetterSourceQueues' output
    if token:
        out["NextToken"] = token
    return out


def list_queues(sqs, ctx, params: dict) -> dict:
    prefix = params.get("QueueNamePrefix") or ""
    names = [n for n in sqs.registry.names(ctx.account, ctx.region) if n.startswith(prefix)]
    return _urls_answer(ctx, sqs, ctx.account, ctx.region, names, params, "QueueUrls")


def list_dead_letter_source_queues(sqs, ctx, params: dict) -> dict:
    dlq = sqs.queue(ctx, params)
    names = sorted(q.name for q in sqs.registry.all_in(dlq.account, dlq.region)
                   if q.redrive is not None and q.redrive[0] == dlq.arn)
    return _urls_answer(ctx, sqs, dlq.account, dlq.region, names, params, "queueUrls")


def delete_queue(sqs, ctx, params: dict) -> dict:
    queue = sqs.queue(ctx, params)
    with sqs.runtime.store.transaction():
        for kind in ("message", "message-state"):
            for key, _ in queue.ns.list(kind, queue.id + "/"):
                queue.ns.delete(kind, key)
        for key, _ in queue.ns.list("dedup", queue.id + "/"):
            queue.ns.delete("dedup", key)
        queue.ns.delete("queue", queue.name)
        queue.ns.put("deleted-queue", queue.name, sqs.clock.time())
    sqs.registry.drop(queue)
    return {}


def get_queue_attributes(sqs, ctx, params: dict) -> dict:
    queue = sqs.queue(ctx, params)
    wanted = params.get("AttributeNames") or []
    for name in wanted:
        if name != "All" and (name not in attrs.READABLE or (name in attrs.FIFO_ONLY and not queue.fifo)):
            raise ServiceError("InvalidAttributeName", f"Unknown Attribute {name}.")
    if not wanted:
        return {}
    everything = "All" in wanted
    now = sqs.clock.time()
    visible, in_flight, delayed = queue.counts(now)
    computed = {
        "ApproximateNumberOfMessages": str(visible),
        "ApproximateNumberOfMessagesNotVisible": str(in_flight),
        "ApproximateNumberOfMessagesDelayed": str(delayed),
        "CreatedTimestamp": str(queue.record["created"]),
        "LastModifiedTimestamp": str(queue.record["modified"]),
        "QueueArn": queue.arn,
    }
    values = {**queue.attributes, **computed}
    names = list(values) if everything else wanted
    return {"Attributes": {n: values[n] for n in names if n in values}}


def set_queue_attributes(sqs, ctx, params: dict) -> dict:
    queue = sqs.queue(ctx, params)
    given = dict(params.get("Attributes") or {})
    checked = attrs.check(given, queue.fifo, creating=False)
    merged = {**queue.attributes, **checked}
    _apply_sse(merged, checked)
    for name in ("RedrivePolicy", "RedriveAllowPolicy", "Policy", "KmsMasterKeyId"):
        if name in checked and checked[name] == "":
            merged.pop(name, None)  # an empty value removes the attribute
    if queue.fifo:
        attrs.check_fifo_combination(merged)
    if merged.get("RedrivePolicy") and "RedrivePolicy" in checked:
        check_redrive_target(sqs, queue.arn, queue.fifo, merged["RedrivePolicy"])
    queue.record["attributes"] = merged
    queue.record["modified"] = int(sqs.clock.time())
    queue.save_record()
    queue.refresh()
    queue.wake()  # a shorter delay or wait may change what waiting receivers should see
    return {}


def purge_queue(sqs, ctx, params: dict) -> dict:
    queue = sqs.queue(ctx, params)
    now = sqs.clock.time()
    last = queue.record.get("last_purge")
    if last is not None and now - last < PURGE_COOLDOWN:
        raise ServiceError("PurgeQueueInProgress",
                           f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds.", 403)
    with sqs.runtime.store.transaction():
        for message in list(queue.messages.values()):
            queue.remove(message)
        queue.record["last_purge"] = now
        queue.save_record()
    return {}


def tag_queue(sqs, ctx, params: dict) -> dict:
    queue = sqs.queue(ctx, params)
    tags = {**queue.record["tags"], **(params.get("Tags") or {})}
    _check_tags(tags)
    queue.record["tags"] = tags
    queue.save_record()
    return {}


def untag_queue(sqs, ctx, params: dict) -> dict:
    queue = sqs.queue(ctx, params)
    for key in params.get("TagKeys") or []:
        queue.record["tags"].pop(key, None)
    queue.save_record()
    return {}


def list_queue_tags(sqs, ctx, params: dict) -> dict:
    tags = sqs.queue(ctx, params).record["tags"]
    return {"Tags": dict(tags)} if tags else {}


def add_permission(sqs, ctx, params: dict) -> dict:
    queue = sqs.queue(ctx, params)
    label = params["Label"]
    if not re.match(r"^[A-Za-z0-9_-]{1,80}$", label):
        raise invalid_parameter("Label", label, "Can only include alphanumeric characters, hyphens, or "
                                "underscores. 1 to 80 in length")
    accounts, actions = params.get("AWSAccountIds") or [], params.get("Actions") or []
    if not accounts or not actions:
        raise ServiceError("MissingParameter",
                           f"The request must contain the parameter {'AWSAccountIds' if not accounts else 'Actions'}.")
    policy = json.loads(queue.attributes.get("Policy") or '{"Version": "2012-10-17", "Statement": []}')
    statements = policy["Statement"] = _statements(policy)
    if any(s.get("Sid") == label for s in statements):
        raise invalid_parameter("Label", label, "Already exists.")
    statements.append({
        "Sid": label, "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
        "Action": [f"SQS:{a}" for a in actions], "Resource": queue.arn,
    })
    policy.setdefault("Id", f"{queue.arn}/SQSDefaultPolicy")
    _save_policy(sqs, queue, policy)
    return {}


def remove_permission(sqs, ctx, params: dict) -> dict:
    queue = sqs.queue(ctx, params)
    label = params["Label"]
    policy = json.loads(queue.attributes.get("Policy") or "{}")
    statements = _statements(policy)
    kept = [s for s in statements if s.get("Sid") != label]
    if len(kept) == len(statements):
        raise invalid_parameter("Label", label, "can't find label on existing policy.")
    policy["Statement"] = kept
    _save_policy(sqs, queue, policy if kept else None)
    return {}


def _statements(policy: dict) -> list:
    """A policy's statements as a list (a policy may hold a single statement object)."""
    statements = policy.get("Statement") or []
    return [statements] if isinstance(statements, dict) else [s for s in statements if isinstance(s, dict)]


def _save_policy(sqs, queue: Queue, policy: dict | None) -> None:
    if policy is None:
        queue.attributes.pop("Policy", None)
    else:
        queue.attributes["Policy"] = json.dumps(policy, separators=(",", ":"))
    queue.record["modified"] = int(sqs.clock.time())
    queue.save_record()


def queue_of_arn(sqs, arn: str, parameter: str) -> Queue:
    try:
        split_arn(arn)
    except ValueError:
        raise invalid_parameter(parameter, arn, "Must be a valid SQS queue ARN.") from None
    queue = sqs.registry.by_arn(arn)
    if queue is None:
        raise ServiceError("ResourceNotFoundException", "The resource that you specified for the "
                           f"{parameter} parameter doesn't exist.", 404)
    return queue
