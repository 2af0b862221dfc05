"""Payload hashes: the declared x-amz-content-sha256, whether the body's hash is needed to
verify a signature, and S3's check that the body matches the declared hash."""

from __future__ import annotations

import hashlib

from pocketcloud.protocol.errors import ServiceError

from .credentials import Credentials
from .families import S3, _family

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _declared_payload_hash(creds: Credentials, headers: dict[str, str]) -> str | None:
    """The x-amz-content-sha256 header, which signers put in the canonical request in place
    of the body's hash (a hex hash, UNSIGNED-PAYLOAD or a STREAMING-* mode). A presigned URL
    was signed before that header existed, so there it counts only when it was signed."""
    value = headers.get("x-amz-content-sha256")
    if value is not None and creds.presigned and "x-amz-content-sha256" not in creds.signed_headers:
        return None
    return value


def payload_hash_needed(creds: Credentials, headers: dict[str, str]) -> bool:
    """True when `verify` needs the SHA-256 hex of the body from the caller."""
    if creds.version == 2 or _declared_payload_hash(creds, headers) is not None:
        return False
    return not (creds.presigned and _family(creds.service) == S3)


def check_content_sha256(headers: dict[str, str], computed_hex: str) -> None:
    """S3: the body must hash to the x-amz-content-sha256 the client declared (when it
    declared a hash rather than UNSIGNED-PAYLOAD or a STREAMING-* mode)."""
    declared = headers.get("x-amz-content-sha256")
    if declared is None or len(declared) != 64 or declared.startswith("STREAMING-"):
        return
    if declared.lower() != computed_hex:
        raise ServiceError(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            400,
            ClientComputedContentSHA256=declared,
            S3ComputedContentSHA256=computed_hex,
        )
