"""verify: recompute a request's SigV4 signature (SigV2 goes to sigv2), check the credential
scope and request time, and raise AWS's error for a mismatch."""

from __future__ import annotations

from datetime import datetime

from pocketcloud.protocol.errors import ServiceError

from .canonical_request import (
    _canonical_headers,
    _canonical_query,
    _canonical_query_raw,
    _query_value,
    _requote_plus,
    _uri_candidates,
    _uri_double_encoded,
)
from .credentials import Credentials
from .expiry import (
    MAX_SKEW_SECONDS,
    _bad_date_error,
    _skew_error,
    check_presigned_expiry,
)
from .families import (
    _EC2_AUTH_FAILURE,
    _MISMATCH_MESSAGE,
    _S3_MISMATCH_MESSAGE,
    EC2,
    S3,
    _family,
    _hex_bytes,
    _mismatch,
    _s3_header_malformed,
    _s3_query_error,
)
from .payload import UNSIGNED_PAYLOAD, _declared_payload_hash
from .signing import _same_signature, _sign, _signing_key, _string_to_sign
from .sigv2 import _verify_v2
from .timestamps import _epoch, _epoch_of_iso_basic


def verify(
    creds: Credentials,
    secret_key: str,
    method: str,
    raw_path: str,
    raw_query_string: str,
    headers: dict[str, str],
    payload_hash: str | None,
    now: datetime,
    *,
    virtual_host_bucket: str | None = None,
) -> None:
    """Recompute the request's signature with `secret_key`; raise AWS's error when it differs,
    when the request's time is out of bounds, or when the credential scope is inconsistent.

    `payload_hash` is the body's SHA-256 hex, needed only when payload_hash_needed() says so.
    `virtual_host_bucket` names the bucket of a virtual-hosted S3 request (SigV2 signs it).
    """
    if creds.version == 2:
        _verify_v2(
            creds, secret_key, method, raw_path, raw_query_string, headers, now, virtual_host_bucket
        )
        return
    family = _family(creds.service)
    now_s = _epoch(now)
    _check_scope_and_time(creds, family, now_s, now)

    payload = _declared_payload_hash(creds, headers)
    if payload is None:
        if family == S3 and not creds.presigned:
            raise ServiceError(
                "InvalidRequest",
                "Missing required header for this request: x-amz-content-sha256",
                400,
            )
        if family == S3:
            # A presigned URL cannot know its body: the query may name the hash mode.
            payload = _query_value(raw_query_string, "X-Amz-Content-Sha256") or UNSIGNED_PAYLOAD
        elif payload_hash is None:
            raise ValueError(
                "verify() needs payload_hash for this request (see payload_hash_needed)"
            )
        else:
            payload = payload_hash

    key = _signing_key(secret_key, creds.date, creds.region or "", creds.service)
    method = method.upper()
    signed_line = ";".join(creds.signed_headers)
    headers_block = _canonical_headers(creds.signed_headers, headers)
    provided = creds.signature.lower()

    # The documented canonical form first; the alternatives (other clients' encodings of the
    # same path and query) are computed only after a mismatch, so they cost nothing normally.
    uri = (raw_path or "/") if family == S3 else _uri_double_encoded(raw_path)
    query = _canonical_query(raw_query_string, creds.presigned)
    canonical = f"{method}\n{uri}\n{query}\n{headers_block}\n{signed_line}\n{payload}"
    sts = _string_to_sign(creds, canonical)
    if _same_signature(_sign(key, sts), provided):
        return
    first = (canonical, sts)
    tried = {canonical}
    for alt_uri, alt_query in _alternatives(
        uri, query, raw_path, raw_query_string, family, creds.presigned
    ):
        canonical = f"{method}\n{alt_uri}\n{alt_query}\n{headers_block}\n{signed_line}\n{payload}"
        if canonical not in tried:
            tried.add(canonical)
            if _same_signature(_sign(key, _string_to_sign(creds, canonical)), provided):
                return
    raise _signature_mismatch(creds, family, *first)


def _alternatives(primary_uri, primary_query, raw_path, qs, family, presigned):
    queries = [
        primary_query,
        _canonical_query_raw(qs, presigned),
        _canonical_query(qs, presigned, _requote_plus),
    ]
    for uri in [primary_uri] + _uri_candidates(raw_path, family):
        for query in queries:
            yield uri, query


def _check_scope_and_time(creds: Credentials, family: str, now_s: float, now: datetime) -> None:
    amz_date = creds.amz_date or ""
    signed_at = _epoch_of_iso_basic(amz_date)
    if signed_at is None:
        raise _bad_date_error(family, amz_date, creds.presigned)
    if creds.terminator != "aws4_request":
        if family == S3:
            detail = f'incorrect terminal "{creds.terminator}". This endpoint uses "aws4_request".'
            if creds.presigned:
                raise _s3_query_error(f"Error parsing the X-Amz-Credential parameter; {detail}")
            raise _s3_header_malformed(detail)
        raise _mismatch(
            family,
            "Credential should be scoped with a valid terminator: 'aws4_request', "
            f"not '{creds.terminator}'.",
        )
    if creds.date != amz_date[:8]:
        if family == S3:
            if not (len(creds.date) == 8 and creds.date.isdigit()):
                detail = (
                    f'incorrect date format "{creds.date}". This date in the credential '
                    'must be in the format "yyyyMMdd".'
                )
                if creds.presigned:
                    raise _s3_query_error(f"Error parsing the X-Amz-Credential parameter; {detail}")
                raise _s3_header_malformed(detail)
            if creds.presigned:
                raise _s3_query_error(
                    f'Invalid credential date "{creds.date}". This date is not the same as '
                    f'X-Amz-Date: "{amz_date[:8]}".'
                )
            raise _s3_header_malformed(
                "Invalid credential date. Date is not the same as X-Amz-Date."
            )
        raise _mismatch(
            family,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
            f"HTTP: '{creds.date}' != '{amz_date[:8]}', from '{amz_date}'.",
        )
    if creds.presigned:
        check_presigned_expiry(creds, now)
    elif abs(now_s - signed_at) > MAX_SKEW_SECONDS:
        raise _skew_error(family, amz_date, signed_at, now_s)


def _signature_mismatch(creds: Credentials, family: str, canonical: str, sts: str) -> ServiceError:
    if family == S3:
        return ServiceError(
            "SignatureDoesNotMatch",
            _S3_MISMATCH_MESSAGE,
            403,
            AWSAccessKeyId=creds.access_key,
            StringToSign=sts,
            SignatureProvided=creds.signature,
            StringToSignBytes=_hex_bytes(sts),
            CanonicalRequest=canonical,
            CanonicalRequestBytes=_hex_bytes(canonical),
        )
    if family == EC2:
        return ServiceError("AuthFailure", _EC2_AUTH_FAILURE, 401)
    # AWS appends what it expected, which is what makes these errors debuggable.
    message = (
        f"{_MISMATCH_MESSAGE}\n\nThe Canonical String for this request should have been\n"
        f"'{canonical}'\n\nThe String-to-Sign should have been\n'{sts}'\n"
    )
    return _mismatch(family, message)
