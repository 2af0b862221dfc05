"""Topics: create (standard and FIFO), attributes, tags, permissions, data protection policy."""

from __future__ import annotations

import json

from pocketcloud.protocol.errors import ServiceError

from .common import (DEDUP, SUBSCRIPTION, TOPIC, _TOPIC_NAME, check_tags, get_topic, invalid, paginate, parse_arn,
                     topic_arn)
from pocketcloud.core.store import Namespace

_FEEDBACK = {f"{proto}{kind}" for proto in ("Application", "HTTP", "Lambda", "SQS", "Firehose")
             for kind in ("SuccessFeedbackRoleArn", "FailureFeedbackRoleArn", "SuccessFeedbackSampleRate")}
SETTABLE = {"DeliveryPolicy", "DisplayName", "Policy", "TracingConfig", "KmsMasterKeyId", "SignatureVersion",
            "ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope"} | _FEEDBACK
CREATE_ONLY = {"FifoTopic", "DataProtectionPolicy"}  # the policy comes as CreateTopic's own parameter
MAX_TAGS = 50
MAX_RETRY_SECONDS = 3600  # AWS: an HTTP/S retry policy may span at most an hour

DEFAULT_HTTP_POLICY = {
    "minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3, "numMaxDelayRetries": 0,
    "numNoDelayRetries": 0, "numMinDelayRetries": 0, "backoffFunction": "linear",
}


def default_policy(arn: str, account: str) -> str:
    return json.dumps({
        "Version": "2008-10-17", "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                       "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                       "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
            "Resource": arn, "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
        }],
    }, separators=(",", ":"))


def effective_delivery_policy(topic: dict) -> dict:
    """The topic's delivery policy with AWS's defaults filled in."""
    policy = {"http": {"defaultHealthyRetryPolicy": dict(DEFAULT_HTTP_POLICY), "disableSubscriptionOverrides": False,
                       "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"}}}
    own = topic["Attributes"].get("DeliveryPolicy")
    if own:
        for proto, section in json.loads(own).items():
            if isinstance(section, dict):
                merged = policy.setdefault(proto, {})
                for key, value in section.items():
                    if isinstance(value, dict) and isinstance(merged.get(key), dict):
                        merged[key] = {**merged[key], **value}
                    else:
                        merged[key] = value
    return policy


def _json_attribute(name: str, value: str) -> None:
    try:
        parsed = json.loads(value)
    except ValueError:
        raise invalid(f"Invalid parameter: {name}: failed to parse JSON") from None
    if not isinstance(parsed, dict):
        raise invalid(f"Invalid parameter: {name}: must be a JSON object")


def check_delivery_policy(value: str) -> None:
    _json_attribute("DeliveryPolicy", value)
    for proto, section in json.loads(value).items():
        retry = section.get("defaultHealthyRetryPolicy") if isinstance(section, dict) else None
        retry = retry if retry is not None else (section.get("healthyRetryPolicy") if isinstance(section, dict) else None)
        if retry is not None:
            check_retry_policy(retry)


def check_retry_policy(retry) -> None:
    """AWS's bounds: minDelayTarget 1..maxDelayTarget, maxDelayTarget <= 3600, numRetries <= 100,
    the phases adding up to at most numRetries, a known backoff function."""
    if not isinstance(retry, dict):
        raise invalid("Invalid parameter: DeliveryPolicy: healthyRetryPolicy must be an object")
    numbers = {k: retry.get(k, DEFAULT_HTTP_POLICY[k]) for k in DEFAULT_HTTP_POLICY if k != "backoffFunction"}
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in numbers.values()):
        raise invalid("Invalid parameter: DeliveryPolicy: retry policy values must be non-negative integers")
    if numbers["numRetries"] > 100:
        raise invalid("Invalid parameter: DeliveryPolicy: numRetries must be at most 100")
    if not 1 <= numbers["minDelayTarget"] <= numbers["maxDelayTarget"] <= 3600:
        raise invalid("Invalid parameter: DeliveryPolicy: minDelayTarget must be between 1 and maxDelayTarget, "
                      "maxDelayTarget at most 3600")
    phases = numbers["numNoDelayRetries"] + numbers["numMinDelayRetries"] + numbers["numMaxDelayRetries"]
    if phases > numbers["numRetries"]:
        raise invalid("Invalid parameter: DeliveryPolicy: the retry phases exceed numRetries")
    if retry.get("backoffFunction", "linear") not in ("linear", "arithmetic", "geometric", "exponential"):
        raise invalid("Invalid parameter: DeliveryPolicy: backoffFunction")
    from .delivery import retry_delays

    if sum(retry_delays({**DEFAULT_HTTP_POLICY, **retry})) > MAX_RETRY_SECONDS:
        raise invalid(f"Invalid parameter: DeliveryPolicy: the total retry time exceeds {MAX_RETRY_SECONDS} seconds")


