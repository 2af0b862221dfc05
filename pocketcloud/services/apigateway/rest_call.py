"""One request to a REST API stage as the serving code sees it (`Call`), and the lookups
parameter mappings make (`static_or_lookup`)."""

from __future__ import annotations

from datetime import datetime, timezone

from . import vtl
from .common.replies import body_for_lambda, client_ip, split_query


class Call:
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
        headers = {title_case(k): v for k, v in self.inv.forwarded_headers().items()}
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
                  "header": {title_case(k): v for k, v in request.headers.items()}}
        context = self.request_context()
        # Templates may set these ($context.responseOverride.status = 400, ...header.Name = "v").
        context["responseOverride"] = {"header": {}}
        context["requestOverride"] = {"header": {}, "querystring": {}, "path": {}}
        return {"input": vtl.Input(body, params), "context": context, "stageVariables": dict(self.variables)}


def title_case(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def static_or_lookup(value: str, call: Call | None, integration_headers: dict | None = None,
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


def headers_out(call: Call, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [*extra, ("x-amzn-RequestId", call.inv.request_id), ("x-amz-apigw-id", call.inv.request_id[:16]),
            ("X-Amzn-Trace-Id", call.inv.trace_id)]
