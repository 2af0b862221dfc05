"""HTTP API routes, integrations and authorizers."""

from __future__ import annotations

import re

from ..apigateway.common.index import new_id
from .state import bad_request, conflict, editing, load_api, not_found, paged

_ROUTE_KEY = re.compile(r"^(\$default|(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) (/[^ ]*))$")
_ROUTE_FIELDS = ("ApiGatewayManaged", "ApiKeyRequired", "AuthorizationScopes", "AuthorizationType", "AuthorizerId",
                 "ModelSelectionExpression", "OperationName", "RequestModels", "RequestParameters", "RouteId",
                 "RouteKey", "RouteResponseSelectionExpression", "Target")
_INTEGRATION_TYPES = {"AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK"}


def _check_route_key(key: str, protocol: str) -> None:
    if protocol == "WEBSOCKET":
        return
    match = _ROUTE_KEY.match(key)
    if match is None:
        raise bad_request(f"Unable to create route {key}: the route key must be '$default' or "
                          "'<METHOD> <path>' with a path starting with '/'.")
    path = match.group(3)
    if path and "+}" in path and not path.endswith("+}"):
        raise bad_request(f"Unable to create route {key}: a greedy path variable must be the last path part.")


def route_record(params: dict) -> dict:
    route = {"RouteId": new_id(7), "RouteKey": params["RouteKey"], "ApiKeyRequired": bool(params.get("ApiKeyRequired")),
             "AuthorizationType": params.get("AuthorizationType") or "NONE"}
    for key in ("AuthorizationScopes", "AuthorizerId", "ModelSelectionExpression", "OperationName", "RequestModels",
                "RequestParameters", "RouteResponseSelectionExpression", "Target"):
        if params.get(key) is not None:
            route[key] = params[key]
    return route


def _route_view(route: dict) -> dict:
    return {k: route[k] for k in _ROUTE_FIELDS if route.get(k) is not None}


def _check_route_refs(doc: dict, route: dict) -> None:
    target = route.get("Target")
    if target and (not target.startswith("integrations/") or target[13:] not in doc["integrations"]):
        raise bad_request(f"Invalid target {target}: it must be integrations/<an integration id of this API>")
    if route.get("AuthorizationType") not in ("NONE", "JWT", "AWS_IAM", "CUSTOM"):
        raise bad_request(f"Invalid authorization type {route.get('AuthorizationType')}")
    if route["AuthorizationType"] in ("JWT", "CUSTOM"):
        authorizer = doc["authorizers"].get(route.get("AuthorizerId") or "")
        if authorizer is None:
            raise bad_request("An authorizer id is required for JWT and CUSTOM authorization")
        expected = "JWT" if route["AuthorizationType"] == "JWT" else "REQUEST"
        if authorizer["AuthorizerType"] != expected:
            raise bad_request(f"AuthorizationType {route['AuthorizationType']} needs a {expected} authorizer")


def create_route(ctx, params: dict) -> dict:
    with editing(ctx, params["ApiId"]) as doc:
        _check_route_key(params["RouteKey"], doc["api"]["ProtocolType"])
        if any(r["RouteKey"] == params["RouteKey"] for r in doc["routes"].values()):
            raise conflict(f"Unable to create route {params['RouteKey']}. A route with that key already exists.")
        route = route_record(params)
        _check_route_refs(doc, route)
        doc["routes"][route["RouteId"]] = route
    return {**_route_view(route), "__status__": 201}


def _route(doc: dict, route_id: str) -> dict:
    route = doc["routes"].get(route_id)
    if route is None:
        raise not_found(f"Invalid Route identifier specified {route_id}")
    return route


def get_route(ctx, params: dict) -> dict:
    return _route_view(_route(load_api(ctx, params["ApiId"]), params["RouteId"]))


def get_routes(ctx, params: dict) -> dict:
    doc = load_api(ctx, params["ApiId"])
    return paged(sorted((_route_view(r) for r in doc["routes"].values()), key=lambda r: r["RouteKey"]), params)


def update_route(ctx, params: dict) -> dict:
    with editing(ctx, params["ApiId"]) as doc:
        route = _route(doc, params["RouteId"])
        if params.get("RouteKey"):
            _check_route_key(params["RouteKey"], doc["api"]["ProtocolType"])
        for key in ("RouteKey", "ApiKeyRequired", "AuthorizationScopes", "AuthorizationType", "AuthorizerId",
                    "OperationName", "RequestModels", "RequestParameters", "Target"):
            if key in params:
                route[key] = params[key]
        _check_route_refs(doc, route)
    return _route_view(route)


def delete_route(ctx, params: dict) -> dict:
    with editing(ctx, params["ApiId"]) as doc:
        _route(doc, params["RouteId"])
        del doc["routes"][params["RouteId"]]
    return {"__status__": 204}


# -- integrations ------------------------------------------------------------------------------

