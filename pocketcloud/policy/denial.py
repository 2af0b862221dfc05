"""A refusal in each service's own shape, and EC2's encoded authorization failure message
(which STS DecodeAuthorizationMessage turns back into its JSON)."""

from __future__ import annotations

import base64
import json
import zlib

from ..protocol.errors import ServiceError

# service -> (error code, HTTP status) where it differs from its protocol's usual AccessDenied.
_CODES = {
    "sns": ("AuthorizationError", 403),
    "ec2": ("UnauthorizedOperation", 403),
    "sqs": ("AccessDenied", 403),
    "lambda": ("AccessDeniedException", 403),
    "kms": ("AccessDeniedException", 400),
    "logs": ("AccessDeniedException", 400),
    "events": ("AccessDeniedException", 400),
    "cloudtrail": ("AccessDeniedException", 400),
}
_BY_PROTOCOL = {"query": ("AccessDenied", 403), "rest-xml": ("AccessDenied", 403), "ec2": ("UnauthorizedOperation", 403),
                "json": ("AccessDeniedException", 400), "rest-json": ("AccessDeniedException", 403),
                "smithy-rpc-v2-cbor": ("AccessDeniedException", 400)}
_MAGIC = "pcz1"


def message(principal_arn: str, action: str, resource: str, reason: str) -> str:
    return f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource} {reason}".rstrip()


def encode_details(details: dict) -> str:
    return _MAGIC + base64.urlsafe_b64encode(zlib.compress(json.dumps(details).encode())).decode().rstrip("=")


def decode_details(encoded: str) -> dict | None:
    if not encoded.startswith(_MAGIC):
        return None
    raw = encoded[len(_MAGIC):]
    try:
        return json.loads(zlib.decompress(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))))
    except (ValueError, zlib.error):
        return None


def access_denied(service: str, protocol: str, text: str, details: dict) -> ServiceError:
    code, status = _CODES.get(service) or _BY_PROTOCOL.get(protocol, ("AccessDenied", 403))
    if code == "UnauthorizedOperation":
        text = (f"You are not authorized to perform this operation. {text}. "
                f"Encoded authorization failure message: {encode_details(details)}")
    return ServiceError(code, text, status)
