"""What the SNS modules share: ARNs, the store namespaces, AWS's error shapes, timestamps."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from pocketcloud.core.arns import parse_arn  # noqa: F401  (the SNS modules import it from here)
from pocketcloud.core.store import Namespace
from pocketcloud.protocol.errors import ServiceError

SERVICE = "sns"
TOPIC = "topic"
SUBSCRIPTION = "subscription"
DEDUP = "dedup"  # FIFO topics' deduplication ids, "<topic name>|<id>"
# Records that are not owned by one account's namespace (the outbox an operator reads through
# the admin API, retries that must be found again after a restart) live in this namespace.
GLOBAL_ACCOUNT = "_global"
GLOBAL_REGION = "_global"

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameter", message, 400)


def invalid_value(message: str) -> ServiceError:
    return ServiceError("ParameterValueInvalid", message, 400)


def not_found(message: str) -> ServiceError:
    return ServiceError("NotFound", message, 404)


def topic_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sns:{region}:{account}:{name}"


def topic_ns(runtime, arn: str, what: str = "Topic") -> tuple[Namespace, str]:
    """The namespace that holds a topic (the account and region of its ARN) and its name."""
    parts = parse_arn(arn)
    if not parts or parts[0] != "sns" or ":" in parts[3] or not _TOPIC_NAME.match(parts[3].removesuffix(".fifo")):
        raise invalid(f"Invalid parameter: {what}Arn")
    return Namespace(runtime.store, SERVICE, parts[2], parts[1]), parts[3]


def get_topic(runtime, arn: str, what: str = "Topic") -> tuple[Namespace, dict]:
    ns, name = topic_ns(runtime, arn, what)
    topic = ns.get(TOPIC, name)
    if topic is None:
        raise not_found("Topic does not exist")
    return ns, topic


def subscription_ns(runtime, arn: str) -> tuple[Namespace, dict | None]:
    parts = parse_arn(arn)
    if not parts or parts[0] != "sns" or parts[3].count(":") != 1:
        raise invalid("Invalid parameter: SubscriptionArn")
    ns = Namespace(runtime.store, SERVICE, parts[2], parts[1])
    return ns, ns.get(SUBSCRIPTION, arn)


def global_ns(runtime) -> Namespace:
    return Namespace(runtime.store, SERVICE, GLOBAL_ACCOUNT, GLOBAL_REGION)


def iso_millis(when: datetime) -> str:
    """AWS's notification timestamp: 2012-05-02T00:54:06.655Z."""
    when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def paginate(items: list, token: str | None, page: int = 100) -> tuple[list, str | None]:
    """One page of `items` after the position `token` names; AWS pages ListTopics and
    ListSubscriptions by 100."""
    start = 0
    if token:
        if not token.isdigit() or int(token) > len(items):
            raise invalid("Invalid parameter: NextToken")
        start = int(token)
    end = start + page
    return items[start:end], (str(end) if end < len(items) else None)


def check_tags(tags: list[dict]) -> None:
    for tag in tags:
        key, value = tag.get("Key", ""), tag.get("Value", "")
        if not key or len(key) > 128 or len(value) > 256:
            raise invalid("Invalid parameter: Tags Reason: Tag keys must be 1 to 128 characters and values at most 256")
        if key.lower().startswith("aws:"):
            raise invalid("Invalid parameter: Tags Reason: Keys starting with aws: are reserved")
