"""Subscriptions: subscribe (with the confirmation handshake for HTTP/S and email), confirm,
unsubscribe, list, and attributes (filter policy, raw delivery, delivery and redrive policies)."""

from __future__ import annotations

import json
import re
import secrets
import uuid

from pocketcloud.protocol.errors import ServiceError

from . import access, envelope, filters, outbox, signing
from .common import (SUBSCRIPTION, get_topic, invalid, iso_millis, not_found, paginate, parse_arn,
                     subscription_ns)
from .topics import check_delivery_policy, check_retry_policy

PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")
SETTABLE = ("DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy",
            "SubscriptionRoleArn", "ReplayPolicy")
RAW_CAPABLE = ("http", "https", "sqs", "firehose")
NEEDS_CONFIRMATION = ("http", "https", "email", "email-json")
TOKEN_LIFETIME = 3 * 24 * 3600  # AWS: a confirmation token is valid for three days
PENDING = "PendingConfirmation"
_PHONE = re.compile(r"^\+?[1-9]\d{6,14}$")


def check_endpoint(protocol: str, endpoint: str | None, topic: dict) -> None:
    endpoint = endpoint or ""
    fifo = topic["Attributes"].get("FifoTopic") == "true"
    if protocol not in PROTOCOLS:
        raise invalid(f"Invalid parameter: Amazon SNS does not support this protocol string: {protocol}")
    if fifo and protocol != "sqs":
        raise invalid("Invalid parameter: Invalid protocol type: " + protocol)
    ok = True
    if protocol in ("http", "https"):
        ok = endpoint.lower().startswith(protocol + "://") and len(endpoint) > len(protocol) + 3
    elif protocol in ("email", "email-json"):
        ok = bool(re.match(r"^[^@\s]+@[^@\s]+$", endpoint))
    elif protocol == "sms":
        ok = bool(_PHONE.match(endpoint.replace("-", "").replace(" ", "")))
    elif protocol in ("sqs", "lambda", "firehose"):
        service = {"sqs": "sqs", "lambda": "lambda", "firehose": "firehose"}[protocol]
        parts = parse_arn(endpoint)
        ok = bool(parts) and parts[0] == service
        if ok and protocol == "sqs" and endpoint.endswith(".fifo") and not fifo:
            raise invalid("Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be "
                          "subscribed to standard SNS topics")
    elif protocol == "application":
        parts = parse_arn(endpoint)
        ok = bool(parts) and parts[0] == "sns" and parts[3].startswith("endpoint/")
    if not ok:
        what = {"sqs": "SQS endpoint ARN", "lambda": "Lambda endpoint ARN"}.get(protocol, "Endpoint")
        raise invalid(f"Invalid parameter: {what}")


def check_attribute(protocol: str, name: str, value: str, attributes: dict, topic_arn: str = "") -> None:
    """One subscription attribute, as SetSubscriptionAttributes and Subscribe check it."""
    if name not in SETTABLE:
        raise invalid("Invalid parameter: AttributeName")
    if name == "RawMessageDelivery":
        if value.lower() not in ("true", "false"):
            raise invalid("Invalid parameter: RawMessageDelivery")
        if protocol not in RAW_CAPABLE:
            raise invalid(f"Invalid parameter: Attributes Reason: Delivery protocol [{protocol}] does not support "
                          "raw message delivery.")
    elif name == "FilterPolicyScope":
        if value not in ("MessageAttributes", "MessageBody"):
            raise invalid("Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value "
                          f"[{value}]. Please use either MessageBody or MessageAttributes")
    elif name == "FilterPolicy":
        if value:
            filters.parse_policy(value, attributes.get("FilterPolicyScope", "MessageAttributes"))
    elif name == "RedrivePolicy":
        if value:
            try:
                target = json.loads(value).get("deadLetterTargetArn")
            except (ValueError, AttributeError):
                raise invalid("Invalid parameter: RedrivePolicy: failed to parse JSON") from None
            parts = parse_arn(target) if isinstance(target, str) else None
            if not parts or parts[0] != "sqs":
                raise invalid("Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn")
            topic = parse_arn(topic_arn)
            if topic and (parts[1], parts[2]) != (topic[1], topic[2]):
                raise invalid("Invalid parameter: RedrivePolicy: the dead-letter queue must be in the account and "
                              "region of the subscription")
            if topic and parts[3].endswith(".fifo") != topic[3].endswith(".fifo"):
                raise invalid("Invalid parameter: RedrivePolicy: a FIFO topic's subscription needs a FIFO "
                              "dead-letter queue, a standard topic's a standard one")
    elif name == "DeliveryPolicy":
        if value:
            try:
                policy = json.loads(value)
            except ValueError:
                raise invalid("Invalid parameter: DeliveryPolicy: failed to parse JSON") from None
            if not isinstance(policy, dict):
                raise invalid("Invalid parameter: DeliveryPolicy: must be a JSON object")
            if "healthyRetryPolicy" in policy:
                check_retry_policy(policy["healthyRetryPolicy"])
            else:
                check_delivery_policy(value)


