"""The documents SNS sends: the JSON notification (as AWS lays it out), the confirmation, the
Lambda event, and the URLs they carry."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from . import signing

CONFIRMATION_TEXT = ("You have chosen to subscribe to the topic {topic}.\n"
                     "To confirm the subscription, visit the SubscribeURL included in this message.")
UNSUBSCRIBE_TEXT = ("You have chosen to deactivate subscription {sub}.\n"
                    "To cancel this operation and restore the subscription, visit the SubscribeURL included in this message.")


def to_json(document: dict, indent: str = "") -> str:
    """AWS's layout of an SNS JSON message: two-space indent, " : " between key and value.
    (The same text as json.dumps(indent=2, separators=(",", " : ")), which falls back to the
    pure-Python encoder when indenting; this keeps the C string encoder for the values.)"""
    if not document:
        return "{}"
    inner = indent + "  "
    items = []
    for key, value in document.items():
        if isinstance(value, str):
            text = _string(value)
        else:
            text = to_json(value, inner) if isinstance(value, dict) else json.dumps(value)
        items.append(f"{inner}{_string(key)} : {text}")
    return "{\n" + ",\n".join(items) + "\n" + indent + "}"


_string = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses for a str
_SUB_MARK = "POCKETCLOUDSUBSCRIPTIONARN"  # stands for the quoted subscription ARN in a template


def base_url(runtime) -> str:
    return f"{runtime.settings.endpoint}/_aws/sns/"


def unsubscribe_url(runtime, sub_arn: str) -> str:
    quoted = sub_arn if sub_arn == _SUB_MARK else quote(sub_arn, safe="")
    return f"{base_url(runtime)}?Action=Unsubscribe&SubscriptionArn={quoted}"


def subscribe_url(runtime, topic_arn: str, token: str) -> str:
    return f"{base_url(runtime)}?Action=ConfirmSubscription&TopicArn={quote(topic_arn, safe='')}&Token={token}"


def attributes_document(attributes: dict) -> dict:
    """Message attributes as a JSON notification carries them: {"name": {"Type", "Value"}}."""
    out = {}
    for name, attr in (attributes or {}).items():
        if "BinaryValue" in attr and attr["BinaryValue"] is not None:
            value = base64.b64encode(attr["BinaryValue"]).decode()
        else:
            value = attr.get("StringValue", "")
        out[name] = {"Type": attr["DataType"], "Value": value}
    return out


class Signed:
    """One publication's signed fields, computed once and shared by every subscription (the
    signature does not cover the subscription-specific UnsubscribeURL)."""

    def __init__(self, runtime, publication, message: str):
        self.runtime = runtime
        self.publication = publication
        self.message = message
        version = publication.topic["Attributes"].get("SignatureVersion", "1")
        fields = {"Type": "Notification", "MessageId": publication.message_id, "TopicArn": publication.topic["Arn"],
                  "Subject": publication.subject, "Message": message, "Timestamp": publication.timestamp}
        self.signature_version = version
        self.signature = signing.sign(runtime, fields, version)
        self.cert_url = signing.cert_url(runtime)
        self._template: str | None = None

    def notification_json(self, sub_arn: str) -> str:
        """The JSON notification for one subscription: one template per publication, with the
        subscription's ARN put into its UnsubscribeURL."""
        if self._template is None:
            self._template = to_json(self.notification(_SUB_MARK))
        return self._template.replace(_SUB_MARK, quote(sub_arn, safe=""), 1)

    def notification(self, sub_arn: str) -> dict:
        p = self.publication
        doc = {"Type": "Notification", "MessageId": p.message_id}
        if p.sequence_number:
            doc["SequenceNumber"] = p.sequence_number
        doc["TopicArn"] = p.topic["Arn"]
        if p.subject is not None:
            doc["Subject"] = p.subject
        doc.update({
            "Message": self.message, "Timestamp": p.timestamp, "SignatureVersion": self.signature_version,
            "Signature": self.signature, "SigningCertURL": self.cert_url,
            "UnsubscribeURL": unsubscribe_url(self.runtime, sub_arn),
        })
        if p.attributes:
            doc["MessageAttributes"] = attributes_document(p.attributes)
        return doc

    def lambda_event(self, sub_arn: str) -> dict:
        p = self.publication
        return {"Records": [{
            "EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": sub_arn,
            "Sns": {
                "Type": "Notification", "MessageId": p.message_id, "TopicArn": p.topic["Arn"],
                "Subject": p.subject, "Message": self.message, "Timestamp": p.timestamp,
                "SignatureVersion": self.signature_version, "Signature": self.signature,
                "SigningCertUrl": self.cert_url, "UnsubscribeUrl": unsubscribe_url(self.runtime, sub_arn),
                "MessageAttributes": attributes_document(p.attributes),
            },
        }]}


def confirmation(runtime, kind: str, topic: dict, sub_arn: str, token: str, message_id: str, timestamp: str) -> dict:
    """A SubscriptionConfirmation or UnsubscribeConfirmation, signed."""
    text = (CONFIRMATION_TEXT.format(topic=topic["Arn"]) if kind == "SubscriptionConfirmation"
            else UNSUBSCRIBE_TEXT.format(sub=sub_arn))
    doc = {"Type": kind, "MessageId": message_id, "Token": token, "TopicArn": topic["Arn"], "Message": text,
           "SubscribeURL": subscribe_url(runtime, topic["Arn"], token), "Timestamp": timestamp}
    version = topic["Attributes"].get("SignatureVersion", "1")
    doc["SignatureVersion"] = version
    doc["Signature"] = signing.sign(runtime, doc, version)
    doc["SigningCertURL"] = signing.cert_url(runtime)
    return doc
