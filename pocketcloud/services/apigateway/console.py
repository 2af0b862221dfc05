"""TestInvokeMethod: the console's Test button."""

from __future__ import annotations

import time

from ...protocol.http import HttpRequest
from . import rest_routes
from .common.door import Invocation
from .deployments import snapshot
from .rest_auth import Denied
from .rest_call import Call
from .rest_integrations import integrate
from .serve_rest import gateway_error
from .state import bad_request, load_api, method_of, resource_of


async def test_invoke_method(ctx, params: dict) -> dict:
    """Run a method's integration as the console's Test button does: the current (undeployed)
    configuration, no authorizer, no API key, stage "test-invoke-stage"."""
    doc = load_api(ctx, params["restApiId"])
    resource = resource_of(doc, params["resourceId"])
    method = method_of(doc, params["resourceId"], params["httpMethod"])
    if "methodIntegration" not in method:
        raise bad_request("No integration defined for method")
    path, _, query = (params.get("pathWithQueryString") or resource["path"]).partition("?")
    headers = {k.lower(): v for k, v in (params.get("headers") or {}).items()}
    for name, values in (params.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ",".join(values)
    body = params.get("body") or ""
    request = HttpRequest(params["httpMethod"].upper(), path, query, headers, body.encode())
    inv = Invocation(ctx.runtime, request, params["restApiId"], ctx.account, ctx.region, path,
                     f"{params['restApiId']}.execute-api.{ctx.region}.amazonaws.com")
    frozen = snapshot(doc)
    stage = {"stageName": "test-invoke-stage", "variables": params.get("stageVariables") or {}}
    call = Call(inv, stage, frozen, "/" + path.lstrip("/"))
    call.resource = frozen["resources"][resource["id"]]
    call.method = call.resource["resourceMethods"][method["httpMethod"]]
    call.path_params = rest_routes.match(frozen, call.path)[1]
    started = time.perf_counter()
    try:
        response = await integrate(call)
    except Denied as denied:
        response = gateway_error(inv, call, denied.kind, denied.status, denied.message, denied.key)
    latency = int((time.perf_counter() - started) * 1000)
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in response.headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    text = bytes(response.body or b"").decode("utf-8", "replace")
    log = (f"Execution log for request {inv.request_id}\n"
           f"Starting execution for request: {inv.request_id}\n"
           f"HTTP Method: {request.method}, Resource Path: {call.path}\n"
           f"Method completed with status: {response.status}\n")
    return {"status": response.status, "body": text, "headers": single, "multiValueHeaders": multi,
            "log": log, "latency": latency}