def check_attribute(topic: dict, name: str, value: str, creating: bool) -> None:
    fifo = topic["Attributes"].get("FifoTopic") == "true"
    if name not in SETTABLE and not (creating and name in CREATE_ONLY):
        raise invalid("Invalid parameter: AttributeName")
    if name in ("Policy", "ArchivePolicy", "DataProtectionPolicy"):
        _json_attribute(name, value)
    elif name == "DeliveryPolicy":
        check_delivery_policy(value)
    elif name == "SignatureVersion" and value not in ("1", "2"):
        raise invalid("Invalid parameter: SignatureVersion")
    elif name == "TracingConfig" and value not in ("PassThrough", "Active"):
        raise invalid("Invalid parameter: TracingConfig")
    elif name in ("ContentBasedDeduplication", "FifoThroughputScope", "ArchivePolicy") and not fifo:
        raise invalid(f"Invalid parameter: Attributes Reason: {name} is only valid for FIFO topics")
    elif name == "ContentBasedDeduplication" and value not in ("true", "false"):
        raise invalid("Invalid parameter: ContentBasedDeduplication")
    elif name == "FifoThroughputScope" and value not in ("Topic", "MessageGroup"):
        raise invalid("Invalid parameter: FifoThroughputScope")
    elif name == "DisplayName" and len(value) > 100:
        raise invalid("Invalid parameter: DisplayName")


def create_topic(ctx, params: dict) -> dict:
    name = params["Name"]
    attributes = dict(params.get("Attributes") or {})
    fifo_attr = attributes.get("FifoTopic", "false").lower()
    if fifo_attr not in ("true", "false"):
        raise invalid("Invalid parameter: FifoTopic")
    base = name.removesuffix(".fifo") if fifo_attr == "true" else name
    if not _TOPIC_NAME.match(base) or (fifo_attr == "true" and not name.endswith(".fifo")):
        if fifo_attr == "true":
            raise invalid("Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only "
                          "uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be "
                          "between 1 and 256 characters long.")
        raise invalid("Invalid parameter: Topic Name")
    if fifo_attr == "true":
        attributes["FifoTopic"] = "true"
        attributes.setdefault("ContentBasedDeduplication", "false")
    else:
        attributes.pop("FifoTopic", None)
    if params.get("DataProtectionPolicy"):
        attributes["DataProtectionPolicy"] = params["DataProtectionPolicy"]
    arn = topic_arn(ctx.region, ctx.account, name)
    topic = {"Name": name, "Arn": arn, "Attributes": {}, "Tags": {}, "Sequence": 0}
    topic["Attributes"]["FifoTopic"] = attributes.get("FifoTopic", "false")
    for key, value in attributes.items():
        check_attribute(topic, key, value, creating=True)
    tags = params.get("Tags") or []
    check_tags(tags)
    ns = ctx.namespace()
    with ctx.runtime.store.transaction():
        existing = ns.get(TOPIC, name)
        if existing is not None:
            same = all(existing["Attributes"].get(k) == v for k, v in attributes.items() if k != "Policy")
            if not same:
                raise invalid("Invalid parameter: Attributes Reason: Topic already exists with different attributes")
            if any(existing["Tags"].get(t["Key"]) != t.get("Value", "") for t in tags):
                raise invalid("Invalid parameter: Tags Reason: Topic already exists with different tags")
            return {"TopicArn": arn}
        topic["Attributes"] = {k: v for k, v in attributes.items()}
        topic["Attributes"].setdefault("Policy", default_policy(arn, ctx.account))
        topic["Tags"] = {t["Key"]: t.get("Value", "") for t in tags}
        if len(topic["Tags"]) > MAX_TAGS:
            raise ServiceError("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded", 400)
        ns.put(TOPIC, name, topic)
    return {"TopicArn": arn}


