"""Time limits: clock skew of header-signed requests and the lifetime of presigned URLs.

Presigned URLs: S3 honours X-Amz-Expires (1 s .. 7 days); every other service ignores it and
accepts a presigned request for the usual 15 minutes around X-Amz-Date, as AWS does.
"""

from __future__ import annotations

from datetime import datetime

from pocketcloud.protocol.errors import ServiceError

from .credentials import Credentials
from .families import (
    EC2,
    S3,
    _family,
    _incomplete,
    _mismatch,
    _s3_access_denied,
    _s3_no_date,
    _s3_query_error,
)
from .timestamps import _epoch, _epoch_of_iso_basic, _iso_basic, _iso_extended

MAX_SKEW_SECONDS = 15 * 60  # AWS accepts request timestamps within 15 minutes of its clock
MAX_PRESIGNED_EXPIRES = 7 * 24 * 3600  # SigV4 signing keys last at most a week


def _skew_error(family: str, amz_date: str, signed_at: int, now: float) -> ServiceError:
    """The error for a header-signed request stamped more than 15 minutes from `now`."""
    if family == S3:
        return ServiceError(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            403,
            RequestTime=amz_date,
            ServerTime=_iso_extended(now),
            MaxAllowedSkewMilliseconds=str(MAX_SKEW_SECONDS * 1000),
        )
    if family == EC2:
        return ServiceError("RequestExpired", "Request has expired.", 400)
    if signed_at < now:
        message = (
            f"Signature expired: {amz_date} is now earlier than "
            f"{_iso_basic(now - MAX_SKEW_SECONDS)} ({_iso_basic(now)} - 15 min.)"
        )
    else:
        message = (
            f"Signature not yet current: {amz_date} is still later than "
            f"{_iso_basic(now + MAX_SKEW_SECONDS)} ({_iso_basic(now)} + 15 min.)"
        )
    return _mismatch(family, message)


def _bad_date_error(family: str, amz_date: str, presigned: bool) -> ServiceError:
    if family == S3:
        if presigned:
            return _s3_query_error(
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
            )
        return _s3_no_date()
    return _incomplete(
        family,
        f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601",
    )


def signing_time(creds: Credentials) -> float | None:
    """When a SigV4 signature says it was made (epoch seconds), if it says so readably."""
    if creds.version != 4 or not creds.amz_date:
        return None
    return _epoch_of_iso_basic(creds.amz_date)


def check_presigned_expiry(
    creds: Credentials | None, now: datetime, service: str | None = None
) -> None:
    """Reject an expired (or not yet valid) presigned URL. Done even when signatures are not
    enforced, because a URL's lifetime is part of what the user is testing."""
    if creds is None or not creds.presigned:
        return
    now_s = _epoch(now)
    if creds.version == 2:
        if creds.expires is not None and now_s > creds.expires:
            raise _s3_access_denied(
                "Request has expired",
                Expires=_iso_extended(creds.expires),
                ServerTime=_iso_extended(now_s),
            )
        return
    family = _family(service or creds.service)
    signed_at = _epoch_of_iso_basic(creds.amz_date or "")
    if signed_at is None:
        raise _bad_date_error(family, creds.amz_date or "", True)
    if family != S3:
        # Other services ignore X-Amz-Expires: a presigned request lives 15 minutes.
        if abs(now_s - signed_at) > MAX_SKEW_SECONDS:
            raise _skew_error(family, creds.amz_date, signed_at, now_s)
        return
    expires = creds.expires if creds.expires is not None else 0
    if expires > MAX_PRESIGNED_EXPIRES:
        raise _s3_query_error(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given "
            "X-Amz-Expires must be less than 604800 seconds"
        )
    if expires < 0:
        raise _s3_query_error("X-Amz-Expires must be non-negative")
    if signed_at - now_s > MAX_SKEW_SECONDS:
        raise _s3_access_denied(
            "Request is not yet valid",
            **{
                "X-Amz-Date": str(signed_at * 1000),  # S3 really answers in epoch milliseconds
                "Expires": _iso_extended(signed_at + expires),
                "ServerTime": _iso_extended(now_s),
            },
        )
    if now_s > signed_at + expires:
        raise _s3_access_denied(
            "Request has expired",
            **{
                "X-Amz-Expires": str(expires),
                "Expires": _iso_extended(signed_at + expires),
                "ServerTime": _iso_extended(now_s),
            },
        )
