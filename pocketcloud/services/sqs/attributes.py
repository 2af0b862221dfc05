"""Queue attributes: AWS's defaults, ranges and validation, and what GetQueueAttributes shows.

Attributes are kept as the strings the API speaks; numbers are checked against AWS's ranges
when set. Policies (Policy, RedrivePolicy, RedriveAllowPolicy) are stored as given, after a
JSON check; RedrivePolicy's target is checked by the caller (it needs the other queue).
"""

from __future__ import annotations

import json

from pocketcloud.protocol.errors import ServiceError

MAX_MESSAGE_SIZE = 1_048_576  # AWS raised it from 262,144 in 2025
FIFO_DEDUP_WINDOW = 300.0
MAX_VISIBILITY = 43_200  # 12 hours: a queue's timeout, and a message's total since its receive

DEFAULTS = {
    "DelaySeconds": "0",
    "MaximumMessageSize": str(MAX_MESSAGE_SIZE),
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
    "SqsManagedSseEnabled": "true",
}
FIFO_DEFAULTS = {"FifoQueue": "true", "ContentBasedDeduplication": "false",
                 "DeduplicationScope": "queue", "FifoThroughputLimit": "perQueue"}

_RANGES = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, MAX_MESSAGE_SIZE),
    "MessageRetentionPeriod": (60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43_200),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
}
_BOOLEANS = {"SqsManagedSseEnabled", "FifoQueue", "ContentBasedDeduplication"}
_CHOICES = {"DeduplicationScope": ("messageGroup", "queue"),
            "FifoThroughputLimit": ("perQueue", "perMessageGroupId")}
_FREE_TEXT = {"Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId"}
FIFO_ONLY = {"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}
SETTABLE = set(_RANGES) | _BOOLEANS | set(_CHOICES) | _FREE_TEXT
COMPUTED = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn")
READABLE = SETTABLE | set(COMPUTED)


def invalid_value(name: str, reason: str = "") -> ServiceError:
    text = f"Invalid value for the parameter {name}." + (f" Reason: {reason}" if reason else "")
    return ServiceError("InvalidAttributeValue", text)


def check(attributes: dict, fifo: bool, creating: bool) -> dict:
    """Validated copy of attributes given to CreateQueue/SetQueueAttributes."""
    out = {}
    for name, value in attributes.items():
        if name not in SETTABLE:
            raise ServiceError("InvalidAttributeName", f"Unknown Attribute {name}.")
        if not isinstance(value, str):
            raise invalid_value(name)
        if name in _RANGES:
            low, high = _RANGES[name]
            if not value.lstrip("-").isdigit() or not low <= int(value) <= high:
                raise invalid_value(name)
            value = str(int(value))
        elif name in _BOOLEANS:
            if value.lower() not in ("true", "false"):
                raise invalid_value(name)
            value = value.lower()
        elif name in _CHOICES and value not in _CHOICES[name]:
            raise invalid_value(name)
        elif name in ("Policy", "RedriveAllowPolicy", "RedrivePolicy") and value:
            try:
                if not isinstance(json.loads(value), dict):
                    raise ValueError
            except ValueError:
                raise invalid_value(name) from None
        if name in FIFO_ONLY and not fifo:
            # AWS does not know FIFO attributes on a standard queue, even FifoQueue=false.
            raise ServiceError("InvalidAttributeName", f"Unknown Attribute {name}.")
        if name == "FifoQueue" and not creating:
            raise invalid_value(name, "Cannot change a queue's type.")
        out[name] = value
    if "RedriveAllowPolicy" in out and out["RedriveAllowPolicy"]:
        check_redrive_allow_policy(out["RedriveAllowPolicy"])
    return out


def check_redrive_allow_policy(text: str) -> None:
    policy = json.loads(text)
    permission = policy.get("redrivePermission")
    sources = policy.get("sourceQueueArns")
    if permission not in ("allowAll", "denyAll", "byQueue"):
        raise invalid_value("RedriveAllowPolicy", "redrivePermission must be allowAll, denyAll or byQueue.")
    if permission == "byQueue":
        if not isinstance(sources, list) or not 1 <= len(sources) <= 10:
            raise invalid_value("RedriveAllowPolicy",
                                "sourceQueueArns must list 1 to 10 queue ARNs when redrivePermission is byQueue.")
    elif sources:
        raise invalid_value("RedriveAllowPolicy", "sourceQueueArns is only allowed with redrivePermission byQueue.")


def parse_redrive_policy(text: str) -> tuple[str, int]:
    """(deadLetterTargetArn, maxReceiveCount) of a RedrivePolicy."""
    try:
        policy = json.loads(text)
        target = policy["deadLetterTargetArn"]
        count = int(policy["maxReceiveCount"])
    except (ValueError, KeyError, TypeError):
        raise ServiceError(
            "InvalidParameterValue",
            f"Value {text} for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid "
            "JSON map with deadLetterTargetArn and maxReceiveCount.") from None
    if not 1 <= count <= 1000:
        raise ServiceError("InvalidParameterValue", f"Value {text} for parameter RedrivePolicy is invalid. "
                           "Reason: Invalid value for maxReceiveCount: {count}, valid values are from 1 to 1000 "
                           "both inclusive.")
    return str(target), count


def allows_source(dlq_attributes: dict, source_arn: str) -> bool:
    """Whether a dead-letter queue's RedriveAllowPolicy lets source_arn use it."""
    text = dlq_attributes.get("RedriveAllowPolicy")
    if not text:
        return True
    policy = json.loads(text)
    permission = policy.get("redrivePermission")
    if permission == "denyAll":
        return False
    if permission == "byQueue":
        return source_arn in (policy.get("sourceQueueArns") or [])
    return True


def check_fifo_combination(attributes: dict) -> None:
    """High-throughput FIFO: per-message-group throughput needs per-group deduplication."""
    if attributes.get("FifoThroughputLimit") == "perMessageGroupId" \
            and attributes.get("DeduplicationScope") != "messageGroup":
        raise invalid_value("FifoThroughputLimit",
                            "The perMessageGroupId value is allowed only when the value for DeduplicationScope "
                            "is messageGroup.")
