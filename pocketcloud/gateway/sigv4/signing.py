"""SigV4 signing: the derived signing key, credential scope, string to sign, HMAC, and a
constant-time comparison of signatures."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from .credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"


@lru_cache(maxsize=512)
def _signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = hmac.digest(("AWS4" + secret_key).encode(), date.encode(), "sha256")
    key = hmac.digest(key, region.encode(), "sha256")
    key = hmac.digest(key, service.encode(), "sha256")
    return hmac.digest(key, b"aws4_request", "sha256")


def _scope(creds: Credentials) -> str:
    return f"{creds.date}/{creds.region}/{creds.service}/{creds.terminator}"


def _string_to_sign(creds: Credentials, canonical_request: str) -> str:
    digest = hashlib.sha256(canonical_request.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{ALGORITHM}\n{creds.amz_date}\n{_scope(creds)}\n{digest}"


def _sign(key: bytes, string_to_sign: str) -> str:
    return hmac.digest(key, string_to_sign.encode("utf-8", "surrogateescape"), "sha256").hex()


def _same_signature(expected: str, provided: str) -> bool:
    """Constant-time comparison; hmac.compare_digest raises TypeError on non-ASCII text, and a
    client's signature may be any Latin-1 (header) or Unicode (presigned query) text."""
    return provided.isascii() and hmac.compare_digest(expected, provided)
