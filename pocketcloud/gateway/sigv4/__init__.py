"""AWS request signatures: parse and verify SigV4 (header and presigned) and legacy S3 SigV2.

Written from AWS's Signature Version 4 documentation; stdlib only (hmac, hashlib). The gateway
calls `parse_credentials` for every request (it names the access key, region and service), then
`check_presigned_expiry` always, and `verify` when signatures are enforced.

This package re-exports that API; the modules:

  families              service families and the errors each answers (unknown_access_key)
  credentials           Credentials, what a signature says about its signer
  parsing               parse_credentials: which signature a request carries
  authorization_header  credentials from a SigV4, SigV2 or unsupported Authorization header
  presigned_query       credentials from a presigned URL's query (SigV4 and SigV2)
  timestamps            date parsing and formatting
  expiry                clock skew and presigned URL lifetime (check_presigned_expiry)
  canonical_request     canonical URI, query and headers
  signing               signing key, string to sign, HMAC
  payload               payload hashes (payload_hash_needed, check_content_sha256)
  verification          verify (SigV4; SigV2 in sigv2)
  sigv2                 S3's legacy Signature Version 2
  chunk_signatures      ChunkSignatureChain for aws-chunked streaming uploads
"""

from .credentials import Credentials
from .expiry import check_presigned_expiry, signing_time
from .families import unknown_access_key, wrong_service
from .parsing import parse_credentials
from .payload import (
    EMPTY_SHA256,
    UNSIGNED_PAYLOAD,
    check_content_sha256,
    payload_hash_needed,
)

# Verification is needed only with --enforce-signatures: loaded on first use, which keeps it
# (and SigV2, and chunk signatures) out of every cold start.
_LAZY = {"verify": ".verification", "ChunkSignatureChain": ".chunk_signatures"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "signing_time",
    "Credentials",
    "parse_credentials",
    "verify",
    "check_presigned_expiry",
    "payload_hash_needed",
    "check_content_sha256",
    "unknown_access_key",
    "wrong_service",
    "ChunkSignatureChain",
    "EMPTY_SHA256",
    "UNSIGNED_PAYLOAD",
]
