"""Credentials from an Authorization header: SigV4, S3's legacy SigV2 ("AWS key:signature"),
and AWS's complaints about any other scheme or a malformed header."""

from __future__ import annotations

from typing import NoReturn

from pocketcloud.protocol.errors import ServiceError

from .credentials import Credentials
from .families import EC2, S3, _family, _incomplete, _s3_header_malformed, _s3_no_date
from .timestamps import _iso_from_http_date


def _parse_v4_header(auth: str, headers: dict[str, str], service: str | None) -> Credentials:
    credential = signed = signature = None
    for part in auth[17:].split(","):
        key, eq, value = part.strip().partition("=")
        if not eq:
            if not key:
                continue
            raise _malformed_pair(key, auth, service or ("s3" if "/s3/" in auth else None))
        if key == "Credential":
            credential = value
        elif key == "SignedHeaders":
            signed = value
        elif key == "Signature":
            signature = value
    amz_date = headers.get("x-amz-date")
    if amz_date is None and "date" in headers:
        amz_date = _iso_from_http_date(headers["date"])
    scope = credential.split("/") if credential is not None else None  # "Credential=" too
    family = _family(scope[3] if scope and len(scope) == 5 else service)
    if credential is None or signed is None or signature is None or amz_date is None:
        if family == S3:
            if credential is None or signed is None or signature is None:
                raise _s3_header_malformed(
                    "the authorization header requires three components: Credential, "
                    "SignedHeaders, and Signature."
                )
            raise _s3_no_date()
        raise _incomplete(
            family, _missing_parts_message(credential, signed, signature, amz_date, auth)
        )
    if len(scope) != 5:
        if family == S3:
            raise _s3_header_malformed(
                'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/'
                'aws4_request".'
            )
        error = _incomplete(family, _five_elements_message(credential))
        if family == EC2:
            error = ServiceError("AuthFailure", error.message, 401)
        raise error
    return Credentials(
        scope[0],
        scope[1],
        scope[2],
        scope[3],
        signed.split(";"),
        signature,
        False,
        amz_date,
        None,
        headers.get("x-amz-security-token"),
        4,
        scope[4],
    )


def _malformed_pair(piece: str, auth: str, service: str | None) -> ServiceError:
    if _family(service) == S3:
        return _s3_header_malformed(f'the authorization component "{piece}" is malformed.')
    return _incomplete(
        _family(service),
        f"'{piece}' not a valid key=value pair (missing equal-sign) in Authorization header: "
        f"'{auth}'.",
    )


def _missing_parts_message(credential, signed, signature, amz_date, auth: str) -> str:
    missing = []
    if credential is None:
        missing.append("Authorization header requires 'Credential' parameter.")
    if signature is None:
        missing.append("Authorization header requires 'Signature' parameter.")
    if signed is None:
        missing.append("Authorization header requires 'SignedHeaders' parameter.")
    if amz_date is None:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    return " ".join(missing) + f" Authorization={auth}"


def _five_elements_message(credential: str) -> str:
    return (
        "Credential must have exactly 5 slash-delimited elements, e.g. "
        f"keyid/date/region/service/term, got '{credential}'"
    )


def _parse_other_header(auth: str, headers: dict[str, str], service: str | None) -> NoReturn:
    """An Authorization header that is neither SigV4 nor (for S3) SigV2: say what AWS says."""
    family = _family(service)
    if family == S3:
        raise ServiceError(
            "InvalidArgument",
            "Unsupported Authorization Type",
            400,
            ArgumentName="Authorization",
            ArgumentValue=auth,
        )
    # Other services parse "<scheme> k=v, k=v" whatever the scheme and complain about the
    # first piece that is not a pair, else about the missing parameters.
    _scheme, _, rest = auth.partition(" ")
    found = {}
    for part in rest.split(","):
        key, eq, value = part.strip().partition("=")
        if not key:
            continue
        if not eq:
            raise _malformed_pair(key, auth, service)
        found[key] = value
    amz_date = headers.get("x-amz-date") or headers.get("date")
    raise _incomplete(
        family,
        _missing_parts_message(
            found.get("Credential"),
            found.get("SignedHeaders"),
            found.get("Signature"),
            amz_date,
            auth,
        ),
    )


def _parse_v2_header(auth: str, headers: dict[str, str]) -> Credentials:
    access_key, colon, signature = auth[4:].strip().rpartition(":")
    if not colon or not access_key or not signature:
        raise ServiceError(
            "InvalidArgument",
            "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
            400,
            ArgumentName="Authorization",
            ArgumentValue=auth,
        )
    date = headers.get("x-amz-date") or headers.get("date")
    if date is None:
        raise _s3_no_date()
    return Credentials(
        access_key,
        "",
        None,
        "",
        [],
        signature,
        False,
        date,
        None,
        headers.get("x-amz-security-token"),
        2,
        "",
    )