def _check_attributes(protocol: str, attributes: dict, topic_arn: str) -> dict:
    for name, value in attributes.items():
        check_attribute(protocol, name, value, attributes, topic_arn)
    if attributes.get("RawMessageDelivery"):
        attributes["RawMessageDelivery"] = attributes["RawMessageDelivery"].lower()
    return attributes


def _existing(ns, topic: dict, protocol: str, endpoint: str, attributes: dict) -> dict | None:
    """The topic's subscription of this endpoint, if any (Subscribe is idempotent)."""
    for _, existing in ns.list(SUBSCRIPTION, topic["Arn"] + ":"):
        if existing["Protocol"] == protocol and existing["Endpoint"] == endpoint:
            if any(existing["Attributes"].get(k) != v for k, v in attributes.items()):
                raise invalid("Invalid parameter: Attributes Reason: Subscription already exists with different "
                              "attributes")
            return existing
    return None


async def subscribe(provider, ctx, params: dict) -> dict:
    runtime = ctx.runtime
    ns, topic = get_topic(runtime, params["TopicArn"])
    access.check(topic, access.caller(ctx), "SNS:Subscribe")
    protocol = params["Protocol"]
    endpoint = params.get("Endpoint") or ""
    check_endpoint(protocol, endpoint, topic)
    if protocol == "sms":
        endpoint = endpoint.replace("-", "").replace(" ", "")
    attributes = _check_attributes(protocol, dict(params.get("Attributes") or {}), topic["Arn"])
    with runtime.store.transaction():
        sub = _existing(ns, topic, protocol, endpoint, attributes)
        if sub is None:
            pending = protocol in NEEDS_CONFIRMATION
            sub = {
                "SubscriptionArn": f"{topic['Arn']}:{uuid.uuid4()}", "TopicArn": topic["Arn"], "Protocol": protocol,
                "Endpoint": endpoint, "Owner": ctx.account, "Attributes": attributes, "PendingConfirmation": pending,
                "ConfirmationWasAuthenticated": not pending,
            }
            if pending:
                sub["Token"] = secrets.token_hex(94)
                sub["TokenExpires"] = runtime.clock.time() + TOKEN_LIFETIME
            ns.put(SUBSCRIPTION, sub["SubscriptionArn"], sub)
            provider.cache.forget(topic["Arn"])
    arn = sub["SubscriptionArn"]
    if not sub.get("PendingConfirmation"):
        return {"SubscriptionArn": arn}
    # A new subscription, or a pending one subscribed again: AWS sends the confirmation (again).
    await signing.ready(runtime)
    send_confirmation(provider, topic, sub, "SubscriptionConfirmation")
    return {"SubscriptionArn": arn if params.get("ReturnSubscriptionArn") else "pending confirmation"}


def send_confirmation(provider, topic: dict, sub: dict, kind: str) -> None:
    runtime = provider.runtime
    message_id = str(uuid.uuid4())
    doc = envelope.confirmation(runtime, kind, topic, sub["SubscriptionArn"], sub.get("Token") or secrets.token_hex(94),
                                message_id, iso_millis(runtime.clock.now()))
    if sub["Protocol"] in ("http", "https"):
        request = {"Id": uuid.uuid4().hex, "Url": sub["Endpoint"], "Body": envelope.to_json(doc),
                   "Headers": {"x-amz-sns-message-type": kind, "x-amz-sns-message-id": message_id,
                               "x-amz-sns-topic-arn": topic["Arn"], "Content-Type": "text/plain; charset=UTF-8"},
                   "SubscriptionArn": sub["SubscriptionArn"], "MessageId": message_id, "Confirmation": True,
                   "Retry": {"numRetries": 3, "minDelayTarget": 20, "maxDelayTarget": 20}}
        provider.deliverer.start_post(request)
    elif kind == "SubscriptionConfirmation":  # email and email-json: the confirmation mail, in the outbox
        body = envelope.to_json(doc) if sub["Protocol"] == "email-json" else (
            f"You have chosen to subscribe to the topic: \n{topic['Arn']}\n\n"
            f"To confirm this subscription, click or visit the link below:\n{doc['SubscribeURL']}")
        outbox.record(runtime, {
            "Protocol": sub["Protocol"], "Endpoint": sub["Endpoint"], "TopicArn": topic["Arn"],
            "SubscriptionArn": sub["SubscriptionArn"], "MessageId": message_id, "Type": kind,
            "Subject": "AWS Notification - Subscription Confirmation", "Message": body,
            "Token": sub["Token"], "SubscribeURL": doc["SubscribeURL"],
        })


