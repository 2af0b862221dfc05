"""The integrations of a REST API method: AWS_PROXY and AWS (Lambda), HTTP and HTTP_PROXY,
MOCK; request and response mapping templates and integration responses."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

from ...protocol.http import HttpResponse
from . import vtl
from .common import aws_service
from .common.outbound import (HOP_BY_HOP, IntegrationFailure, IntegrationTimeout, forward_http, function_arn,
                               invoke_lambda)
from .common.proxy_response import parse_proxy_response
from .common.replies import client_ip, matches_media_type, stage_substitute
from .rest_auth import Denied
from .rest_call import Call, headers_out, static_or_lookup, title_case


async def integrate(call: Call) -> HttpResponse:
    integration = call.method["methodIntegration"]
    kind = integration["type"]
    if kind == "AWS_PROXY":
        return await _lambda_proxy(call, integration)
    if kind == "HTTP_PROXY":
        return await _http_proxy(call, integration)
    if kind == "MOCK":
        return await _mock(call, integration)
    if kind == "HTTP":
        return await _http(call, integration)
    if kind == "AWS" and function_arn(integration.get("uri", "")):
        return await _lambda_custom(call, integration)
    if kind == "AWS":
        return await _aws_service(call, integration)
    raise Denied("API_CONFIGURATION_ERROR", 500, "Internal server error")


async def _aws_service(call: Call, integration: dict) -> HttpResponse:
    """Another service's API behind the method (SQS, DynamoDB, S3, Step Functions...)."""
    uri, headers, query = _target_url(call, integration)
    body = _request_body(call, integration)
    if call.inv.gateway is None:
        raise Denied("API_CONFIGURATION_ERROR", 500, "Internal server error")
    try:
        status, out_headers, out_body = await aws_service.call_rest(
            call.inv.gateway, call.inv.account, uri, integration.get("httpMethod") or "POST", headers,
            list(query.items()), body)
    except aws_service.NotAService:
        raise Denied("API_CONFIGURATION_ERROR", 500, "Internal server error") from None
    lowered = {k.lower(): v for k, v in out_headers}
    return _integration_reply(call, integration, str(status), out_body.decode("utf-8", "replace"), lowered)


# -- AWS_PROXY ---------------------------------------------------------------------------------

async def _lambda_proxy(call: Call, integration: dict) -> HttpResponse:
    arn = function_arn(_stage_substitute(integration.get("uri", ""), call))
    if arn is None:
        raise Denied("API_CONFIGURATION_ERROR", 500, "Internal server error")
    try:
        payload, error = await invoke_lambda(call.inv.runtime, arn, json.dumps(call.proxy_event()).encode(),
                                             call.inv.account, call.inv.region, integration.get("timeoutInMillis"),
                                             call.method_arn())
    except IntegrationTimeout:
        raise Denied("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out") from None
    except IntegrationFailure:
        raise Denied("INTEGRATION_FAILURE", 500, "Internal server error") from None
    if error:
        raise Denied("INTEGRATION_FAILURE", 502, "Internal server error")
    # A base64 body is decoded only when the client accepts one of the API's binary media types.
    accept = call.inv.request.headers.get("accept", "").split(",")
    decode = any(matches_media_type(a, call.snapshot["api"].get("binaryMediaTypes")) for a in accept)
    parsed = parse_proxy_response(payload, decode)
    if parsed is None:
        raise Denied("INTEGRATION_FAILURE", 502, "Internal server error")
    status, headers, body = parsed
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.insert(0, ("Content-Type", "application/json"))
    return HttpResponse(status, headers_out(call, headers), body)


# -- integrations with mapping templates -------------------------------------------------------

