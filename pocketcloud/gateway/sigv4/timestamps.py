"""Timestamps: parse HTTP and ISO 8601 basic dates, convert to and from epoch seconds."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timezone
from functools import lru_cache

# What email.utils and datetime raise on a junk or out-of-range date ("+99999999999999999999"
# offsets and years overflow C ints; year 9999 at -2359 overflows on conversion to UTC).
_DATE_ERRORS = (TypeError, ValueError, IndexError, OverflowError)


def _parse_http_date(value: str):
    # Date headers are rare (SigV2, some SDKs without X-Amz-Date): email.utils loads late.
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(value)


def _iso_from_http_date(value: str) -> str | None:
    """An RFC 1123 Date header as the ISO 8601 basic timestamp SigV4 signs with."""
    try:
        dt = _parse_http_date(value)
        if dt is None:
            return None
        if dt.tzinfo is not None:
            dt = dt.astimezone(timezone.utc)
    except _DATE_ERRORS:
        return value if _ISO_BASIC.fullmatch(value) else None
    return dt.strftime("%Y%m%dT%H%M%SZ")


_ISO_BASIC = re.compile(r"\d{8}T\d{6}Z")


@lru_cache(maxsize=1024)
def _epoch_of_iso_basic(value: str) -> int | None:
    """Epoch seconds of a YYYYMMDD'T'HHMMSS'Z' timestamp; None when it is not one."""
    if len(value) != 16 or not _ISO_BASIC.fullmatch(value):
        return None
    try:
        dt = datetime(
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[9:11]),
            int(value[11:13]),
            int(value[13:15]),
        )
    except ValueError:
        return None
    return calendar.timegm(dt.timetuple())


def _epoch(now: datetime) -> float:
    if now.tzinfo is None:  # a naive clock reading is taken to be UTC
        return calendar.timegm(now.timetuple()) + now.microsecond / 1e6
    return now.timestamp()


def _iso_basic(epoch: float) -> str:
    return _format_epoch(epoch, "%Y%m%dT%H%M%SZ")


def _iso_extended(epoch: float) -> str:
    return _format_epoch(epoch, "%Y-%m-%dT%H:%M:%SZ")


def _format_epoch(epoch: float, fmt: str) -> str:
    try:
        return datetime.fromtimestamp(int(epoch), timezone.utc).strftime(fmt)
    except (OverflowError, OSError, ValueError):
        # A client's epoch beyond datetime's years (a SigV2 URL's Expires=-99999999999999):
        # still say what it was rather than fail.
        return str(int(epoch))
