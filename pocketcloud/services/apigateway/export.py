"""GetExport: a deployed REST API stage as an OpenAPI 3.0 (`oas30`) or Swagger 2.0 (`swagger`)
document, JSON or YAML, optionally with API Gateway's extensions (`integrations`,
`apigateway`, `authorizers`) so that ImportRestApi can read it back."""

from __future__ import annotations

import json

from .deployments import snapshots
from .state import bad_request, load_api, not_found

_PARAMETER_PLACES = {"path": "path", "querystring": "query", "header": "header"}


def get_export(ctx, params: dict) -> dict:
    kind = params["exportType"]
    if kind not in ("oas30", "swagger"):
        raise bad_request(f"Invalid export type specified: {kind}. Valid options are oas30, swagger")
    doc = load_api(ctx, params["restApiId"])
    ns = ctx.namespace()
    stage = ns.get("stage", f"{params['restApiId']}/{params['stageName']}")
    if stage is None:
        raise not_found("Invalid Stage identifier specified")
    snapshot = snapshots.load(ns, ctx.account, params["restApiId"], stage["deploymentId"]) or doc
    extensions = set(filter(None, ((params.get("parameters") or {}).get("extensions") or "").split(",")))
    with_integrations = bool(extensions & {"integrations", "apigateway"})
    document = _document(snapshot, stage, kind, with_integrations, ctx.region)
    accepts = (params.get("accepts") or "application/json").lower()
    if "yaml" in accepts:
        import yaml

        body, content_type = yaml.safe_dump(document, sort_keys=False).encode(), "application/yaml"
    else:
        body, content_type = json.dumps(document, indent=2).encode(), "application/octet-stream"
    extension = "yaml" if "yaml" in accepts else "json"
    return {"body": body, "contentType": content_type,
            "contentDisposition": f'attachment; filename="{kind}_{stage["stageName"]}.{extension}"'}


def _document(snapshot: dict, stage: dict, kind: str, with_integrations: bool, region: str) -> dict:
    api = snapshot["api"]
    host = f"{api['id']}.execute-api.{region}.amazonaws.com"
    info = {"title": api.get("name"), "version": api.get("version") or str(api.get("createdDate", ""))}
    if api.get("description"):
        info["description"] = api["description"]
    if kind == "oas30":
        out = {"openapi": "3.0.1", "info": info,
               "servers": [{"url": f"https://{host}/{{basePath}}",
                            "variables": {"basePath": {"default": stage["stageName"]}}}], "paths": {}}
    else:
        out = {"swagger": "2.0", "info": info, "host": host, "basePath": f"/{stage['stageName']}",
               "schemes": ["https"], "paths": {}}
    schemes = {}
    for resource in sorted(snapshot["resources"].values(), key=lambda r: r["path"]):
        operations = {}
        for name, method in sorted((resource.get("resourceMethods") or {}).items()):
            operations["x-amazon-apigateway-any-method" if name == "ANY" else name.lower()] = \
                _operation(snapshot, method, kind, with_integrations, schemes)
        if operations:
            out["paths"][resource["path"]] = operations
    if schemes:
        if kind == "oas30":
            out["components"] = {"securitySchemes": schemes}
        else:
            out["securityDefinitions"] = schemes
    if with_integrations and api.get("binaryMediaTypes"):
        out["x-amazon-apigateway-binary-media-types"] = api["binaryMediaTypes"]
    validators = snapshot.get("requestValidators") or {}
    if with_integrations and validators:
        out["x-amazon-apigateway-request-validators"] = {
            v["name"]: {"validateRequestBody": v["validateRequestBody"],
                        "validateRequestParameters": v["validateRequestParameters"]} for v in validators.values()}
    return out


def _operation(snapshot: dict, method: dict, kind: str, with_integrations: bool, schemes: dict) -> dict:
    operation: dict = {}
    if method.get("operationName"):
        operation["operationId"] = method["operationName"]
    parameters = []
    for name, required in (method.get("requestParameters") or {}).items():
        where, _, key = name[len("method.request."):].partition(".")
        parameter = {"name": key, "in": _PARAMETER_PLACES.get(where, where), "required": bool(required)}
        if kind == "oas30":
            parameter["schema"] = {"type": "string"}
        else:
            parameter["type"] = "string"
        parameters.append(parameter)
    if parameters:
        operation["parameters"] = parameters
    responses = {code: {"description": f"{code} response"} for code in sorted(method.get("methodResponses") or {})}
    operation["responses"] = responses or {"200": {"description": "200 response"}}
    security = []
    if method.get("apiKeyRequired"):
        schemes["api_key"] = {"type": "apiKey", "name": "x-api-key", "in": "header"}
        security.append({"api_key": []})
    authorizer = snapshot["authorizers"].get(method.get("authorizerId") or "")
    if authorizer is not None and method.get("authorizationType") == "CUSTOM":
        source = authorizer.get("identitySource") or "method.request.header.Authorization"
        scheme = {"type": "apiKey", "name": source.split(".")[-1].split(",")[0], "in": "header",
                  "x-amazon-apigateway-authtype": authorizer.get("authType") or "custom"}
        if with_integrations:
            scheme["x-amazon-apigateway-authorizer"] = {
                "type": authorizer["type"].lower(), "authorizerUri": authorizer.get("authorizerUri"),
                "authorizerResultTtlInSeconds": authorizer.get("authorizerResultTtlInSeconds", 300),
                **({"identitySource": source} if authorizer["type"] == "REQUEST" else {})}
        schemes[authorizer["name"]] = scheme
        security.append({authorizer["name"]: []})
    if security:
        operation["security"] = security
    validator = (snapshot.get("requestValidators") or {}).get(method.get("requestValidatorId") or "")
    if with_integrations and validator:
        operation["x-amazon-apigateway-request-validator"] = validator["name"]
    integration = method.get("methodIntegration")
    if with_integrations and integration:
        out = {"type": integration["type"].lower(), "passthroughBehavior": integration.get("passthroughBehavior",
                                                                                         "WHEN_NO_MATCH").lower()}
        for key in ("httpMethod", "uri", "requestTemplates", "requestParameters", "timeoutInMillis"):
            if integration.get(key) is not None:
                out[key] = integration[key]
        responses = {}
        for status, response in (integration.get("integrationResponses") or {}).items():
            entry = {"statusCode": status}
            for key in ("responseParameters", "responseTemplates"):
                if response.get(key):
                    entry[key] = response[key]
            responses[response.get("selectionPattern") or "default"] = entry
        if responses:
            out["responses"] = responses
        operation["x-amazon-apigateway-integration"] = out
    return operation
