"""Queue URLs and ARNs.

A queue URL is `<endpoint>/<account>/<name>`: the endpoint the client used (its Host header),
so the URL works when fetched. Lookups read only the last two path segments, so URLs built for
another host (AWS's `https://sqs.<region>.amazonaws.com/...`, `sqs.<region>.localhost...`)
find the same queue; a region named in the host wins over the request's region.
"""

from __future__ import annotations

import re

from pocketcloud.protocol.errors import ServiceError

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
_endpoint = [DEFAULT_ENDPOINT]  # set by the provider from the server's settings

# sqs.<region>.<domain> (AWS's and most local clouds' form) or <region>.queue.<domain> (legacy).
_REGION_IN_HOST = re.compile(r"^(?:sqs\.([a-z]{2}(?:-[a-z]+)+-\d+)\.|([a-z]{2}(?:-[a-z]+)+-\d+)\.queue\.)")
_ACCOUNT = re.compile(r"^\d{12}$")


def set_default_endpoint(endpoint: str) -> None:
    _endpoint[0] = endpoint.rstrip("/")


def queue_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:sqs:{region}:{account}:{name}"


def queue_url(account: str, region: str, name: str, endpoint: str | None = None) -> str:
    """The URL of a queue (region is implied by the request that uses it)."""
    return f"{(endpoint or _endpoint[0])}/{account}/{name}"


def queue_url_from_arn(arn: str, endpoint: str | None = None) -> str:
    _, account, region, name = split_arn(arn)
    return queue_url(account, region, name, endpoint)


def split_arn(arn: str) -> tuple[str, str, str, str]:
    """(partition, account, region, name) of an SQS queue ARN; ValueError when it is not one."""
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs" or not parts[5]:
        raise ValueError(f"not an SQS queue ARN: {arn!r}")
    return parts[1], parts[4], parts[3], parts[5]


def endpoint_of(request) -> str:
    """The endpoint a client reached us at: scheme and Host of its request."""
    host = request.headers.get("host") if request is not None else None
    if not host:
        return _endpoint[0]
    scheme = request.headers.get("x-forwarded-proto", "http")
    return f"{scheme}://{host}"


def parse_queue_url(url: str, default_region: str) -> tuple[str, str, str]:
    """(account, region, name) named by a queue URL; InvalidAddress when it names none."""
    rest = url
    host = ""
    if "://" in url:
        host, _, rest = url.split("://", 1)[1].partition("/")
    segments = [s for s in rest.split("?", 1)[0].split("/") if s]
    if len(segments) != 2 or not _ACCOUNT.match(segments[0]):
        raise ServiceError("InvalidAddress", f"The address {url} is not valid for this endpoint.", 404)
    match = _REGION_IN_HOST.match(host.lower())
    region = (match.group(1) or match.group(2)) if match else default_region
    return segments[0], region, segments[1]