def integration_record(params: dict) -> dict:
    kind = params["IntegrationType"]
    if kind not in _INTEGRATION_TYPES:
        raise bad_request(f"Invalid integration type {kind}")
    version = params.get("PayloadFormatVersion") or ("2.0" if kind == "AWS_PROXY" else "1.0")
    if version not in ("1.0", "2.0"):
        raise bad_request("PayloadFormatVersion must be 1.0 or 2.0")
    timeout = params.get("TimeoutInMillis")
    if timeout is not None and not 50 <= timeout <= 30000:
        raise bad_request("TimeoutInMillis must be between 50 and 30000")
    if kind == "AWS_PROXY" and params.get("IntegrationSubtype"):
        if not params.get("RequestParameters"):
            raise bad_request("RequestParameters are required for an AWS service integration")
    elif kind in ("AWS_PROXY", "HTTP_PROXY") and not params.get("IntegrationUri"):
        raise bad_request("IntegrationUri is required for proxy integrations")
    integration = {"IntegrationId": new_id(7), "IntegrationType": kind, "PayloadFormatVersion": version,
                   "ConnectionType": params.get("ConnectionType") or "INTERNET",
                   "TimeoutInMillis": params.get("TimeoutInMillis") or 30000}
    if kind == "AWS_PROXY":
        integration["IntegrationMethod"] = "POST"
    for key in ("ConnectionId", "ContentHandlingStrategy", "CredentialsArn", "Description", "IntegrationMethod",
                "IntegrationSubtype", "IntegrationUri", "PassthroughBehavior", "RequestParameters",
                "RequestTemplates", "ResponseParameters", "TemplateSelectionExpression", "TlsConfig"):
        if params.get(key) is not None:
            integration[key] = params[key]
    return integration


def create_integration(ctx, params: dict) -> dict:
    with editing(ctx, params["ApiId"]) as doc:
        integration = integration_record(params)
        doc["integrations"][integration["IntegrationId"]] = integration
    return {**integration, "__status__": 201}


def _member(doc: dict, collection: str, member_id: str, label: str) -> dict:
    found = doc[collection].get(member_id)
    if found is None:
        raise not_found(f"Invalid {label} identifier specified {member_id}")
    return found


def _get_member(ctx, params: dict, collection: str, id_key: str, label: str) -> dict:
    return _member(load_api(ctx, params["ApiId"]), collection, params[id_key], label)


def _update_member(ctx, params: dict, collection: str, id_key: str, label: str) -> dict:
    with editing(ctx, params["ApiId"]) as doc:
        found = _member(doc, collection, params[id_key], label)
        found.update({k: v for k, v in params.items() if k not in ("ApiId", id_key)})
    return found


def _delete_member(ctx, params: dict, collection: str, id_key: str, label: str, in_use) -> dict:
    with editing(ctx, params["ApiId"]) as doc:
        _member(doc, collection, params[id_key], label)
        if any(in_use(route) for route in doc["routes"].values()):
            raise conflict(f"Cannot delete {label} {params[id_key]}: routes still use it")
        del doc[collection][params[id_key]]
    return {"__status__": 204}


def get_integration(ctx, params: dict) -> dict:
    return _get_member(ctx, params, "integrations", "IntegrationId", "Integration")


def get_integrations(ctx, params: dict) -> dict:
    return paged(list(load_api(ctx, params["ApiId"])["integrations"].values()), params)


def update_integration(ctx, params: dict) -> dict:
    return _update_member(ctx, params, "integrations", "IntegrationId", "Integration")


def delete_integration(ctx, params: dict) -> dict:
    target = f"integrations/{params['IntegrationId']}"
    return _delete_member(ctx, params, "integrations", "IntegrationId", "Integration",
                          lambda route: route.get("Target") == target)


# -- authorizers -------------------------------------------------------------------------------

def create_authorizer(ctx, params: dict) -> dict:
    kind = params["AuthorizerType"]
    if kind not in ("JWT", "REQUEST"):
        raise bad_request(f"Invalid authorizer type {kind}")
    if kind == "JWT":
        config = params.get("JwtConfiguration") or {}
        if not config.get("Issuer"):
            raise bad_request("JwtConfiguration.Issuer is required for JWT authorizers")
        if not params.get("IdentitySource"):
            raise bad_request("IdentitySource is required for JWT authorizers")
    elif not params.get("AuthorizerUri"):
        raise bad_request("AuthorizerUri is required for REQUEST authorizers")
    with editing(ctx, params["ApiId"]) as doc:
        authorizer = {"AuthorizerId": new_id(6), "Name": params["Name"], "AuthorizerType": kind,
                      "IdentitySource": params.get("IdentitySource") or []}
        for key in ("AuthorizerCredentialsArn", "AuthorizerPayloadFormatVersion", "AuthorizerResultTtlInSeconds",
                    "AuthorizerUri", "EnableSimpleResponses", "IdentityValidationExpression", "JwtConfiguration"):
            if params.get(key) is not None:
                authorizer[key] = params[key]
        doc["authorizers"][authorizer["AuthorizerId"]] = authorizer
    return {**authorizer, "__status__": 201}


def get_authorizer(ctx, params: dict) -> dict:
    return _get_member(ctx, params, "authorizers", "AuthorizerId", "Authorizer")


def get_authorizers(ctx, params: dict) -> dict:
    return paged(list(load_api(ctx, params["ApiId"])["authorizers"].values()), params)


def update_authorizer(ctx, params: dict) -> dict:
    return _update_member(ctx, params, "authorizers", "AuthorizerId", "Authorizer")


def delete_authorizer(ctx, params: dict) -> dict:
    return _delete_member(ctx, params, "authorizers", "AuthorizerId", "Authorizer",
                          lambda route: route.get("AuthorizerId") == params["AuthorizerId"])
