"""ChunkSignatureChain: the per-chunk signatures of a streaming (aws-chunked) SigV4 upload."""

from __future__ import annotations

import hashlib


from .credentials import Credentials
from .families import s3_signature_mismatch
from .payload import EMPTY_SHA256
from .signing import _same_signature, _scope, _sign, _signing_key


class ChunkSignatureChain:
    """Verifies the per-chunk signatures of an aws-chunked body sent with
    x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER].

    Each chunk's signature signs the previous signature (the first chunk's, the request's
    own), so chunks must be given in order, the final empty chunk included.
    """

    def __init__(self, creds: Credentials, secret_key: str):
        self._key = _signing_key(secret_key, creds.date, creds.region or "", creds.service)
        self._prefix = f"{creds.amz_date}\n{_scope(creds)}\n"
        self._previous = creds.signature.lower()
        self._access_key = creds.access_key

    def verify_chunk(self, data: bytes, signature: str) -> None:
        self.verify_chunk_hash(hashlib.sha256(data).hexdigest(), signature)

    def verify_chunk_hash(self, chunk_sha256_hex: str, signature: str) -> None:
        sts = (
            f"AWS4-HMAC-SHA256-PAYLOAD\n{self._prefix}{self._previous}\n"
            f"{EMPTY_SHA256}\n{chunk_sha256_hex}"
        )
        self._check(sts, signature)

    def verify_trailer(self, trailer: bytes, signature: str) -> None:
        """`trailer`: the trailing header lines as sent ("name:value\\n" each)."""
        sts = (
            f"AWS4-HMAC-SHA256-TRAILER\n{self._prefix}{self._previous}\n"
            f"{hashlib.sha256(trailer).hexdigest()}"
        )
        self._check(sts, signature)

    def _check(self, sts: str, signature: str) -> None:
        expected = _sign(self._key, sts)
        if not _same_signature(expected, signature.lower()):
            raise s3_signature_mismatch(self._access_key, sts, signature)
        self._previous = expected
