"""HTTP APIs from OpenAPI 3 documents (ImportApi, ReimportApi): each path operation becomes a
route (`x-amazon-apigateway-any-method` -> ANY), its `x-amazon-apigateway-integration`
(aws_proxy / http_proxy: uri, httpMethod, payloadFormatVersion, timeoutInMillis) an
integration, security schemes with `x-amazon-apigateway-authorizer` (jwt with
jwtConfiguration, request Lambda authorizers) authorizers, `x-amazon-apigateway-cors` the
CORS configuration."""

from __future__ import annotations

from ..apigateway.common.index import new_id
from ..apigateway.openapi import parse
from ..apigateway.state import bad_request
from .routes import integration_record, route_record

_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method"}
_CORS_KEYS = {"allowOrigins": "AllowOrigins", "allowMethods": "AllowMethods", "allowHeaders": "AllowHeaders",
              "exposeHeaders": "ExposeHeaders", "maxAge": "MaxAge", "allowCredentials": "AllowCredentials"}


def apply(doc: dict, body: str) -> None:
    """Replace the routes, integrations and authorizers of `doc` with those the document defines."""
    spec = parse(body)
    api = doc["api"]
    info = spec.get("info") or {}
    api["Name"] = info.get("title") or api.get("Name") or "imported"
    if info.get("description"):
        api["Description"] = info["description"]
    if info.get("version"):
        api["Version"] = str(info["version"])
    cors = spec.get("x-amazon-apigateway-cors")
    if isinstance(cors, dict):
        api["CorsConfiguration"] = {_CORS_KEYS[k]: v for k, v in cors.items() if k in _CORS_KEYS}
    doc["routes"], doc["integrations"], doc["authorizers"] = {}, {}, {}
    authorizers = {}
    for name, scheme in ((spec.get("components") or {}).get("securitySchemes") or {}).items():
        config = scheme.get("x-amazon-apigateway-authorizer")
        if not config:
            continue
        kind = str(config.get("type", "")).upper()
        if kind == "JWT":
            jwt = config.get("jwtConfiguration") or {}
            authorizer = {"AuthorizerType": "JWT", "JwtConfiguration": {"Issuer": jwt.get("issuer"),
                                                                         "Audience": jwt.get("audience") or []}}
        elif kind == "REQUEST":
            authorizer = {"AuthorizerType": "REQUEST", "AuthorizerUri": config.get("authorizerUri"),
                          "AuthorizerPayloadFormatVersion": config.get("authorizerPayloadFormatVersion", "2.0"),
                          "EnableSimpleResponses": bool(config.get("enableSimpleResponses")),
                          "AuthorizerResultTtlInSeconds": int(config.get("authorizerResultTtlInSeconds", 0))}
        else:
            raise bad_request(f"Invalid OpenAPI input: unsupported authorizer type '{config.get('type')}'")
        source = config.get("identitySource") or "$request.header.Authorization"
        authorizer.update(AuthorizerId=new_id(6), Name=name,
                          IdentitySource=[s.strip() for s in source.split(",")] if isinstance(source, str) else source)
        doc["authorizers"][authorizer["AuthorizerId"]] = authorizer
        authorizers[name] = authorizer
    known: dict[tuple, str] = {}
    for path, operations in (spec.get("paths") or {}).items():
        for name, operation in (operations or {}).items():
            if name.lower() not in _METHODS or not isinstance(operation, dict):
                continue
            method = "ANY" if name.lower() == "x-amazon-apigateway-any-method" else name.upper()
            route_params = {"RouteKey": f"{method} {path}"}
            config = operation.get("x-amazon-apigateway-integration")
            if config:
                key = tuple(sorted((k, str(v)) for k, v in config.items()))
                if key not in known:
                    integration = integration_record({
                        "IntegrationType": str(config.get("type", "")).upper(), "IntegrationUri": config.get("uri"),
                        "IntegrationMethod": config.get("httpMethod"),
                        "PayloadFormatVersion": config.get("payloadFormatVersion"),
                        "TimeoutInMillis": config.get("timeoutInMillis"),
                        "ConnectionType": config.get("connectionType")})
                    doc["integrations"][integration["IntegrationId"]] = integration
                    known[key] = integration["IntegrationId"]
                route_params["Target"] = f"integrations/{known[key]}"
            for requirement in operation.get("security", spec.get("security")) or []:
                for scheme_name, scopes in requirement.items():
                    authorizer = authorizers.get(scheme_name)
                    if authorizer is not None:
                        route_params["AuthorizationType"] = "JWT" if authorizer["AuthorizerType"] == "JWT" else "CUSTOM"
                        route_params["AuthorizerId"] = authorizer["AuthorizerId"]
                        if scopes:
                            route_params["AuthorizationScopes"] = list(scopes)
            route = route_record(route_params)
            doc["routes"][route["RouteId"]] = route