def confirm_subscription(provider, runtime, params: dict, authenticated: bool = True) -> dict:
    """Confirm by token: through the API (authenticated) or by fetching the SubscribeURL."""
    ns, topic = get_topic(runtime, params["TopicArn"])
    token = params["Token"]
    with runtime.store.transaction():
        for arn, sub in ns.list(SUBSCRIPTION, topic["Arn"] + ":"):
            if sub.get("Token") != token:
                continue
            if sub.get("PendingConfirmation"):
                if runtime.clock.time() > sub.get("TokenExpires", 0):
                    raise invalid("Invalid token")
                sub["PendingConfirmation"] = False
                sub["ConfirmationWasAuthenticated"] = authenticated
                sub["AuthenticateOnUnsubscribe"] = (
                    authenticated and str(params.get("AuthenticateOnUnsubscribe", "")).lower() == "true")
                ns.put(SUBSCRIPTION, arn, sub)
            provider.cache.forget(topic["Arn"])
            return {"SubscriptionArn": arn}
    raise invalid("Invalid token")


def unsubscribe(provider, runtime, params: dict, authenticated: bool = True) -> dict:
    ns, sub = subscription_ns(runtime, params["SubscriptionArn"])
    if sub is None:
        raise not_found("Subscription does not exist")
    if sub.get("AuthenticateOnUnsubscribe") and not authenticated:
        raise ServiceError("AuthorizationError", "Unsubscribe requires an authenticated request for this subscription",
                           403)
    ns.delete(SUBSCRIPTION, sub["SubscriptionArn"])
    provider.cache.forget(sub["TopicArn"])
    try:
        _, topic = get_topic(runtime, sub["TopicArn"])
    except ServiceError:
        return {}
    if sub["Protocol"] in ("http", "https") and not sub.get("PendingConfirmation"):
        send_confirmation(provider, topic, sub, "UnsubscribeConfirmation")
    return {}


def _listed(sub: dict) -> dict:
    return {"SubscriptionArn": PENDING if sub.get("PendingConfirmation") else sub["SubscriptionArn"],
            "Owner": sub["Owner"], "Protocol": sub["Protocol"], "Endpoint": sub["Endpoint"],
            "TopicArn": sub["TopicArn"]}


def list_subscriptions(ctx, params: dict) -> dict:
    subs = [_listed(s) for _, s in ctx.namespace().list(SUBSCRIPTION)]
    page, token = paginate(subs, params.get("NextToken"))
    return {"Subscriptions": page, **({"NextToken": token} if token else {})}


def list_subscriptions_by_topic(ctx, params: dict) -> dict:
    ns, topic = get_topic(ctx.runtime, params["TopicArn"])
    subs = [_listed(s) for _, s in ns.list(SUBSCRIPTION, topic["Arn"] + ":")]
    page, token = paginate(subs, params.get("NextToken"))
    return {"Subscriptions": page, **({"NextToken": token} if token else {})}


def get_subscription_attributes(ctx, params: dict) -> dict:
    _, sub = subscription_ns(ctx.runtime, params["SubscriptionArn"])
    if sub is None:
        raise not_found("Subscription does not exist")
    attrs = {
        "SubscriptionArn": sub["SubscriptionArn"], "TopicArn": sub["TopicArn"], "Owner": sub["Owner"],
        "Protocol": sub["Protocol"], "Endpoint": sub["Endpoint"],
        "PendingConfirmation": "true" if sub.get("PendingConfirmation") else "false",
        "ConfirmationWasAuthenticated": "true" if sub.get("ConfirmationWasAuthenticated") else "false",
        "RawMessageDelivery": "false",
        "SubscriptionPrincipal": f"arn:aws:iam::{sub['Owner']}:root",
    }
    if sub["Protocol"] in ("http", "https"):
        from .delivery import effective_http_policy

        attrs["EffectiveDeliveryPolicy"] = json.dumps(effective_http_policy(ctx.runtime, sub), separators=(",", ":"))
    attrs.update(sub["Attributes"])
    if attrs.get("FilterPolicy"):
        attrs.setdefault("FilterPolicyScope", "MessageAttributes")
    return {"Attributes": attrs}


def set_subscription_attributes(provider, ctx, params: dict) -> dict:
    runtime = ctx.runtime
    with runtime.store.transaction():
        ns, sub = subscription_ns(runtime, params["SubscriptionArn"])
        if sub is None:
            raise not_found("Subscription does not exist")
        name, value = params["AttributeName"], params.get("AttributeValue") or ""
        merged = {**sub["Attributes"], name: value}
        check_attribute(sub["Protocol"], name, value, merged, sub["TopicArn"])
        if name == "FilterPolicyScope" and sub["Attributes"].get("FilterPolicy"):
            filters.parse_policy(sub["Attributes"]["FilterPolicy"], value)
        if value == "":
            sub["Attributes"].pop(name, None)
        else:
            sub["Attributes"][name] = value.lower() if name == "RawMessageDelivery" else value
        ns.put(SUBSCRIPTION, sub["SubscriptionArn"], sub)
    provider.cache.forget(sub["TopicArn"])
    return {}
