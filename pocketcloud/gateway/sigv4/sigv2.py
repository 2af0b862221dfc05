"""S3's legacy Signature Version 2: canonical resource and verification (header and presigned)."""

from __future__ import annotations

import base64
import hmac
import re
from datetime import timezone
from urllib.parse import unquote


from .canonical_request import _query_value
from .expiry import MAX_SKEW_SECONDS, _skew_error, check_presigned_expiry
from .families import S3, _s3_no_date, s3_signature_mismatch
from .signing import _same_signature
from .timestamps import _DATE_ERRORS, _epoch, _parse_http_date

# Query parameters that SigV2 includes in the canonical resource (S3's sub-resources and
# response header overrides).
_V2_SUBRESOURCES = frozenset(
    (
        "accelerate",
        "acl",
        "analytics",
        "cors",
        "delete",
        "encryption",
        "intelligent-tiering",
        "inventory",
        "legal-hold",
        "lifecycle",
        "location",
        "logging",
        "metrics",
        "notification",
        "object-lock",
        "ownershipControls",
        "partNumber",
        "policy",
        "policyStatus",
        "publicAccessBlock",
        "replication",
        "requestPayment",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "restore",
        "retention",
        "select",
        "select-type",
        "storageClass",
        "tagging",
        "torrent",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
    )
)


def _v2_canonical_resource(raw_path: str, qs: str, bucket: str | None) -> str:
    resource = (f"/{bucket}" if bucket else "") + (raw_path or "/")
    subresources = []
    if qs:
        for piece in qs.split("&"):
            key, eq, value = piece.partition("=")
            if key in _V2_SUBRESOURCES:
                subresources.append((key, f"{key}={unquote(value)}" if eq else key))
    if subresources:
        subresources.sort(key=lambda kv: kv[0])
        resource += "?" + "&".join(s for _, s in subresources)
    return resource


def _verify_v2(creds, secret_key, method, raw_path, qs, headers, now, bucket) -> None:
    now_s = _epoch(now)
    amz = {k: v for k, v in headers.items() if k.startswith("x-amz-")}
    if creds.presigned:
        check_presigned_expiry(creds, now)
        # A presigned URL carries its x-amz-* "headers" in the query.
        for piece in qs.split("&"):
            key, _, value = piece.partition("=")
            lkey = key.lower()
            if lkey.startswith("x-amz-") and lkey not in amz:
                amz[lkey] = unquote(value)
        dates = [str(creds.expires)]
    else:
        when = _v2_epoch(headers)
        if when is None:
            raise _s3_no_date()
        if abs(now_s - when) > MAX_SKEW_SECONDS:
            raise _skew_error(S3, creds.amz_date or "", int(when), now_s)
        # With x-amz-date present the Date line is empty per the spec; botocore still signs
        # its own Date header there, so accept both.
        dates = [headers.get("date", "")]
        if "x-amz-date" in headers:
            dates.append("")
    names = sorted(amz)
    # SigV2 trims values and unfolds folded lines; botocore leaves inner runs of spaces
    # alone, some clients collapse them: accept both.
    amz_blocks = dict.fromkeys(
        (
            "".join(f"{k}:{_unfold(amz[k])}\n" for k in names),
            "".join(f"{k}:{' '.join(amz[k].split())}\n" for k in names),
        )
    )
    resource = _v2_canonical_resource(raw_path, qs, bucket)
    md5 = headers.get("content-md5", "") or _query_value(qs, "content-md5") or ""
    ctype = headers.get("content-type", "") or _query_value(qs, "content-type") or ""
    provided = creds.signature
    first = None
    for amz_block in amz_blocks:
        for date in dict.fromkeys(dates):
            sts = f"{method.upper()}\n{md5.strip()}\n{ctype.strip()}\n{date}\n{amz_block}{resource}"
            digest = hmac.digest(
                secret_key.encode(), sts.encode("utf-8", "surrogateescape"), "sha1"
            )
            if _same_signature(base64.b64encode(digest).decode(), provided):
                return
            first = first or sts
    raise s3_signature_mismatch(creds.access_key, first, provided)


def _unfold(value: str) -> str:
    value = value.strip()
    if "\n" in value:
        value = re.sub(r"\s*\r?\n\s*", " ", value)
    return value


def _v2_epoch(headers: dict[str, str]) -> float | None:
    value = headers.get("x-amz-date") or headers.get("date")
    if not value:
        return None
    try:
        dt = _parse_http_date(value)
        if dt is None:
            return None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return dt.timestamp()
    except _DATE_ERRORS:
        return None
