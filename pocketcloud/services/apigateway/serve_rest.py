"""Serving a REST API (v1) stage at its invoke URL: resource matching, authorizers, API keys,
then the integration (AWS_PROXY, AWS to Lambda, HTTP, HTTP_PROXY, MOCK) with its mapping
templates and integration responses; errors as API Gateway's gateway responses."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone
from urllib.parse import quote, unquote, urlencode

from ...core.store import Namespace
from ...protocol.http import HttpRequest, HttpResponse
from . import models, rest_auth, rest_routes, vtl
from .common import access_log, iam, throttle
from .common.outbound import (HOP_BY_HOP, IntegrationFailure, IntegrationTimeout, forward_http, function_arn,
                               invoke_lambda)
from .common.replies import body_for_lambda, client_ip, matches_media_type, split_query
from .deployments import snapshots
from .rest_auth import Denied

_DEFAULT_STATUS = {"MISSING_AUTHENTICATION_TOKEN": 403}


class _Call:
    """Everything known about one request to a REST API stage."""

    def __init__(self, inv, stage: dict, snapshot: dict, path: str):
        self.inv = inv
        self.stage = stage
        self.snapshot = snapshot
        self.path = path
        self.resource: dict | None = None
        self.method: dict | None = None
        self.path_params: dict[str, str] = {}
        self.query, self.multi_query = split_query(inv.request.query_string)
        self.authorizer: dict | None = None
        self.api_key: dict | None = None
        self.iam: dict | None = None  # the signer, when the method uses AWS_IAM
        self.epoch_ms = int(inv.runtime.clock.time() * 1000)

    @property
    def request_time(self) -> str:
        return datetime.fromtimestamp(self.epoch_ms / 1000, timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")

    @property
    def variables(self) -> dict:
        return self.stage.get("variables") or {}

    def method_arn(self) -> str:
        inv = self.inv
        method = inv.request.method
        return (f"arn:aws:execute-api:{inv.region}:{inv.account}:{inv.api_id}/{self.stage['stageName']}/"
                f"{method}/{self.path.lstrip('/')}")

    def identity(self) -> dict:
        request = self.inv.request
        return {"cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None, "caller": None,
                "sourceIp": client_ip(request), "principalOrgId": None, "accessKey": None,
                "cognitoAuthenticationType": None, "cognitoAuthenticationProvider": None, "userArn": None,
                "userAgent": request.headers.get("user-agent"), "user": None,
                **({"apiKey": self.api_key["value"], "apiKeyId": self.api_key["id"]} if self.api_key else {}),
                **(self.iam or {})}

    def request_context(self) -> dict:
        inv = self.inv
        resource = self.resource or {}
        out = {
            "resourceId": resource.get("id"), "resourcePath": resource.get("path"),
            "httpMethod": inv.request.method, "extendedRequestId": inv.request_id,
            "requestTime": self.request_time, "path": f"/{self.stage['stageName']}{self.path}",
            "accountId": inv.account, "protocol": "HTTP/1.1", "stage": self.stage["stageName"],
            "domainPrefix": inv.domain.split(".")[0], "requestTimeEpoch": self.epoch_ms,
            "requestId": inv.request_id, "identity": self.identity(), "domainName": inv.domain,
            "apiId": inv.api_id,
        }
        if self.authorizer is not None:
            out["authorizer"] = self.authorizer
        return out

    def proxy_event(self) -> dict:
        """AWS's Lambda proxy integration input (payload format 1.0)."""
        request = self.inv.request
        headers = {_title(k): v for k, v in self.inv.forwarded_headers().items()}
        body, encoded = body_for_lambda(request.body, request.headers.get("content-type"),
                                        self.snapshot["api"].get("binaryMediaTypes") or [])
        return {
            "resource": (self.resource or {}).get("path"), "path": self.path, "httpMethod": request.method,
            "headers": headers or None, "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
            "queryStringParameters": self.query or None,
            "multiValueQueryStringParameters": self.multi_query or None,
            "pathParameters": self.path_params or None, "stageVariables": self.variables or None,
            "requestContext": self.request_context(), "body": body, "isBase64Encoded": encoded,
        }

    def template_variables(self, body: str) -> dict:
        request = self.inv.request
        params = {"path": dict(self.path_params), "querystring": dict(self.query),
                  "header": {_title(k): v for k, v in request.headers.items()}}
        return {"input": vtl.Input(body, params), "context": self.request_context(),
                "stageVariables": dict(self.variables)}