def delete_topic(ctx, params: dict) -> dict:
    runtime = ctx.runtime
    try:
        ns, topic = get_topic(runtime, params["TopicArn"])
    except ServiceError as exc:
        if exc.code == "NotFound":
            return {}  # AWS answers DeleteTopic of a missing topic with success
        raise
    with runtime.store.transaction():
        for sub_arn, _ in ns.list(SUBSCRIPTION, topic["Arn"] + ":"):
            ns.delete(SUBSCRIPTION, sub_arn)
        for key, _ in ns.list(DEDUP, topic["Name"] + "|"):  # a new topic of that name starts afresh
            ns.delete(DEDUP, key)
        ns.delete(TOPIC, topic["Name"])
    return {}


def list_topics(ctx, params: dict) -> dict:
    names = [value["Arn"] for _, value in ctx.namespace().list(TOPIC)]
    page, token = paginate(names, params.get("NextToken"))
    out = {"Topics": [{"TopicArn": arn} for arn in page]}
    if token:
        out["NextToken"] = token
    return out


def get_topic_attributes(ctx, params: dict) -> dict:
    ns, topic = get_topic(ctx.runtime, params["TopicArn"])
    subs = [s for _, s in ns.list(SUBSCRIPTION, topic["Arn"] + ":")]
    pending = sum(1 for s in subs if s.get("PendingConfirmation"))
    attrs = {
        "TopicArn": topic["Arn"], "Owner": parse_arn(topic["Arn"])[2],
        "SubscriptionsConfirmed": str(len(subs) - pending), "SubscriptionsPending": str(pending),
        "SubscriptionsDeleted": str(topic.get("Deleted", 0)),
        "EffectiveDeliveryPolicy": json.dumps(effective_delivery_policy(topic), separators=(",", ":")),
        "DisplayName": "", "SignatureVersion": "1",
    }
    attrs.update({k: v for k, v in topic["Attributes"].items() if k != "DataProtectionPolicy"})
    if attrs.get("FifoTopic") != "true":
        attrs.pop("FifoTopic", None)
    else:
        attrs.setdefault("FifoThroughputScope", "Topic")
    return {"Attributes": attrs}


def set_topic_attributes(ctx, params: dict) -> dict:
    ns, topic = get_topic(ctx.runtime, params["TopicArn"])
    name, value = params["AttributeName"], params.get("AttributeValue") or ""
    check_attribute(topic, name, value, creating=False)
    with ctx.runtime.store.transaction():
        _, topic = get_topic(ctx.runtime, params["TopicArn"])
        if value == "" and name != "DisplayName":
            topic["Attributes"].pop(name, None)
            if name == "Policy":
                topic["Attributes"]["Policy"] = default_policy(topic["Arn"], ns.account)
        else:
            topic["Attributes"][name] = value
        ns.put(TOPIC, topic["Name"], topic)
    return {}


# -- data protection policy ---------------------------------------------------------------------
def put_data_protection_policy(ctx, params: dict) -> dict:
    ns, topic = get_topic(ctx.runtime, params["ResourceArn"], "Resource")
    _json_attribute("DataProtectionPolicy", params["DataProtectionPolicy"])
    topic["Attributes"]["DataProtectionPolicy"] = params["DataProtectionPolicy"]
    ns.put(TOPIC, topic["Name"], topic)
    return {}


