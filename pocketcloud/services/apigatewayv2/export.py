"""ExportApi: an HTTP API (its current configuration, or a stage's deployment) as an OpenAPI 3.0
document, JSON or YAML; with IncludeExtensions the x-amazon-apigateway-* extensions that
ImportApi reads back (integrations, authorizers, CORS)."""

from __future__ import annotations

import json

from ..apigateway.state import bad_request
from .state import load_api, not_found, snapshots

_CORS_KEYS = {"AllowOrigins": "allowOrigins", "AllowMethods": "allowMethods", "AllowHeaders": "allowHeaders",
              "ExposeHeaders": "exposeHeaders", "MaxAge": "maxAge", "AllowCredentials": "allowCredentials"}


def export_api(ctx, params: dict) -> dict:
    if params["Specification"] != "OAS30":
        raise bad_request("Specification must be OAS30")
    output = params["OutputType"]
    if output not in ("JSON", "YAML"):
        raise bad_request("OutputType must be JSON or YAML")
    doc = load_api(ctx, params["ApiId"])
    source = doc
    if params.get("StageName"):
        stage = ctx.namespace().get("stage", f"{params['ApiId']}/{params['StageName']}")
        if stage is None:
            raise not_found(f"Invalid stage identifier specified {params['StageName']}")
        if stage.get("DeploymentId"):
            source = snapshots.load(ctx.namespace(), ctx.account, params["ApiId"], stage["DeploymentId"]) or doc
    document = _document(source, params.get("IncludeExtensions", True), ctx.region)
    if output == "YAML":
        import yaml

        return {"body": yaml.safe_dump(document, sort_keys=False).encode()}
    return {"body": json.dumps(document, indent=2).encode()}


def _document(doc: dict, extensions: bool, region: str) -> dict:
    api = doc["api"]
    out = {"openapi": "3.0.1", "info": {"title": api["Name"], "version": api.get("Version") or "1.0"},
           "servers": [{"url": f"https://{api['ApiId']}.execute-api.{region}.amazonaws.com/{{basePath}}",
                        "variables": {"basePath": {"default": ""}}}], "paths": {}}
    if api.get("Description"):
        out["info"]["description"] = api["Description"]
    schemes = {}
    for route in sorted(doc["routes"].values(), key=lambda r: r["RouteKey"]):
        method, _, path = route["RouteKey"].partition(" ")
        if not path:
            continue  # $default has no OpenAPI path
        operation: dict = {"responses": {"default": {"description": "Default response"}}}
        names = [part[1:-1].rstrip("+") for part in path.split("/") if part.startswith("{")]
        if names:
            operation["parameters"] = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                                       for n in names]
        authorizer = doc["authorizers"].get(route.get("AuthorizerId") or "")
        if authorizer is not None:
            operation["security"] = [{authorizer["Name"]: route.get("AuthorizationScopes") or []}]
            scheme = {"type": "oauth2" if authorizer["AuthorizerType"] == "JWT" else "apiKey"}
            if extensions:
                config = {"type": authorizer["AuthorizerType"].lower(),
                          "identitySource": ",".join(authorizer.get("IdentitySource") or [])}
                if authorizer["AuthorizerType"] == "JWT":
                    jwt = authorizer.get("JwtConfiguration") or {}
                    config["jwtConfiguration"] = {"issuer": jwt.get("Issuer"), "audience": jwt.get("Audience") or []}
                else:
                    config.update(authorizerUri=authorizer.get("AuthorizerUri"),
                                  authorizerPayloadFormatVersion=authorizer.get("AuthorizerPayloadFormatVersion"),
                                  enableSimpleResponses=bool(authorizer.get("EnableSimpleResponses")))
                scheme["x-amazon-apigateway-authorizer"] = config
            schemes[authorizer["Name"]] = scheme
        target = route.get("Target") or ""
        integration = doc["integrations"].get(target[13:]) if target.startswith("integrations/") else None
        if extensions and integration is not None:
            operation["x-amazon-apigateway-integration"] = {
                k: v for k, v in {"type": integration["IntegrationType"].lower(),
                                  "httpMethod": integration.get("IntegrationMethod"),
                                  "uri": integration.get("IntegrationUri"),
                                  "payloadFormatVersion": integration.get("PayloadFormatVersion"),
                                  "connectionType": integration.get("ConnectionType"),
                                  "timeoutInMillis": integration.get("TimeoutInMillis")}.items() if v is not None}
        key = "x-amazon-apigateway-any-method" if method == "ANY" else method.lower()
        out["paths"].setdefault(path, {})[key] = operation
    if schemes:
        out["components"] = {"securitySchemes": schemes}
    if extensions and api.get("CorsConfiguration"):
        out["x-amazon-apigateway-cors"] = {_CORS_KEYS[k]: v for k, v in api["CorsConfiguration"].items()
                                           if k in _CORS_KEYS and v is not None}
    return out
