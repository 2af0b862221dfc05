"""Credentials from a presigned URL's query string: SigV4 (X-Amz-*) and S3's legacy SigV2
(AWSAccessKeyId, Signature, Expires)."""

from __future__ import annotations

from urllib.parse import unquote

from pocketcloud.protocol.http import PRESIGNED_QUERY_KEYS

from .authorization_header import _five_elements_message
from .credentials import Credentials
from .families import S3, _family, _incomplete, _s3_access_denied, _s3_query_error
from .signing import ALGORITHM

_V4_QUERY_KEYS = PRESIGNED_QUERY_KEYS
_V2_QUERY_KEYS = frozenset(("AWSAccessKeyId", "Signature", "Expires", "x-amz-security-token"))


def _parse_query(qs: str, service: str | None) -> Credentials | None:
    params: dict[str, str] = {}
    for piece in qs.split("&"):
        key, _, value = piece.partition("=")
        if key in _V4_QUERY_KEYS or key in _V2_QUERY_KEYS:
            params.setdefault(key, unquote(value) if "%" in value else value)
    if "X-Amz-Algorithm" in params or "X-Amz-Credential" in params or "X-Amz-Signature" in params:
        return _parse_v4_query(params, service)
    if ("AWSAccessKeyId" in params) + ("Signature" in params) + ("Expires" in params) >= 2 and (
        "SignatureVersion=" not in qs  # the retired SigV2 of the query APIs, not S3's
    ):
        return _parse_v2_query(params)
    return None


def _parse_v4_query(p: dict[str, str], service: str | None) -> Credentials:
    credential = p.get("X-Amz-Credential")
    scope = credential.split("/") if credential is not None else None
    family = _family(scope[3] if scope and len(scope) == 5 else service)
    required = (
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
    )
    if family == S3:
        if any(k not in p for k in required) or "X-Amz-Expires" not in p:
            raise _s3_query_error(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                "X-Amz-Expires parameters."
            )
        if p["X-Amz-Algorithm"] != ALGORITHM:
            raise _s3_query_error(
                'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256"'
            )
        if len(scope) != 5:
            raise _s3_query_error(
                "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
                'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
            )
        try:
            expires = int(p["X-Amz-Expires"])
        except ValueError:
            raise _s3_query_error("X-Amz-Expires should be a number") from None
    else:
        missing = [k for k in required if k not in p]
        if missing:
            raise _incomplete(
                family,
                "AWS query-string parameters must include "
                + ", ".join(f"'{k}'" for k in missing)
                + ". Re-examine the query-string parameters.",
            )
        if p["X-Amz-Algorithm"] != ALGORITHM:
            raise _incomplete(family, f"Unsupported AWS 'algorithm': '{p['X-Amz-Algorithm']}'")
        if len(scope) != 5:
            raise _incomplete(family, _five_elements_message(credential))
        try:
            expires = int(p["X-Amz-Expires"]) if "X-Amz-Expires" in p else None
        except ValueError:
            expires = None  # other services ignore X-Amz-Expires (see expiry.py)
    return Credentials(
        scope[0],
        scope[1],
        scope[2],
        scope[3],
        p["X-Amz-SignedHeaders"].split(";"),
        p["X-Amz-Signature"],
        True,
        p["X-Amz-Date"],
        expires,
        p.get("X-Amz-Security-Token"),
        4,
        scope[4],
    )


def _parse_v2_query(p: dict[str, str]) -> Credentials:
    if "AWSAccessKeyId" not in p or "Signature" not in p or "Expires" not in p:
        raise _s3_access_denied(
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId "
            "parameters"
        )
    try:
        expires = int(p["Expires"])
    except ValueError:
        raise _s3_access_denied(
            "Invalid date (should be seconds since epoch): " + p["Expires"]
        ) from None
    return Credentials(
        p["AWSAccessKeyId"],
        "",
        None,
        "",
        [],
        p["Signature"],
        True,
        None,
        expires,
        p.get("x-amz-security-token"),
        2,
        "",
    )
