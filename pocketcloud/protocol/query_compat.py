"""The query protocol for services that moved to JSON but still answer it (SQS).

SQS moved from query to JSON (metadata "awsQueryCompatible"), and older SDKs, tools and
scripts still speak query to it: `Action=SendMessage&Attribute.1.Name=...`, answered in XML.
botocore's current SQS model has lost the query-era wire names, so this module restores them
from a table of facts about the 2012-11-05 query API (which lists are flattened and under what
element name, maps' key/value names, renamed members), giving a query-flavoured copy of the
model that the ordinary query parser and serializer use. The JSON model is left untouched.
"""

from __future__ import annotations

import copy

# list shape -> (member element name, flattened)
_SQS_LISTS = {
    "AWSAccountIdList": ("AWSAccountId", True),
    "ActionNameList": ("ActionName", True),
    "AttributeNameList": ("AttributeName", True),
    "MessageAttributeNameList": ("MessageAttributeName", True),
    "MessageSystemAttributeList": ("MessageSystemAttributeName", True),
    "QueueUrlList": ("QueueUrl", True),
    "TagKeyList": ("TagKey", True),
    "MessageList": ("Message", True),
    "StringList": ("StringListValue", False),
    "BinaryList": ("BinaryListValue", False),
}
# Batch entry lists: the element is named after the entry shape, flattened.
_SQS_ENTRY_LISTS = (
    "BatchResultErrorEntryList", "ChangeMessageVisibilityBatchRequestEntryList",
    "ChangeMessageVisibilityBatchResultEntryList", "DeleteMessageBatchRequestEntryList",
    "DeleteMessageBatchResultEntryList", "ListMessageMoveTasksResultEntryList",
    "SendMessageBatchRequestEntryList", "SendMessageBatchResultEntryList",
)
# map shape -> (element name or None, key name, value name); all flattened
_SQS_MAPS = {
    "QueueAttributeMap": ("Attribute", "Name", "Value"),
    "MessageSystemAttributeMap": ("Attribute", "Name", "Value"),
    "MessageBodyAttributeMap": (None, "Name", "Value"),
    "MessageBodySystemAttributeMap": (None, "Name", "Value"),
    "TagMap": ("Tag", "Key", "Value"),
}
# (structure, member) -> element name
_SQS_MEMBERS = {
    ("CreateQueueRequest", "Attributes"): "Attribute",
    ("CreateQueueRequest", "tags"): "Tag",
    ("SetQueueAttributesRequest", "Attributes"): "Attribute",
    ("GetQueueAttributesResult", "Attributes"): "Attribute",
    ("ListQueueTagsResult", "Tags"): "Tag",
    ("Message", "Attributes"): "Attribute",
    ("Message", "MessageAttributes"): "MessageAttribute",
    ("SendMessageRequest", "MessageAttributes"): "MessageAttribute",
    ("SendMessageRequest", "MessageSystemAttributes"): "MessageSystemAttribute",
    ("SendMessageBatchRequestEntry", "MessageAttributes"): "MessageAttribute",
    ("SendMessageBatchRequestEntry", "MessageSystemAttributes"): "MessageSystemAttribute",
}
# (structure, member) -> element name, for members that are flattened lists themselves
_SQS_FLAT_MEMBERS = {
    ("MessageAttributeValue", "StringListValues"): "StringListValue",
    ("MessageAttributeValue", "BinaryListValues"): "BinaryListValue",
    ("MessageSystemAttributeValue", "StringListValues"): "StringListValue",
    ("MessageSystemAttributeValue", "BinaryListValues"): "BinaryListValue",
}

SERVICES = {"sqs": "http://queue.amazonaws.com/doc/2012-11-05/"}
# Members a query request may leave out because the request's path names them: older
# clients post to the queue URL itself. The provider reads them from the path.
_IMPLIED_BY_PATH = {"sqs": "QueueUrl"}


def speaks_query(service: str) -> bool:
    return service in SERVICES


def implied_by_path(service: str) -> str | None:
    return _IMPLIED_BY_PATH.get(service)


def query_model_data(service: str, data: dict) -> dict:
    """A copy of a JSON model's data with the query protocol's wire names restored."""
    data = copy.deepcopy(data)
    shapes = data["shapes"]
    data["metadata"] = {**data["metadata"], "protocol": "query", "protocols": ["query"],
                        "xmlNamespace": SERVICES[service]}
    for name, (element, flattened) in _SQS_LISTS.items():
        _set_list(shapes.get(name), element, flattened)
    for name in _SQS_ENTRY_LISTS:
        _set_list(shapes.get(name), name[: -len("List")], True)
    for name, (element, key, value) in _SQS_MAPS.items():
        shape = shapes.get(name)
        if shape is not None:
            shape["flattened"] = True
            if element:
                shape["locationName"] = element
            shape["key"] = {**shape["key"], "locationName": key}
            shape["value"] = {**shape["value"], "locationName": value}
    for (owner, member), element in _SQS_MEMBERS.items():
        _member(shapes, owner, member)["locationName"] = element
    for (owner, member), element in _SQS_FLAT_MEMBERS.items():
        ref = _member(shapes, owner, member)
        ref["locationName"], ref["flattened"] = element, True
    implied = _IMPLIED_BY_PATH.get(service)
    for name, op in data["operations"].items():
        if "output" in op:
            op["output"] = {**op["output"], "resultWrapper": f"{name}Result"}
        shape = shapes.get(op.get("input", {}).get("shape", ""))
        if implied and shape is not None and implied in shape.get("required", ()):
            shape["required"] = [m for m in shape["required"] if m != implied]
    return data


def _set_list(shape: dict | None, element: str, flattened: bool) -> None:
    if shape is None:
        return
    shape["member"] = {**shape["member"], "locationName": element}
    if flattened:
        shape["flattened"] = True


def _member(shapes: dict, owner: str, member: str) -> dict:
    shape = shapes.get(owner)
    if shape is None or member not in shape.get("members", {}):
        return {}  # the model changed: nothing to rename
    return shape["members"][member]
