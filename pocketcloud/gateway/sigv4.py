"""AWS request signatures: parse and verify SigV4 (header and presigned) and legacy S3 SigV2.

Written from AWS's Signature Version 4 documentation; stdlib only (hmac, hashlib). The gateway
calls `parse_credentials` for every request (it names the access key, region and service), then
`check_presigned_expiry` always, and `verify` when signatures are enforced.

Errors are those AWS returns, which differ by service family:

  S3           SignatureDoesNotMatch 403 (with StringToSign/CanonicalRequest fields),
               RequestTimeTooSkewed 403, AccessDenied 403 "Request has expired",
               AuthorizationHeaderMalformed 400, AuthorizationQueryParametersError 400
  EC2          AuthFailure 401, RequestExpired 400 "Request has expired."
  query (STS, IAM, SNS, RDS, ...; also CloudFront, Route 53)
               SignatureDoesNotMatch 403 (also "Signature expired: ..."), IncompleteSignature 400
  JSON 1.x     InvalidSignatureException 400, IncompleteSignatureException 400
  SQS          InvalidSignatureException 403 (its JSON protocol answers 403, like its query past)
  REST-JSON    InvalidSignatureException 403, IncompleteSignatureException 403
               (Lambda, API Gateway, EFS)

Presigned URLs: S3 honours X-Amz-Expires (1 s .. 7 days); every other service ignores it and
accepts a presigned request for the usual 15 minutes around X-Amz-Date, as AWS does.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import NoReturn
from urllib.parse import quote, unquote, unquote_to_bytes

from pocketcloud.protocol.errors import ServiceError
from pocketcloud.protocol.http import PRESIGNED_QUERY_KEYS

__all__ = [
    "Credentials",
    "parse_credentials",
    "verify",
    "check_presigned_expiry",
    "payload_hash_needed",
    "check_content_sha256",
    "unknown_access_key",
    "ChunkSignatureChain",
    "EMPTY_SHA256",
    "UNSIGNED_PAYLOAD",
]

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_SKEW_SECONDS = 15 * 60  # AWS accepts request timestamps within 15 minutes of its clock
MAX_PRESIGNED_EXPIRES = 7 * 24 * 3600  # SigV4 signing keys last at most a week


# --------------------------------------------------------------------------- service families

S3, EC2, QUERY, JSON, SQS, REST_JSON = "s3", "ec2", "query", "json", "sqs", "rest-json"

# Keyed by signing name and by botocore service name (the gateway may pass either).
_FAMILY_OF = {
    "s3": S3,
    "s3-object-lambda": S3,
    "ec2": EC2,
    "sqs": SQS,
    "lambda": REST_JSON,
    "apigateway": REST_JSON,
    "apigatewayv2": REST_JSON,
    "execute-api": REST_JSON,
    "elasticfilesystem": REST_JSON,
    "efs": REST_JSON,
    **{
        name: JSON
        for name in (
            "logs",
            "kms",
            "ecs",
            "events",
            "cloudtrail",
            "storagegateway",
            "shield",
            "waf",
            "waf-regional",
            "wafv2",
            "snowball",
            "dynamodb",
            "kinesis",
            "ssm",
            "secretsmanager",
            "ecr",
            "states",
        )
    },
}


def _family(service: str | None) -> str:
    return _FAMILY_OF.get(service or "", QUERY)


# (code, status) of a signature mismatch and of a malformed signature, per family.
_MISMATCH = {
    EC2: ("AuthFailure", 401),
    QUERY: ("SignatureDoesNotMatch", 403),
    JSON: ("InvalidSignatureException", 400),
    SQS: ("InvalidSignatureException", 403),
    REST_JSON: ("InvalidSignatureException", 403),
}
_INCOMPLETE = {
    EC2: ("IncompleteSignature", 400),
    QUERY: ("IncompleteSignature", 400),
    JSON: ("IncompleteSignatureException", 400),
    SQS: ("IncompleteSignatureException", 400),
    REST_JSON: ("IncompleteSignatureException", 403),
}

_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
_S3_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
_EC2_AUTH_FAILURE = "AWS was not able to validate the provided access credentials"


def _incomplete(family: str, message: str) -> ServiceError:
    code, status = _INCOMPLETE.get(family, _INCOMPLETE[QUERY])
    return ServiceError(code, message, status)


def _mismatch(family: str, message: str) -> ServiceError:
    code, status = _MISMATCH.get(family, _MISMATCH[QUERY])
    return ServiceError(code, message, status)


def _s3_header_malformed(detail: str) -> ServiceError:
    return ServiceError(
        "AuthorizationHeaderMalformed", f"The authorization header is malformed; {detail}", 400
    )


def _s3_query_error(message: str) -> ServiceError:
    return ServiceError("AuthorizationQueryParametersError", message, 400)


def _s3_access_denied(message: str, **fields) -> ServiceError:
    return ServiceError("AccessDenied", message, 403, **fields)


def _s3_no_date() -> ServiceError:
    return _s3_access_denied("AWS authentication requires a valid Date or x-amz-date header")


def unknown_access_key(creds: "Credentials", service: str | None = None) -> ServiceError:
    """The error AWS gives for an access key id it does not know (for the gateway's lookup)."""
    family = _family(service or creds.service or ("s3" if creds.version == 2 else None))
    if family == S3:
        return ServiceError(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            403,
            AWSAccessKeyId=creds.access_key,
        )
    if family == EC2:
        return ServiceError("AuthFailure", _EC2_AUTH_FAILURE, 401)
    if family == QUERY:
        return ServiceError(
            "InvalidClientTokenId", "The security token included in the request is invalid.", 403
        )
    status = 400 if family == JSON else 403
    return ServiceError(
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
        status,
    )


# --------------------------------------------------------------------------- credentials


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


def parse_credentials(
    method: str,
    raw_path: str,
    raw_query_string: str,
    headers: dict[str, str],
    service: str | None = None,
) -> Credentials | None:
    """Read the signature's credentials from the Authorization header or a presigned query.

    None when the request is unsigned. `service` (signing or botocore name), when the gateway
    already knows it (e.g. S3 by Host), picks the error family for a header too malformed to
    name its own service.
    """
    auth = headers.get("authorization")
    if auth is not None:
        if auth.startswith("AWS4-HMAC-SHA256 "):
            creds = _parse_v4_header(auth, headers, service)
            if "X-Amz-Algorithm=" in raw_query_string and _family(creds.service) == S3:
                raise _s3_two_mechanisms()
            return creds
        if auth.startswith("AWS ") and _family(service or "s3") == S3:
            return _parse_v2_header(auth, headers)
        return _parse_other_header(auth, headers, service)
    if raw_query_string and ("X-Amz-" in raw_query_string or "AWSAccessKeyId=" in raw_query_string):
        return _parse_query(raw_query_string, service)
    return None


def _s3_two_mechanisms() -> ServiceError:
    return ServiceError(
        "InvalidArgument",
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature "
        "query string parameter or the Authorization header should be specified",
        400,
        ArgumentName="Authorization",
    )


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
            expires = None  # other services ignore X-Amz-Expires (see module docstring)
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


# --------------------------------------------------------------------------- time


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


# --------------------------------------------------------------------------- canonical request

_PATH_SAFE = re.compile(r"[A-Za-z0-9\-._~/]*")
# A string already in canonical form has only unreserved characters and upper-case %XX
# escapes, none of which needlessly escapes an unreserved character. (Three searches with
# simple patterns run in C at memchr speed; one pattern with alternation is ~10x slower.)
_NOT_CANONICAL_CHAR = re.compile(r"[^A-Za-z0-9\-._~%]")
_NOT_CANONICAL_QS_CHAR = re.compile(r"[^A-Za-z0-9\-._~%=&]")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-F]{2})")
_ESCAPED_UNRESERVED = re.compile(r"%(?:2[DE]|3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE])")