def _request_body(call: Call, integration: dict) -> bytes:
    """The integration request body: the matching request template's output, or the body
    passed through as passthroughBehavior allows."""
    request = call.inv.request
    templates = integration.get("requestTemplates") or {}
    content_type = (request.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    template = templates.get(content_type)
    if template is None:
        behavior = integration.get("passthroughBehavior") or "WHEN_NO_MATCH"
        if behavior == "NEVER" or (behavior == "WHEN_NO_TEMPLATES" and templates):
            raise Denied("UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Media Type")
        return request.body
    return _render(call, template, request.body.decode("utf-8", "replace")).encode()


def _render(call: Call, template: str, body: str, overrides: dict | None = None) -> str:
    """Evaluate a mapping template; `overrides` receives what it set in $context.responseOverride."""
    if vtl.is_static(template):  # most mock templates: no variables to build
        return template
    variables = call.template_variables(body)
    try:
        out = vtl.render(template, variables)
    except vtl.TemplateError:
        raise Denied("API_CONFIGURATION_ERROR", 500, "Internal server error") from None
    if overrides is not None:
        overrides.update(variables["context"].get("responseOverride") or {})
    return out


def _select_response(integration: dict, selector: str) -> dict | None:
    responses = (integration.get("integrationResponses") or {}).values()
    default = None
    for response in responses:
        pattern = response.get("selectionPattern")
        if not pattern:
            default = default or response
            continue
        try:
            if re.fullmatch(pattern, selector or "", re.DOTALL):
                return response
        except re.error:
            continue
    return default


def _integration_reply(call: Call, integration: dict, selector: str, body: str,
                       integration_headers: dict | None = None, default_status: int = 200) -> HttpResponse:
    response = _select_response(integration, selector)
    if response is None:
        if not integration.get("integrationResponses"):
            raise Denied("API_CONFIGURATION_ERROR", 500, "Internal server error")
        response = {"statusCode": str(default_status)}
    headers: list[tuple[str, str]] = []
    for name, source in (response.get("responseParameters") or {}).items():
        if name.startswith("method.response.header."):
            headers.append((name[23:], static_or_lookup(source, call, integration_headers or {}, body)))
    templates = response.get("responseTemplates") or {}
    accept = (call.inv.request.headers.get("accept") or "").split(",")[0].split(";")[0].strip().lower()
    content_type = accept if accept in templates else "application/json" if "application/json" in templates \
        else next(iter(templates), None)
    template = templates.get(content_type) if content_type else None
    overrides: dict = {}
    if template:
        out = _render(call, template, body, overrides).encode()
    else:
        out = body.encode()
        content_type = (integration_headers or {}).get("content-type") or "application/json"
    for name, value in (overrides.get("header") or {}).items():
        headers = [(k, v) for k, v in headers if k.lower() != str(name).lower()] + [(str(name), str(value))]
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.insert(0, ("Content-Type", content_type))
    status = int(response.get("statusCode") or 200)
    if str(overrides.get("status", "")).isdigit() and 100 <= int(overrides["status"]) <= 599:
        status = int(overrides["status"])
    return HttpResponse(status, headers_out(call, headers), out)


async def _mock(call: Call, integration: dict) -> HttpResponse:
    rendered = _request_body(call, integration)
    status = 200
    try:
        decoded = json.loads(rendered or b"{}")
        if isinstance(decoded, dict) and decoded.get("statusCode") is not None:
            status = int(decoded["statusCode"])
    except (ValueError, TypeError):
        raise Denied("API_CONFIGURATION_ERROR", 500, "Internal server error") from None
    return _integration_reply(call, integration, str(status), "", default_status=status)


async def _lambda_custom(call: Call, integration: dict) -> HttpResponse:
    arn = function_arn(_stage_substitute(integration["uri"], call))
    body = _request_body(call, integration)
    try:
        payload, error = await invoke_lambda(call.inv.runtime, arn, body or b"{}", call.inv.account, call.inv.region,
                                             integration.get("timeoutInMillis"), call.method_arn())
    except IntegrationTimeout:
        raise Denied("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out") from None
    except IntegrationFailure:
        raise Denied("INTEGRATION_FAILURE", 500, "Internal server error") from None
    text = payload.decode("utf-8", "replace")
    selector = ""
    if error:
        try:
            selector = str(json.loads(text).get("errorMessage", ""))
        except (ValueError, AttributeError):
            selector = text
    return _integration_reply(call, integration, selector, text)


def _stage_substitute(text: str, call: Call) -> str:
    return stage_substitute(text, call.variables)


def _target_url(call: Call, integration: dict) -> tuple[str, dict[str, str], dict[str, str]]:
    """The integration URL with path parameters filled, and the mapped headers and query."""
    mapped_path: dict[str, str] = {}
    headers: dict[str, str] = {}
    query: dict[str, str] = {}
    for name, source in (integration.get("requestParameters") or {}).items():
        value = static_or_lookup(source, call)
        if name.startswith("integration.request.path."):
            mapped_path[name[25:]] = value
        elif name.startswith("integration.request.header."):
            headers[name[27:]] = value
        elif name.startswith("integration.request.querystring."):
            query[name[32:]] = value
    uri = _stage_substitute(integration["uri"], call)

    def fill(match):
        name = match.group(1).rstrip("+")
        value = mapped_path.get(name, call.path_params.get(name, ""))
        return quote(value, safe="/" if match.group(1).endswith("+") or name == "proxy" else "")

    return re.sub(r"\{([A-Za-z0-9._-]+\+?)\}", fill, uri), headers, query


async def _http(call: Call, integration: dict) -> HttpResponse:
    url, headers, query = _target_url(call, integration)
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    body = _request_body(call, integration)
    method = integration.get("httpMethod") or call.inv.request.method
    try:
        status, out_headers, out_body = await forward_http(method, url, headers, body,
                                                           integration.get("timeoutInMillis", 29000))
    except IntegrationTimeout:
        raise Denied("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out") from None
    except IntegrationFailure:
        raise Denied("INTEGRATION_FAILURE", 500, "Internal server error") from None
    lowered = {k.lower(): v for k, v in out_headers}
    return _integration_reply(call, integration, str(status), out_body.decode("utf-8", "replace"), lowered)


async def _http_proxy(call: Call, integration: dict) -> HttpResponse:
    request = call.inv.request
    url, mapped_headers, mapped_query = _target_url(call, integration)
    query = request.query_string
    if mapped_query:
        query = "&".join(filter(None, [query, urlencode(mapped_query)]))
    if query:
        url += ("&" if "?" in url else "?") + query
    headers = {title_case(k): v for k, v in request.headers.items()}
    headers.update(mapped_headers)
    headers["X-Forwarded-For"] = client_ip(request)
    method = integration.get("httpMethod") or request.method
    if method == "ANY":
        method = request.method
    try:
        status, out_headers, body = await forward_http(method, url, headers, request.body,
                                                       integration.get("timeoutInMillis", 29000))
    except IntegrationTimeout:
        raise Denied("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out") from None
    except IntegrationFailure:
        raise Denied("INTEGRATION_FAILURE", 500, "Internal server error") from None
    kept = [(k, v) for k, v in out_headers if k.lower() not in HOP_BY_HOP]
    return HttpResponse(status, headers_out(call, kept), body)