def get_data_protection_policy(ctx, params: dict) -> dict:
    _, topic = get_topic(ctx.runtime, params["ResourceArn"], "Resource")
    policy = topic["Attributes"].get("DataProtectionPolicy")
    return {"DataProtectionPolicy": policy} if policy else {}


# -- permissions (statements in the topic policy) ------------------------------------------------
def add_permission(ctx, params: dict) -> dict:
    ns, topic = get_topic(ctx.runtime, params["TopicArn"])
    policy = json.loads(topic["Attributes"].get("Policy") or default_policy(topic["Arn"], ns.account))
    label = params["Label"]
    if any(s.get("Sid") == label for s in policy.get("Statement", [])):
        raise invalid("Invalid parameter: Statement already exists")
    if not params["AWSAccountId"] or not params["ActionName"]:
        raise invalid("Invalid parameter: AWSAccountId and ActionName must not be empty")
    actions = []
    for action in params["ActionName"]:
        if action == "*":
            actions.append("SNS:*")
        elif action in ("Publish", "Subscribe", "Receive", "GetTopicAttributes", "SetTopicAttributes",
                        "AddPermission", "RemovePermission", "DeleteTopic", "ListSubscriptionsByTopic"):
            actions.append(f"SNS:{action}")
        else:
            raise invalid("Invalid parameter: Policy statement action out of service scope!")
    principals = [f"arn:aws:iam::{a}:root" for a in params["AWSAccountId"]]
    policy.setdefault("Statement", []).append({
        "Sid": label, "Effect": "Allow",
        "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
        "Action": actions[0] if len(actions) == 1 else actions, "Resource": topic["Arn"],
    })
    topic["Attributes"]["Policy"] = json.dumps(policy, separators=(",", ":"))
    ns.put(TOPIC, topic["Name"], topic)
    return {}


def remove_permission(ctx, params: dict) -> dict:
    ns, topic = get_topic(ctx.runtime, params["TopicArn"])
    policy = json.loads(topic["Attributes"].get("Policy") or default_policy(topic["Arn"], ns.account))
    statements = policy.get("Statement", [])
    kept = [s for s in statements if s.get("Sid") != params["Label"]]
    if len(kept) == len(statements):
        raise invalid("Invalid parameter: Statement with that label does not exist")
    policy["Statement"] = kept
    topic["Attributes"]["Policy"] = json.dumps(policy, separators=(",", ":"))
    ns.put(TOPIC, topic["Name"], topic)
    return {}


# -- tags ----------------------------------------------------------------------------------------
def _tagged(ctx, arn: str) -> tuple[Namespace, str, dict]:
    """The record holding a taggable resource's tags (topics; SNS tags nothing else)."""
    try:
        ns, topic = get_topic(ctx.runtime, arn, "Resource")
    except ServiceError:
        raise ServiceError("ResourceNotFound", "Resource does not exist", 404) from None
    return ns, topic["Name"], topic


def tag_resource(ctx, params: dict) -> dict:
    tags = params["Tags"]
    check_tags(tags)
    with ctx.runtime.store.transaction():
        ns, name, topic = _tagged(ctx, params["ResourceArn"])
        merged = {**topic["Tags"], **{t["Key"]: t.get("Value", "") for t in tags}}
        if len(merged) > MAX_TAGS:
            raise ServiceError("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded", 400)
        topic["Tags"] = merged
        ns.put(TOPIC, name, topic)
    return {}


def untag_resource(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        ns, name, topic = _tagged(ctx, params["ResourceArn"])
        for key in params["TagKeys"]:
            topic["Tags"].pop(key, None)
        ns.put(TOPIC, name, topic)
    return {}


def list_tags_for_resource(ctx, params: dict) -> dict:
    _, _, topic = _tagged(ctx, params["ResourceArn"])
    return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(topic["Tags"].items())]}