def _is_canonical(text: str, chars: re.Pattern) -> bool:
    if chars.search(text):
        return False
    return "%" not in text or not (_BAD_ESCAPE.search(text) or _ESCAPED_UNRESERVED.search(text))


def _requote(component: str) -> str:
    """Percent-decode a raw query component, then encode it as SigV4 wants (RFC 3986:
    everything but unreserved characters, upper-case hex)."""
    if _is_canonical(component, _NOT_CANONICAL_CHAR):
        return component
    return quote(unquote_to_bytes(component), safe="~")


def _requote_plus(component: str) -> str:
    """As _requote, for a client that form-encoded spaces as '+'."""
    return _requote(component.replace("+", "%20"))


def _canonical_query(qs: str, presigned: bool, encode=_requote) -> str:
    if not qs:
        return ""
    if encode is _requote and _is_canonical(qs, _NOT_CANONICAL_QS_CHAR):
        # Already encoded the canonical way (what SDKs send): only sort it.
        pairs = []
        for piece in qs.split("&"):
            key, _, value = piece.partition("=")
            if "=" in value:  # a raw '=' inside a value must be re-encoded: slow path
                break
            if piece and not (presigned and key == "X-Amz-Signature"):
                pairs.append((key, value))
        else:
            pairs.sort()
            return "&".join([f"{k}={v}" for k, v in pairs])
    pairs = []
    for piece in qs.split("&"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        if presigned and key == "X-Amz-Signature":
            continue
        pairs.append((encode(key), encode(value)))
    pairs.sort()
    return "&".join([f"{k}={v}" for k, v in pairs])


def _canonical_query_raw(qs: str, presigned: bool) -> str:
    """The query as sent, only sorted: what a signer that trusts its own encoding produces."""
    return _canonical_query(qs, presigned, encode=str)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 dot-segment removal; AWS also collapses repeated slashes (not for S3)."""
    if "//" not in path and "/." not in path:
        return path
    out: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
        else:
            out.append(segment)
    result = "/" + "/".join(out)
    if path.endswith("/") and out:
        result += "/"
    return result


def _uri_double_encoded(raw_path: str) -> str:
    """Non-S3 canonical URI: the normalised wire path, URI-encoded once more."""
    if raw_path == "/" or not raw_path:
        return "/"
    path = _remove_dot_segments(raw_path)
    if _PATH_SAFE.fullmatch(path):
        return path
    return quote(path, safe="/~")


def _uri_candidates(raw_path: str, family: str) -> list[str]:
    """Canonical URIs to try, the one AWS documents first. The others only matter when a
    client encoded its path differently from botocore, and are tried only on a mismatch."""
    raw_path = raw_path or "/"
    decoded_reencoded = quote(unquote_to_bytes(raw_path), safe="/~")
    if family == S3:
        candidates = [raw_path, decoded_reencoded]
    else:
        candidates = [
            _uri_double_encoded(raw_path),
            quote(raw_path, safe="/~"),  # not normalised
            quote(unquote_to_bytes(_remove_dot_segments(raw_path)), safe="/~"),  # single-encoded
        ]
        if not raw_path.isascii():
            try:  # a raw path the server decoded as latin-1 rather than UTF-8
                candidates.append(quote(raw_path.encode("latin-1"), safe="/~"))
            except UnicodeEncodeError:
                pass
    return candidates


def _canonical_headers(signed: list[str], headers: dict[str, str]) -> str:
    lines = []
    for name in signed:
        lname = name.lower()
        value = headers.get(lname, "")
        # Trim, and fold inner runs of whitespace into one space.
        if "  " in value or "\t" in value or "\n" in value or value[:1] == " " or value[-1:] == " ":
            value = " ".join(value.split())
        lines.append(f"{lname}:{value}\n")
    return "".join(lines)


@lru_cache(maxsize=512)
def _signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = hmac.digest(("AWS4" + secret_key).encode(), date.encode(), "sha256")
    key = hmac.digest(key, region.encode(), "sha256")
    key = hmac.digest(key, service.encode(), "sha256")
    return hmac.digest(key, b"aws4_request", "sha256")


def _scope(creds: Credentials) -> str:
    return f"{creds.date}/{creds.region}/{creds.service}/{creds.terminator}"


def _string_to_sign(creds: Credentials, canonical_request: str) -> str:
    digest = hashlib.sha256(canonical_request.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{ALGORITHM}\n{creds.amz_date}\n{_scope(creds)}\n{digest}"


def _sign(key: bytes, string_to_sign: str) -> str:
    return hmac.digest(key, string_to_sign.encode("utf-8", "surrogateescape"), "sha256").hex()


# --------------------------------------------------------------------------- verification


def _declared_payload_hash(creds: Credentials, headers: dict[str, str]) -> str | None:
    """The x-amz-content-sha256 header, which signers put in the canonical request in place
    of the body's hash (a hex hash, UNSIGNED-PAYLOAD or a STREAMING-* mode). A presigned URL
    was signed before that header existed, so there it counts only when it was signed."""
    value = headers.get("x-amz-content-sha256")
    if value is not None and creds.presigned and "x-amz-content-sha256" not in creds.signed_headers:
        return None
    return value


def payload_hash_needed(creds: Credentials, headers: dict[str, str]) -> bool:
    """True when `verify` needs the SHA-256 hex of the body from the caller."""
    if creds.version == 2 or _declared_payload_hash(creds, headers) is not None:
        return False
    return not (creds.presigned and _family(creds.service) == S3)


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


def _query_value(qs: str, name: str) -> str | None:
    if not qs or name not in qs:
        return None
    for piece in qs.split("&"):
        key, _, value = piece.partition("=")
        if key == name:
            return unquote(value)
    return None


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


def _same_signature(expected: str, provided: str) -> bool:
    """Constant-time comparison; hmac.compare_digest raises TypeError on non-ASCII text, and a
    client's signature may be any Latin-1 (header) or Unicode (presigned query) text."""
    return provided.isascii() and hmac.compare_digest(expected, provided)


def _hex_bytes(text: str) -> str:
    return " ".join(f"{b:02x}" for b in text.encode("utf-8", "surrogateescape"))


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


# --------------------------------------------------------------------------- S3 SigV2 (legacy)

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
    raise ServiceError(
        "SignatureDoesNotMatch",
        _S3_MISMATCH_MESSAGE,
        403,
        AWSAccessKeyId=creds.access_key,
        StringToSign=first,
        SignatureProvided=provided,
        StringToSignBytes=_hex_bytes(first),
    )


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


# --------------------------------------------------------------------------- payload helpers


def check_content_sha256(headers: dict[str, str], computed_hex: str) -> None:
    """S3: the body must hash to the x-amz-content-sha256 the client declared (when it
    declared a hash rather than UNSIGNED-PAYLOAD or a STREAMING-* mode)."""
    declared = headers.get("x-amz-content-sha256")
    if declared is None or len(declared) != 64 or declared.startswith("STREAMING-"):
        return
    if declared.lower() != computed_hex:
        raise ServiceError(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            400,
            ClientComputedContentSHA256=declared,
            S3ComputedContentSHA256=computed_hex,
        )


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
            raise ServiceError(
                "SignatureDoesNotMatch",
                _S3_MISMATCH_MESSAGE,
                403,
                AWSAccessKeyId=self._access_key,
                StringToSign=sts,
                SignatureProvided=signature,
                StringToSignBytes=_hex_bytes(sts),
            )
        self._previous = expected
