"""Checks on what a sender gives: body characters, message attributes, total size."""

from __future__ import annotations

import re

from pocketcloud.protocol.errors import ServiceError

# The characters SQS accepts in a body and in attribute strings (XML 1.0's Char production).
_BAD_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_\-.]{1,256}$")
_RESERVED_PREFIXES = ("aws.", "amazon.")
MAX_ATTRIBUTES = 10
SYSTEM_ATTRIBUTES = ("AWSTraceHeader",)


def check_body(body: str) -> None:
    if not body:
        raise ServiceError("MissingParameter", "The request must contain the parameter MessageBody.")
    bad = _BAD_CHAR.search(body)
    if bad is not None:
        raise ServiceError("InvalidMessageContents",
                           "Invalid binary character '#x%X' was found in the message body, the set of allowed "
                           "characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"
                           % ord(bad.group()))


def _check_value(kind: str, name: str, value: dict) -> int:
    """Validate one attribute value; returns its size as SQS counts it (name + type + value)."""
    data_type = value.get("DataType")
    if not data_type:
        raise ServiceError("InvalidParameterValue", f"The message {kind} attribute '{name}' must contain a "
                           "non-empty attribute type.")
    base = data_type.split(".", 1)[0]
    if base not in ("String", "Number", "Binary") or len(data_type) > 256:
        raise ServiceError("InvalidParameterValue", f"The type of message {kind} attribute '{name}' is invalid. "
                           "You must use only the following supported type prefixes: Binary, Number, String.")
    if value.get("StringListValues") or value.get("BinaryListValues"):
        raise ServiceError("InvalidParameterValue", f"Message {kind} attribute list values in '{name}' are not "
                           "supported.")
    if base == "Binary":
        data = value.get("BinaryValue")
        if data is None or len(data) == 0:
            raise ServiceError("InvalidParameterValue", f"The message {kind} attribute '{name}' with type "
                               "'Binary' must use field 'Binary'.")
        if value.get("StringValue") is not None:
            raise ServiceError("InvalidParameterValue", f"The message {kind} attribute '{name}' with type "
                               "'Binary' must use field 'Binary'.")
        size = len(data)
    else:
        text = value.get("StringValue")
        if text is None or text == "" or value.get("BinaryValue") is not None:
            raise ServiceError("InvalidParameterValue", f"Message {kind} attribute '{name}' must contain a non-empty "
                               f"value of type '{base}'.")
        if _BAD_CHAR.search(text):
            raise ServiceError("InvalidParameterValue", f"The message {kind} attribute '{name}' contains characters "
                               "outside the allowed set.")
        if base == "Number":
            try:
                float(text)
            except ValueError:
                raise ServiceError("InvalidParameterValue", f"Can't cast the value of message {kind} attribute "
                                   f"'{name}' to a number.") from None
        size = len(text.encode())
    return len(name.encode()) + len(data_type.encode()) + size


def check_attributes(attributes: dict | None) -> tuple[dict, int]:
    """Message attributes kept as given (DataType and one value), and their size in bytes."""
    if not attributes:
        return {}, 0
    if len(attributes) > MAX_ATTRIBUTES:
        raise ServiceError("InvalidParameterValue", f"Number of message attributes [{len(attributes)}] exceeds the "
                           f"allowed maximum [{MAX_ATTRIBUTES}].")
    out, size = {}, 0
    for name, value in attributes.items():
        lowered = name.lower()
        if not _ATTRIBUTE_NAME.match(name) or lowered.startswith(_RESERVED_PREFIXES) or ".." in name \
                or name.startswith(".") or name.endswith("."):
            raise ServiceError("InvalidParameterValue", f"Message (user) attribute name '{name}' is invalid.")
        size += _check_value("(user)", name, value or {})
        out[name] = _kept(value)
    return out, size


def check_system_attributes(attributes: dict | None) -> tuple[dict, int]:
    if not attributes:
        return {}, 0
    out, size = {}, 0
    for name, value in attributes.items():
        if name not in SYSTEM_ATTRIBUTES:
            raise ServiceError("InvalidParameterValue", f"Message system attribute name '{name}' is invalid.")
        if (value or {}).get("DataType") != "String":
            raise ServiceError("InvalidParameterValue",
                               f"The message system attribute '{name}' must be of type 'String'.")
        size += _check_value("system", name, value)
        out[name] = _kept(value)
    return out, size


def _kept(value: dict) -> dict:
    kept = {"DataType": value["DataType"]}
    if value.get("BinaryValue") is not None:
        kept["BinaryValue"] = bytes(value["BinaryValue"])
    else:
        kept["StringValue"] = value["StringValue"]
    return kept


def check_size(queue, body: str, attributes_size: int) -> int:
    size = len(body.encode()) + attributes_size
    if size > queue.max_size:
        raise ServiceError("InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be "
                           f"shorter than {queue.max_size} bytes.")
    return size
