"""AWS service integrations: API Gateway calling another service's API for a method (REST
`AWS` integrations such as `arn:aws:apigateway:us-east-1:sqs:path/000000000000/orders` or
`...:dynamodb:action/PutItem`) or a route (HTTP API `AWS_PROXY` with an IntegrationSubtype
such as `SQS-SendMessage`).

REST integrations send the mapped request, SigV4-signed for the API's account, through this
server's own gateway in process (so the service sees exactly the HTTP request AWS would send:
`action/X` adds `Action=X` for query services or the `X-Amz-Target` header for JSON ones).
HTTP API subtypes call the operation in process with the mapped parameters.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from urllib.parse import urlencode

from ....protocol import specs
from ....protocol.errors import ServiceError

_URI = re.compile(r"^arn:aws[\w-]*:apigateway:([\w-]+):(?:[\w-]+\.)?([\w-]+):(path|action)/(.*)$")
# HTTP API subtype prefixes -> service names.
_SUBTYPE_SERVICES = {"SQS": "sqs", "EventBridge": "events", "Kinesis": "kinesis", "StepFunctions": "stepfunctions",
                     "AppConfig": "appconfigdata"}


class NotAService(Exception):
    """The URI names no service this server knows."""


def _service(prefix: str) -> tuple[str, dict]:
    services = specs.index()["services"]
    for name, info in services.items():
        if prefix in (name, info.get("endpointPrefix"), info.get("signingName")):
            return name, info
    raise NotAService(prefix)


async def call_rest(gateway, account: str, uri: str, method: str, headers: dict[str, str],
                    query: list[tuple[str, str]], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send a REST `AWS` integration's request to the named service through the gateway."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    match = _URI.match(uri or "")
    if match is None:
        raise NotAService(uri)
    region, prefix, kind, rest = match.groups()
    service, info = _service(prefix)
    headers = dict(headers)
    query = list(query)
    path = "/"
    if kind == "action":
        action, _, extra = rest.partition("?")
        if info["protocols"][0] in ("json",):
            headers.setdefault("X-Amz-Target", f"{info['targetPrefix']}.{action}")
            headers.setdefault("Content-Type", f"application/x-amz-json-{info.get('jsonVersion', '1.0')}")
        else:
            query = [("Action", action), ("Version", info["apiVersion"]), *query]
        if extra:
            query.extend(tuple(p.partition("=")[::2]) for p in extra.split("&") if p)
    else:
        path = "/" + rest
    host = f"{info.get('endpointPrefix') or prefix}.{region}.amazonaws.com"
    query_string = urlencode(query)
    request = AWSRequest(method=method, url=f"http://{host}{path}" + (f"?{query_string}" if query_string else ""),
                         data=body, headers={**headers, "Host": host})
    # The API's own account signs (a 12-digit access key id is that account, secret "test").
    SigV4Auth(Credentials(account, "test"), info["signingName"], region).add_auth(request)
    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "scheme": "http",
             "query_string": query_string.encode(), "http_version": "1.1", "client": ("127.0.0.1", 0),
             "headers": [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in request.headers.items()]}
    sent = [False]

    async def receive():
        if sent[0]:
            return {"type": "http.disconnect"}
        sent[0] = True
        return {"type": "http.request", "body": body or b"", "more_body": False}

    answer: dict = {"status": 500, "headers": [], "body": []}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            answer["body"].append(message.get("body", b""))

    await gateway.handle_http(scope, receive, send)
    return answer["status"], answer["headers"], b"".join(answer["body"])


def _json_default(value):
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return str(value)


async def call_subtype(runtime, subtype: str, params: dict, account: str, region: str) -> tuple[int, bytes]:
    """(status, JSON body) of an HTTP API service integration (`SQS-SendMessage`...)."""
    prefix, _, operation = subtype.partition("-")
    service = _SUBTYPE_SERVICES.get(prefix)
    if service is None or not operation:
        raise NotAService(subtype)
    try:
        output = await runtime.providers.call(service, operation, params, account, region)
    except LookupError:
        raise NotAService(subtype) from None
    except ServiceError as exc:
        return exc.status, json.dumps({"message": exc.message, "__type": exc.code}).encode()
    output = {k: v for k, v in (output or {}).items() if not k.startswith("__")}
    return 200, json.dumps(output, default=_json_default).encode()
