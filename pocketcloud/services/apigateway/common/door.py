"""The invoke-URL front door: every deployed stage of every REST (v1) and HTTP (v2) API.

Requests arrive two ways (gateway/frontdoors.py):
  Host `<api-id>.execute-api.<region>.amazonaws.com` (or `<api-id>.execute-api.<anything>`,
  e.g. localhost), path `/<stage>/<path>` (HTTP APIs' `$default` stage: `/<path>`);
  path form `/_aws/execute-api/<api-id>/<stage>/<path>` for clients that cannot set Host.
The API id is looked up in the global index (common/index.py) to find its account and region,
and the request is served by the flavour that owns it.
"""

from __future__ import annotations

import logging

from ....gateway.body import read_body
from ....gateway.ids import new_request_id
from ....protocol.errors import ServiceError
from . import index, reset
from .replies import client_ip, json_reply

log = logging.getLogger("pocketcloud.apigateway")

PATH_PREFIX = "/_aws/execute-api/"


class Invocation:
    """One request to an invoke URL, once the API it targets is known."""

    __slots__ = ("request", "api_id", "account", "region", "path", "domain", "request_id", "runtime", "_trace",
                 "stage", "gateway")

    def __init__(self, runtime, request, api_id, account, region, path, domain):
        self.runtime = runtime
        self.request = request
        self.api_id = api_id
        self.account = account
        self.region = region
        self.path = path  # after the API id: "/<stage>/..." (still percent-encoded)
        self.domain = domain
        self.request_id = new_request_id()
        self._trace = None
        self.stage: str | None = None  # set when a custom domain's mapping names the stage
        self.gateway = None  # the ASGI gateway, for integrations that call other services' APIs

    @property
    def trace_id(self) -> str:
        if self._trace is None:
            self._trace = f"Root=1-{int(self.runtime.clock.time()):08x}-{self.request_id.replace('-', '')[:24]}"
        return self._trace

    def forwarded_headers(self) -> dict[str, str]:
        """The request's headers as API Gateway hands them on: X-Forwarded-For/Port/Proto and a
        trace id added (lower-case names)."""
        headers = dict(self.request.headers)
        ip = client_ip(self.request)
        headers["x-forwarded-for"] = f"{headers['x-forwarded-for']}, {ip}" if "x-forwarded-for" in headers else ip
        _, _, port = headers.get("host", "").rpartition(":")
        headers.setdefault("x-forwarded-port", port if port.isdigit() else "80")
        headers.setdefault("x-forwarded-proto", "http")
        headers.setdefault("x-amzn-trace-id", self.trace_id)
        return headers


def _target(request) -> tuple[str, str, str] | None:
    """(api id, path after it, domain name) or None."""
    if request.path.startswith(PATH_PREFIX):
        rest = request.path[len(PATH_PREFIX):]
        api_id, slash, path = rest.partition("/")
        return api_id, slash + path, ""
    host = request.headers.get("host", "").split(":")[0]
    api_id, marker, _ = host.partition(".execute-api.")
    if not marker or not api_id:
        return None
    return api_id.split(".")[-1], request.path, host


async def handle(gateway, request, receive):
    # The door may serve (and cache) before either provider is loaded, e.g. after a restart:
    # it subscribes the caches to resets itself.
    reset.subscribe(gateway.runtime)
    try:
        target = _target(request)
        found = index.lookup(gateway.runtime.store, target[0]) if target else None
        if found is None:
            return json_reply(404, {"message": "Not Found"}, new_request_id())
        api_id, path, domain = target
        account, region, version = found
        domain = domain or f"{api_id}.execute-api.{region}.amazonaws.com"
        try:
            await read_body(request, receive, gateway.settings.max_body_bytes)
        except ServiceError:
            return json_reply(413, {"message": "Request Too Long"}, new_request_id())
        invocation = Invocation(gateway.runtime, request, api_id, account, region, path or "/", domain)
        invocation.gateway = gateway
        if version == 1:
            from ..serve_rest import serve
        elif version == 2:
            from ...apigatewayv2.serve import serve
        else:
            from .domains import serve
        return await serve(invocation)
    except Exception:  # a bug of ours: answer as API Gateway does, never a traceback
        log.exception("invoke URL %s %s failed", request.method, request.path)
        return json_reply(500, {"message": "Internal server error"}, new_request_id())
