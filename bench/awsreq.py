"""Real AWS requests for the benchmarks, made by boto3 itself.

`signed_request` lets boto3 build and SigV4-sign a call exactly as it would send it (headers,
form body, signature over the Host it will use), then captures it before it reaches the network
so wrk or a probe can replay it. `stubbed_client` is a boto3 client whose transport is replaced
by a canned answer: it measures what boto3 itself costs per call, without any server.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSResponse
from botocore.config import Config

CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}

# (service, operation method, operation name, marker a successful answer contains)
WORKLOADS = {
    "sts GetCallerIdentity": ("sts", "get_caller_identity", "GetCallerIdentity", b"<Arn>"),
    "ec2 DescribeAvailabilityZones": ("ec2", "describe_availability_zones", "DescribeAvailabilityZones",
                                      b"<availabilityZoneInfo>"),
}

STS_ANSWER = (
    b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    b"<GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:root</Arn><UserId>000000000000</UserId>"
    b"<Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata>"
    b"<RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>"
    b"</GetCallerIdentityResponse>"
)


@dataclass
class Signed:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    marker: bytes


class _Captured(Exception):
    def __init__(self, request):
        self.request = request


def client(service: str, port: int, **config):
    return boto3.session.Session().client(
        service, endpoint_url=f"http://127.0.0.1:{port}",
        config=Config(retries={"max_attempts": 1}, **config), **CREDENTIALS,
    )


def signed_request(workload: str, port: int) -> Signed:
    service, method, _operation, marker = WORKLOADS[workload]
    return capture(client(service, port), method, port, marker)


def capture(api, method: str, port: int | None = None, marker: bytes = b"", **params) -> Signed:
    """The request boto3 signs for `api.<method>(**params)`, captured before it is sent. With
    `port`, Host names 127.0.0.1:<port> (what wrk will connect to)."""
    def hook(request, **_):
        raise _Captured(request)

    api.meta.events.register("before-send", hook)
    try:
        getattr(api, method)(**params)
    except _Captured as got:
        request = got.request
    else:  # pragma: no cover - the hook always fires
        raise RuntimeError("boto3 sent nothing")
    finally:
        api.meta.events.unregister("before-send", hook)
    body = request.body or b""
    body = body.encode() if isinstance(body, str) else bytes(body)
    headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
    if port is not None:
        # botocore's headers already hold a "host": replace it (whatever its case), or the
        # request would carry two Host headers.
        headers = {k: v for k, v in headers.items() if k.lower() != "host"}
        headers["Host"] = f"127.0.0.1:{port}"
    url = urlsplit(request.url)
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    return Signed(request.method, path, headers, body, marker)


def replayable(signed: Signed) -> tuple[str, dict[str, str], str]:
    """(path, headers, body text) for a wrk Lua script, which sets Content-Length itself."""
    headers = {k: v for k, v in signed.headers.items() if k.lower() != "content-length"}
    return signed.path, headers, signed.body.decode()


class _CannedRaw:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_):
        yield self._body


def stubbed_client(port: int = 9):
    """An STS client answering GetCallerIdentity from memory: boto3's own per-call cost."""
    api = client("sts", port)

    def answer(request, **_):
        return AWSResponse(request.url, 200, {"Content-Type": "text/xml"}, _CannedRaw(STS_ANSWER))

    api.meta.events.register("before-send.sts.GetCallerIdentity", answer)
    return api
