"""Object documents: building them from request params, turning them into response fields,
conditional requests, ranges, tags, archive state."""

from __future__ import annotations

import base64
import os
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from urllib.parse import parse_qsl

from ...protocol.errors import ServiceError
from . import errors

STORAGE_CLASSES = frozenset(("STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
                             "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS", "SNOW", "EXPRESS_ONEZONE"))
ARCHIVED = frozenset(("GLACIER", "DEEP_ARCHIVE"))
HEADER_FIELDS = ("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "Expires")
MAX_METADATA_BYTES = 2048
MAX_KEY_BYTES = 1024
_EPOCH = datetime(1970, 1, 1)


def new_version_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(24)).decode("ascii")


def check_key(key: str) -> None:
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise ServiceError("KeyTooLongError", "Your key is too long", 400, Size=len(key.encode()),
                           MaxSizeAllowed=MAX_KEY_BYTES)


def check_storage_class(value: str | None) -> str:
    if value is None:
        return "STANDARD"
    if value not in STORAGE_CLASSES:
        raise ServiceError("InvalidStorageClass", "The storage class you specified is not valid", 400,
                           StorageClassRequested=value)
    return value


def check_metadata(metadata: dict | None) -> dict:
    metadata = metadata or {}
    size = sum(len(k.encode()) + len(str(v).encode()) for k, v in metadata.items())
    if size > MAX_METADATA_BYTES:
        raise ServiceError("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.", 400,
                           Size=size, MaxSizeAllowed=MAX_METADATA_BYTES)
    return {k.lower(): v for k, v in metadata.items()}


def parse_tagging_header(text: str | None) -> dict:
    if not text:
        return {}
    tags = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key in tags:
            raise ServiceError("InvalidTag", "Cannot provide multiple Tags with the same key", 400, TagKey=key)
        tags[key] = value
    check_tags(tags)
    return tags


def tag_set(tag_list: list[dict] | None, limit: int = 10) -> dict:
    tags = {}
    for tag in tag_list or []:
        key = tag.get("Key", "")
        if key in tags:
            raise ServiceError("InvalidTag", "Cannot provide multiple Tags with the same key", 400, TagKey=key)
        tags[key] = tag.get("Value", "")
    check_tags(tags, limit)
    return tags


def check_tags(tags: dict, limit: int = 10) -> None:
    if len(tags) > limit:
        if limit == 10:
            raise ServiceError("BadRequest", "Object tags cannot be greater than 10", 400)
        raise ServiceError("InvalidTag", f"Bucket tag count cannot be greater than {limit}", 400)
    for key, value in tags.items():
        if not key or len(key) > 128 or key.startswith("aws:"):
            raise ServiceError("InvalidTag", "The TagKey you have provided is invalid", 400, TagKey=key)
        if len(value) > 256:
            raise ServiceError("InvalidTag", "The TagValue you have provided is too long", 400, TagKey=key)


def tag_list(tags: dict) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


# -- what GET/HEAD answer ------------------------------------------------------------------------

def http_date(epoch: float) -> str:
    return format_datetime(datetime.fromtimestamp(int(epoch), timezone.utc), usegmt=True)


def restore_header(meta: dict, now: float) -> str | None:
    restore = meta.get("restore")
    if not restore:
        return None
    if now < restore["ready_at"]:
        return 'ongoing-request="true"'
    if now < restore["expires_at"]:
        return f'ongoing-request="false", expiry-date="{http_date(restore["expires_at"])}"'
    return None


def readable_archive(meta: dict, now: float) -> bool:
    """An archived object is readable while a completed restore has not expired."""
    restore = meta.get("restore")
    return bool(restore) and restore["ready_at"] <= now < restore["expires_at"]


def response_fields(meta: dict, checksum_mode: bool, now: float, versioned: bool) -> dict:
    out = {
        "ETag": meta["etag"],
        "LastModified": _EPOCH + timedelta(seconds=int(meta["modified"])),  # naive UTC: the fast path
        "ContentLength": meta["size"],
        "ContentType": meta.get("content_type") or "binary/octet-stream",
        "AcceptRanges": "bytes",
    }
    headers = meta.get("headers")
    if headers:
        out.update(headers)
    if meta.get("metadata"):
        out["Metadata"] = meta["metadata"]
    if meta.get("storage_class", "STANDARD") != "STANDARD":
        out["StorageClass"] = meta["storage_class"]
    if versioned or meta.get("version_id", "null") != "null":
        out["VersionId"] = meta["version_id"]
    if meta.get("tags"):
        out["TagCount"] = len(meta["tags"])
    if meta.get("parts"):
        out["PartsCount"] = meta["parts"]
    if meta.get("redirect"):
        out["WebsiteRedirectLocation"] = meta["redirect"]
    if meta.get("restore"):
        restore = restore_header(meta, now)
        if restore:
            out["Restore"] = restore
    if meta.get("expiration"):
        out["Expiration"] = meta["expiration"]
    if checksum_mode and meta.get("checksum_algorithm"):
        out["Checksum" + meta["checksum_algorithm"]] = meta["checksum"]
        out["ChecksumType"] = meta.get("checksum_type", "FULL_OBJECT")
    return out


# -- conditions ------------------------------------------------------------------------------------

def _etag_matches(header: str, etag: str) -> bool:
    bare = etag.strip('"')
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.strip('"') == bare or candidate.removeprefix("W/").strip('"') == bare:
            return True
    return False


def _epoch(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def check_read_conditions(meta: dict, if_match, if_none_match, if_modified_since, if_unmodified_since,
                          now: float, copy: bool = False) -> None:
    """RFC 7232 as S3 applies it: If-Match beats If-Unmodified-Since, If-None-Match beats
    If-Modified-Since; 412 for the first pair, 304 (412 for copies) for the second."""
    modified = int(meta["modified"])
    if if_match is not None:
        if not _etag_matches(if_match, meta["etag"]):
            raise errors.precondition_failed("If-Match")
    elif if_unmodified_since is not None and modified > _epoch(if_unmodified_since):
        raise errors.precondition_failed("If-Unmodified-Since")
    if if_none_match is not None:
        if _etag_matches(if_none_match, meta["etag"]):
            raise errors.precondition_failed("If-None-Match") if copy else errors.not_modified()
    elif if_modified_since is not None:
        since = _epoch(if_modified_since)
        if since <= now and modified <= since:
            raise errors.precondition_failed("If-Modified-Since") if copy else errors.not_modified()


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of a single "bytes=" range; None to send the whole object (no
    range, or one S3 ignores); InvalidRange (416) when it cannot be satisfied."""
    if not header:
        return None
    header = header.strip()
    if not header.startswith("bytes=") or "," in header:
        return None
    first, sep, last = header[6:].strip().partition("-")
    if not sep:
        return None
    try:
        if first == "":
            if not last:
                return None
            suffix = int(last)
            if suffix == 0:
                raise _invalid_range(size)
            return max(0, size - suffix), size
        start = int(first)
        end = int(last) + 1 if last else size
    except ValueError:
        return None
    if last and end <= start:
        return None  # bytes=5-3: syntactically invalid, ignored
    if start >= size:
        raise _invalid_range(size)
    return start, min(end, size)


def _invalid_range(size: int) -> ServiceError:
    return ServiceError("InvalidRange", "The requested range is not satisfiable", 416,
                        RangeRequested="bytes", ActualObjectSize=size,
                        __headers__={"Content-Range": f"bytes */{size}"})