def _title(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


# -- entry -------------------------------------------------------------------------------------

async def serve(inv) -> HttpResponse:
    ns = Namespace(inv.runtime.store, "apigateway", inv.account, inv.region)
    if inv.stage is not None:  # a custom domain's base path mapping named the stage
        stage_name, rest = inv.stage, inv.path.lstrip("/")
    else:
        stage_name, _, rest = inv.path.lstrip("/").partition("/")
        stage_name = unquote(stage_name)
    stage = ns.get("stage", f"{inv.api_id}/{stage_name}") if stage_name else None
    snapshot = snapshots.load(ns, inv.account, inv.api_id, stage["deploymentId"]) if stage else None
    if snapshot is None:
        return _gateway_error(inv, None, "MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token")
    call = _Call(inv, stage, snapshot, "/" + rest)
    error = None
    try:
        response = await _serve(call, ns)
    except Denied as denied:
        error = denied.message
        response = _gateway_error(inv, call, denied.kind, denied.status, denied.message, denied.key)
    settings = stage.get("accessLogSettings")
    if settings:
        context = call.request_context()
        context.update(status=response.status, responseLength=len(response.body or b""),
                       requestTime=call.request_time, error={"message": error}, routeKey=None)
        access_log.emit(inv.runtime, settings.get("destinationArn"), settings.get("format"), context,
                        stage["stageName"])
    return response


async def _serve(call: _Call, ns) -> HttpResponse:
    inv = call.inv
    request = inv.request
    call.resource, call.path_params = rest_routes.match(call.snapshot, call.path)
    methods = (call.resource or {}).get("resourceMethods") or {}
    call.method = methods.get(request.method) or methods.get("ANY")
    if call.method is None:
        raise Denied("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token")
    method = call.method
    _stage_throttle(call)
    auth = method.get("authorizationType")
    usage_key = None
    if auth == "CUSTOM":
        authorizer = call.snapshot["authorizers"].get(method.get("authorizerId"))
        if authorizer is None:
            raise Denied("AUTHORIZER_CONFIGURATION_ERROR", 500, None)
        call.authorizer, usage_key = await rest_auth.authorize(
            inv.runtime, inv, authorizer, call.stage, call.method_arn(), call.query,
            lambda: _request_authorizer_event(call))
    elif auth == "AWS_IAM":
        try:
            call.iam = iam.caller_identity(inv.runtime, request)
        except iam.NotSigned as refused:
            kind = "MISSING_AUTHENTICATION_TOKEN" if refused.message == "Missing Authentication Token" \
                else "INVALID_SIGNATURE"
            raise Denied(kind, refused.status, refused.message) from None
    if method.get("apiKeyRequired"):
        from_authorizer = call.snapshot["api"].get("apiKeySource") == "AUTHORIZER"
        call.api_key = rest_auth.check_api_key(inv.runtime, ns, inv, call.stage["stageName"],
                                               usage_key if from_authorizer else request.headers.get("x-api-key"),
                                               f"{(call.resource or {}).get('path')}/{call.method['httpMethod']}")
    validator = (call.snapshot.get("requestValidators") or {}).get(method.get("requestValidatorId") or "")
    if validator:
        _validate(call, validator)
    return await _integrate(call)


async def _integrate(call: _Call) -> HttpResponse:
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
    raise Denied("API_CONFIGURATION_ERROR", 500, "Internal server error")


def _stage_throttle(call: _Call) -> None:
    """The stage's method settings throttle (the method's own entry, else "*/*")."""
    settings = call.stage.get("methodSettings")
    if not settings:
        return
    key = f"{(call.resource or {}).get('path', '/').lstrip('/')}/{call.method['httpMethod']}"
    found = settings.get(key) or settings.get("*/*")
    if found is None:
        return
    if found is settings.get("*/*"):
        key = "*/*"
    rate, burst = found.get("throttlingRateLimit"), found.get("throttlingBurstLimit")
    if rate is None and burst is None:
        return
    if not throttle.allow((call.inv.account, call.inv.api_id, call.stage["stageName"], key), float(rate or 0),
                          int(burst or 0), call.inv.runtime.clock.time()):
        raise Denied("THROTTLED", 429, "Too Many Requests")


def _request_authorizer_event(call: _Call) -> dict:
    event = call.proxy_event()
    event.pop("body", None)
    event.pop("isBase64Encoded", None)
    return event


def _validate(call: _Call, validator: dict) -> None:
    """What the method's request validator checks: required parameters, the body's model."""
    request = call.inv.request
    if validator.get("validateRequestParameters"):
        missing = models.missing_parameters(call.method, request.headers, call.query, call.path_params)
        if missing:
            raise Denied("BAD_REQUEST_PARAMETERS", 400, f"Missing required request parameters: [{', '.join(missing)}]")
    if validator.get("validateRequestBody"):
        content_type = (request.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
        if models.body_errors(call.snapshot, call.method, content_type, request.body):
            raise Denied("BAD_REQUEST_BODY", 400, "Invalid request body")


# -- gateway responses -------------------------------------------------------------------------

def _gateway_error(inv, call: _Call | None, kind: str, status: int, message: str | None,
                   key: str = "message") -> HttpResponse:
    """An error answered by API Gateway itself, shaped by the API's gateway responses."""
    snapshot = call.snapshot if call else None
    custom = None
    if snapshot is not None:
        responses = snapshot.get("gatewayResponses") or {}
        custom = responses.get(kind) or responses.get("DEFAULT_4XX" if status < 500 else "DEFAULT_5XX")
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", inv.request_id),
               ("x-amzn-ErrorType", _error_type(kind, status))]
    body = json.dumps({key: message}).encode()
    if custom:
        status = int(custom.get("statusCode") or status)
        context = call.request_context() if call else {}
        context["error"] = {"message": message, "messageString": json.dumps(message), "responseType": kind}
        variables = {"context": context, "stageVariables": dict(call.variables) if call else {},
                     "input": vtl.Input("", {})}
        for name, value in (custom.get("responseParameters") or {}).items():
            if name.startswith("gatewayresponse.header."):
                headers.append((name[len("gatewayresponse.header."):], _static_or_lookup(value, call)))
        template = (custom.get("responseTemplates") or {}).get("application/json")
        if template:
            try:
                body = vtl.render(template, variables).encode()
            except vtl.TemplateError:
                pass
    return HttpResponse(status, headers, body)


def _error_type(kind: str, status: int) -> str:
    return {"MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
            "INVALID_SIGNATURE": "InvalidSignatureException",
            "UNAUTHORIZED": "UnauthorizedException", "ACCESS_DENIED": "AccessDeniedException",
            "INVALID_API_KEY": "ForbiddenException", "THROTTLED": "TooManyRequestsException",
            "QUOTA_EXCEEDED": "LimitExceededException", "BAD_REQUEST_PARAMETERS": "BadRequestException",
            "UNSUPPORTED_MEDIA_TYPE": "UnsupportedMediaTypeException",
            "AUTHORIZER_CONFIGURATION_ERROR": "AuthorizerConfigurationException",
            "AUTHORIZER_FAILURE": "AuthorizerConfigurationException"}.get(
        kind, "InternalServerErrorException" if status >= 500 else "BadRequestException")


def _static_or_lookup(value: str, call: _Call | None, integration_headers: dict | None = None,
                      integration_body: str | None = None) -> str:
    """A parameter-mapping source: 'static', method.request.*, stageVariables.*, context.*,
    integration.response.header.* or integration.response.body."""
    value = value or ""
    if len(value) >= 2 and value[0] == "'" and value[-1] == "'":
        return value[1:-1]
    if call is None:
        return ""
    request = call.inv.request
    if value.startswith("method.request.header."):
        return request.headers.get(value[22:].lower(), "")
    if value.startswith("method.request.querystring."):
        return call.query.get(value[27:], "")
    if value.startswith("method.request.path."):
        return call.path_params.get(value[20:], "")
    if value.startswith("stageVariables."):
        return call.variables.get(value[15:], "")
    if value.startswith("context."):
        found = call.request_context()
        for part in value[8:].split("."):
            found = found.get(part) if isinstance(found, dict) else None
        return "" if found is None else str(found)
    if value.startswith("integration.response.header.") and integration_headers is not None:
        return integration_headers.get(value[28:].lower(), "")
    if value == "integration.response.body" and integration_body is not None:
        return integration_body
    return ""


def _headers_out(call: _Call, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [*extra, ("x-amzn-RequestId", call.inv.request_id), ("x-amz-apigw-id", call.inv.request_id[:16]),
            ("X-Amzn-Trace-Id", call.inv.trace_id)]


# -- AWS_PROXY ---------------------------------------------------------------------------------

async def _lambda_proxy(call: _Call, integration: dict) -> HttpResponse:
    arn = function_arn(_stage_substitute(integration.get("uri", ""), call))
    if arn is None:
        raise Denied("API_CONFIGURATION_ERROR", 500, "Internal server error")
    try:
        payload, error = await invoke_lambda(call.inv.runtime, arn, json.dumps(call.proxy_event()).encode(),
                                             call.inv.account, call.inv.region, integration.get("timeoutInMillis"))
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
    return HttpResponse(status, _headers_out(call, headers), body)


_PROXY_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}


def parse_proxy_response(payload: bytes, decode_base64: bool = True) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """A Lambda proxy (1.0) response -> (status, headers, body); None when malformed, which
    API Gateway answers with 502. With decode_base64 False an isBase64Encoded body is returned
    as the base64 text it is (REST APIs when the client accepts no binary media type)."""
    try:
        output = json.loads(payload or b"null")
    except ValueError:
        return None
    if not isinstance(output, dict) or set(output) - _PROXY_KEYS:
        return None
    try:
        status = int(output.get("statusCode") or 200)
    except (TypeError, ValueError):
        return None
    if not 100 <= status <= 599:
        return None
    headers: list[tuple[str, str]] = []
    single = output.get("headers") or {}
    multi = output.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        return None
    for name, value in single.items():
        if isinstance(value, (dict, list)):
            return None
        if name not in multi:
            headers.append((str(name), _scalar(value)))
    for name, values in multi.items():
        if not isinstance(values, list):
            return None
        for value in values:
            headers.append((str(name), _scalar(value)))
    body = output.get("body")
    if body is None:
        data = b""
    elif isinstance(body, str):
        if output.get("isBase64Encoded") and decode_base64:
            try:
                data = base64.b64decode(body, validate=True)
            except ValueError:
                return None
        else:
            data = body.encode()
    else:
        return None
    return status, headers, data


def _scalar(value) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


# -- integrations with mapping templates -------------------------------------------------------

def _request_body(call: _Call, integration: dict) -> bytes:
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


def _render(call: _Call, template: str, body: str) -> str:
    if vtl.is_static(template):  # most mock templates: no variables to build
        return template
    try:
        return vtl.render(template, call.template_variables(body))
    except vtl.TemplateError:
        raise Denied("API_CONFIGURATION_ERROR", 500, "Internal server error") from None


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


def _integration_reply(call: _Call, integration: dict, selector: str, body: str,
                       integration_headers: dict | None = None, default_status: int = 200) -> HttpResponse:
    response = _select_response(integration, selector)
    if response is None:
        if not integration.get("integrationResponses"):
            raise Denied("API_CONFIGURATION_ERROR", 500, "Internal server error")
        response = {"statusCode": str(default_status)}
    headers: list[tuple[str, str]] = []
    for name, source in (response.get("responseParameters") or {}).items():
        if name.startswith("method.response.header."):
            headers.append((name[23:], _static_or_lookup(source, call, integration_headers or {}, body)))
    templates = response.get("responseTemplates") or {}
    accept = (call.inv.request.headers.get("accept") or "").split(",")[0].split(";")[0].strip().lower()
    content_type = accept if accept in templates else "application/json" if "application/json" in templates \
        else next(iter(templates), None)
    template = templates.get(content_type) if content_type else None
    if template:
        out = _render(call, template, body).encode()
    else:
        out = body.encode()
        content_type = (integration_headers or {}).get("content-type") or "application/json"
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.insert(0, ("Content-Type", content_type))
    return HttpResponse(int(response.get("statusCode") or 200), _headers_out(call, headers), out)


async def _mock(call: _Call, integration: dict) -> HttpResponse:
    rendered = _request_body(call, integration)
    status = 200
    try:
        decoded = json.loads(rendered or b"{}")
        if isinstance(decoded, dict) and decoded.get("statusCode") is not None:
            status = int(decoded["statusCode"])
    except (ValueError, TypeError):
        raise Denied("API_CONFIGURATION_ERROR", 500, "Internal server error") from None
    return _integration_reply(call, integration, str(status), "", default_status=status)


async def _lambda_custom(call: _Call, integration: dict) -> HttpResponse:
    arn = function_arn(_stage_substitute(integration["uri"], call))
    body = _request_body(call, integration)
    try:
        payload, error = await invoke_lambda(call.inv.runtime, arn, body or b"{}", call.inv.account, call.inv.region,
                                             integration.get("timeoutInMillis"))
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


def stage_substitute(text: str, variables: dict) -> str:
    """`${stageVariables.name}` in an integration URI or function ARN, filled from the stage."""
    if "${" not in text:
        return text
    return re.sub(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}", lambda m: variables.get(m.group(1), ""), text)


def _stage_substitute(text: str, call: _Call) -> str:
    return stage_substitute(text, call.variables)


def _target_url(call: _Call, integration: dict) -> tuple[str, dict[str, str], dict[str, str]]:
    """The integration URL with path parameters filled, and the mapped headers and query."""
    mapped_path: dict[str, str] = {}
    headers: dict[str, str] = {}
    query: dict[str, str] = {}
    for name, source in (integration.get("requestParameters") or {}).items():
        value = _static_or_lookup(source, call)
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


async def _http(call: _Call, integration: dict) -> HttpResponse:
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


async def _http_proxy(call: _Call, integration: dict) -> HttpResponse:
    request = call.inv.request
    url, mapped_headers, mapped_query = _target_url(call, integration)
    query = request.query_string
    if mapped_query:
        query = "&".join(filter(None, [query, urlencode(mapped_query)]))
    if query:
        url += ("&" if "?" in url else "?") + query
    headers = {_title(k): v for k, v in request.headers.items()}
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
    return HttpResponse(status, _headers_out(call, kept), body)


# -- TestInvokeMethod --------------------------------------------------------------------------

async def test_invoke_method(ctx, params: dict) -> dict:
    """Run a method's integration as the console's Test button does: the current (undeployed)
    configuration, no authorizer, no API key, stage "test-invoke-stage"."""
    import time

    from .common.door import Invocation
    from .deployments import snapshot
    from .state import load_api, method_of, resource_of

    doc = load_api(ctx, params["restApiId"])
    resource = resource_of(doc, params["resourceId"])
    method = method_of(doc, params["resourceId"], params["httpMethod"])
    if "methodIntegration" not in method:
        from .state import bad_request

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
    call = _Call(inv, stage, frozen, "/" + path.lstrip("/"))
    call.resource = frozen["resources"][resource["id"]]
    call.method = call.resource["resourceMethods"][method["httpMethod"]]
    call.path_params = rest_routes.match(frozen, call.path)[1]
    started = time.perf_counter()
    try:
        response = await _integrate(call)
    except Denied as denied:
        response = _gateway_error(inv, call, denied.kind, denied.status, denied.message, denied.key)
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
