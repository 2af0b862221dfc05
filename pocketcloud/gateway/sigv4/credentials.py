"""Credentials: what a request's signature (SigV4 or SigV2) says about who signed it and how."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Credentials:
    """What a request's signature says about who signed it and how.

    SigV4: date is the credential scope's YYYYMMDD, amz_date the signing timestamp
    (YYYYMMDD'T'HHMMSS'Z'), expires the presigned X-Amz-Expires seconds.
    SigV2 (legacy S3, version=2): region is None, service and date are "", amz_date is the
    Date/x-amz-date header as sent, and expires is the presigned URL's Expires epoch second.
    """

    access_key: str
    date: str
    region: str | None
    service: str
    signed_headers: list[str]
    signature: str
    presigned: bool
    amz_date: str | None
    expires: int | None
    security_token: str | None = None
    version: int = 4
    terminator: str = "aws4_request"
