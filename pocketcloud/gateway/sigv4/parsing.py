"""parse_credentials: find a request's signature (Authorization header or presigned query) and
read its credentials. Called for every request, so it dispatches straight to the form's parser."""

from __future__ import annotations

from pocketcloud.protocol.errors import ServiceError

from .authorization_header import (
    _parse_other_header,
    _parse_v2_header,
    _parse_v4_header,
)
from .credentials import Credentials
from .families import S3, _family
from .presigned_query import _parse_query


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
