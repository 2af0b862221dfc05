"""HTTP APIs: the APIs themselves (with quick create), stages and deployments."""

from __future__ import annotations

import re

from ..apigateway.common import index
from .state import (auto_deploy, bad_request, conflict, editing, load_api, new_deployment, not_found, paged,
                    snapshots)

_API_FIELDS = ("ApiEndpoint", "ApiId", "ApiKeySelectionExpression", "CorsConfiguration", "CreatedDate",
               "Description", "DisableSchemaValidation", "DisableExecuteApiEndpoint", "IpAddressType", "Name",
               "ProtocolType", "RouteSelectionExpression", "Tags", "Version")
_STAGE_NAME = re.compile(r"^(\$default|[A-Za-z0-9_-]{1,128})$")


def api_view(doc: dict) -> dict:
    return {k: doc["api"][k] for k in _API_FIELDS if doc["api"].get(k) is not None}


def create_api(ctx, params: dict) -> dict:
    protocol = params["ProtocolType"]
    if protocol not in ("HTTP", "WEBSOCKET"):
        raise bad_request(f"Invalid protocol type {protocol}")
    if protocol == "WEBSOCKET" and not params.get("RouteSelectionExpression"):
        raise bad_request("RouteSelectionExpression is required for WEBSOCKET APIs")
    if params.get("Target") and protocol != "HTTP":
        raise bad_request("Target is only supported for HTTP APIs")
    store = ctx.runtime.store
    with store.transaction():
        api_id = index.unique_api_id(store)
        scheme = "wss" if protocol == "WEBSOCKET" else "https"
        api = {"ApiId": api_id, "Name": params["Name"], "ProtocolType": protocol,
               "ApiEndpoint": f"{scheme}://{api_id}.execute-api.{ctx.region}.amazonaws.com",
               "ApiKeySelectionExpression": params.get("ApiKeySelectionExpression") or "$request.header.x-api-key",
               "RouteSelectionExpression": params.get("RouteSelectionExpression") or "${request.method} ${request.path}",
               "CreatedDate": ctx.now, "Description": params.get("Description"),
               "DisableExecuteApiEndpoint": bool(params.get("DisableExecuteApiEndpoint")),
               "DisableSchemaValidation": params.get("DisableSchemaValidation"),
               "CorsConfiguration": params.get("CorsConfiguration"), "Tags": params.get("Tags") or {},
               "Version": params.get("Version"), "IpAddressType": params.get("IpAddressType") or "ipv4"}
        doc = {"api": api, "routes": {}, "integrations": {}, "authorizers": {}}
        if params.get("Target"):
            _quick_create(ctx, doc, params)
        ctx.namespace().put("api", api_id, doc)
        index.register(store, api_id, ctx.account, ctx.region, 2)
        if params.get("Target"):
            ctx.namespace().put("stage", f"{api_id}/$default", _new_stage(ctx, "$default", None, True, {}, {}))
            auto_deploy(ctx, doc)
    return {**api_view(doc), "__status__": 201}


def _quick_create(ctx, doc: dict, params: dict) -> None:
    """CreateApi with a Target: one integration, one route (RouteKey, default $default) and an
    auto-deploying $default stage."""
    from .routes import integration_record, route_record

    target = params["Target"]
    kind = "HTTP_PROXY" if target.startswith(("http://", "https://")) else "AWS_PROXY"
    integration = integration_record({"IntegrationType": kind, "IntegrationUri": target,
                                      "IntegrationMethod": "ANY" if kind == "HTTP_PROXY" else None,
                                      "PayloadFormatVersion": "2.0" if kind == "AWS_PROXY" else "1.0"})
    integration["ApiGatewayManaged"] = True
    doc["integrations"][integration["IntegrationId"]] = integration
    route = route_record({"RouteKey": params.get("RouteKey") or "$default",
                          "Target": f"integrations/{integration['IntegrationId']}"})
    route["ApiGatewayManaged"] = True
    doc["routes"][route["RouteId"]] = route


def get_api(ctx, params: dict) -> dict:
    return api_view(load_api(ctx, params["ApiId"]))


def get_apis(ctx, params: dict) -> dict:
    items = sorted((api_view(doc) for _, doc in ctx.namespace().list("api")), key=lambda a: a["CreatedDate"])
    return paged(items, params)


def update_api(ctx, params: dict) -> dict:
    with editing(ctx, params["ApiId"]) as doc:
        for key in ("Name", "Description", "CorsConfiguration", "DisableExecuteApiEndpoint", "Version",
                    "RouteSelectionExpression", "ApiKeySelectionExpression", "DisableSchemaValidation"):
            if key in params:
                doc["api"][key] = params[key]
    return api_view(doc)


def delete_cors_configuration(ctx, params: dict) -> dict:
    with editing(ctx, params["ApiId"]) as doc:
        doc["api"]["CorsConfiguration"] = None
    return {"__status__": 204}


def delete_api(ctx, params: dict) -> dict:
    api_id = params["ApiId"]
    ns = ctx.namespace()
    with ctx.runtime.store.transaction():
        load_api(ctx, api_id)
        ns.delete("api", api_id)
        for kind in ("deployment", "stage"):
            for name, _ in ns.list(kind, api_id + "/"):
                ns.delete(kind, name)
        index.unregister(ctx.runtime.store, api_id)
    return {"__status__": 204}


# -- stages ------------------------------------------------------------------------------------

_STAGE_FIELDS = ("AccessLogSettings", "ApiGatewayManaged", "AutoDeploy", "ClientCertificateId", "CreatedDate",
                 "DefaultRouteSettings", "DeploymentId", "Description", "LastDeploymentStatusMessage",
                 "LastUpdatedDate", "RouteSettings", "StageName", "StageVariables", "Tags")


def _new_stage(ctx, name: str, deployment_id, auto: bool, variables: dict, params: dict) -> dict:
    if not _STAGE_NAME.match(name):
        raise bad_request("Stage name only allows a-zA-Z0-9_- or $default")
    return {"StageName": name, "DeploymentId": deployment_id, "AutoDeploy": auto, "StageVariables": variables,
            "Description": params.get("Description"), "CreatedDate": ctx.now, "LastUpdatedDate": ctx.now,
            "DefaultRouteSettings": params.get("DefaultRouteSettings") or {
                "DetailedMetricsEnabled": False}, "RouteSettings": params.get("RouteSettings") or {},
            "Tags": params.get("Tags") or {}}


def stage_view(stage: dict) -> dict:
    return {k: stage[k] for k in _STAGE_FIELDS if stage.get(k) is not None}


def create_stage(ctx, params: dict) -> dict:
    api_id, name = params["ApiId"], params["StageName"]
    ns = ctx.namespace()
    with ctx.runtime.store.transaction():
        doc = load_api(ctx, api_id)
        if ns.get("stage", f"{api_id}/{name}") is not None:
            raise conflict(f"Stage {name} already exists")
        if params.get("DeploymentId") and ns.get("deployment", f"{api_id}/{params['DeploymentId']}") is None:
            raise not_found(f"Invalid Deployment identifier specified {params['DeploymentId']}")
        stage = _new_stage(ctx, name, params.get("DeploymentId"), bool(params.get("AutoDeploy")),
                           params.get("StageVariables") or {}, params)
        ns.put("stage", f"{api_id}/{name}", stage)
        if stage["AutoDeploy"]:
            auto_deploy(ctx, doc)
            stage = ns.get("stage", f"{api_id}/{name}")
    return {**stage_view(stage), "__status__": 201}


def _stage(ctx, params: dict) -> dict:
    load_api(ctx, params["ApiId"])
    stage = ctx.namespace().get("stage", f"{params['ApiId']}/{params['StageName']}")
    if stage is None:
        raise not_found(f"Invalid stage identifier specified {params['StageName']}")
    return stage


def get_stage(ctx, params: dict) -> dict:
    return stage_view(_stage(ctx, params))


def get_stages(ctx, params: dict) -> dict:
    load_api(ctx, params["ApiId"])
    return paged([stage_view(s) for _, s in ctx.namespace().list("stage", params["ApiId"] + "/")], params)


def update_stage(ctx, params: dict) -> dict:
    ns = ctx.namespace()
    with ctx.runtime.store.transaction():
        stage = _stage(ctx, params)
        if params.get("DeploymentId") and ns.get("deployment", f"{params['ApiId']}/{params['DeploymentId']}") is None:
            raise not_found(f"Invalid Deployment identifier specified {params['DeploymentId']}")
        for key in ("AutoDeploy", "DeploymentId", "Description", "StageVariables", "DefaultRouteSettings",
                    "RouteSettings", "AccessLogSettings"):
            if key in params:
                stage[key] = params[key]
        stage["LastUpdatedDate"] = ctx.now
        ns.put("stage", f"{params['ApiId']}/{params['StageName']}", stage)
        if params.get("AutoDeploy"):
            auto_deploy(ctx, load_api(ctx, params["ApiId"]))
            stage = ns.get("stage", f"{params['ApiId']}/{params['StageName']}")
    return stage_view(stage)


def delete_stage(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        _stage(ctx, params)
        ctx.namespace().delete("stage", f"{params['ApiId']}/{params['StageName']}")
    return {"__status__": 204}


# -- deployments -------------------------------------------------------------------------------

def _deployment_view(deployment: dict) -> dict:
    return {k: v for k, v in deployment.items() if k != "snapshot" and v is not None}


def create_deployment(ctx, params: dict) -> dict:
    api_id = params["ApiId"]
    ns = ctx.namespace()
    with ctx.runtime.store.transaction():
        doc = load_api(ctx, api_id)
        stage = None
        if params.get("StageName"):
            stage = ns.get("stage", f"{api_id}/{params['StageName']}")
            if stage is None:
                raise not_found(f"Invalid stage identifier specified {params['StageName']}")
            if stage.get("AutoDeploy"):
                raise bad_request("Stage is configured with auto deploy. Deployments are managed by the service.")
        deployment = new_deployment(ctx, doc, params.get("Description"), False)
        if stage is not None:
            stage["DeploymentId"] = deployment["DeploymentId"]
            stage["LastUpdatedDate"] = ctx.now
            ns.put("stage", f"{api_id}/{params['StageName']}", stage)
    return {**_deployment_view(deployment), "__status__": 201}


def _deployment(ctx, params: dict) -> dict:
    load_api(ctx, params["ApiId"])
    deployment = ctx.namespace().get("deployment", f"{params['ApiId']}/{params['DeploymentId']}")
    if deployment is None:
        raise not_found(f"Invalid Deployment identifier specified {params['DeploymentId']}")
    return deployment


def get_deployment(ctx, params: dict) -> dict:
    return _deployment_view(_deployment(ctx, params))


def get_deployments(ctx, params: dict) -> dict:
    load_api(ctx, params["ApiId"])
    items = [_deployment_view(d) for _, d in ctx.namespace().list("deployment", params["ApiId"] + "/")]
    return paged(sorted(items, key=lambda d: d["CreatedDate"]), params)


def delete_deployment(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        _deployment(ctx, params)
        ctx.namespace().delete("deployment", f"{params['ApiId']}/{params['DeploymentId']}")
        snapshots.drop(ctx.account, params["ApiId"], params["DeploymentId"])
    return {"__status__": 204}



# -- OpenAPI import ----------------------------------------------------------------------------

def import_api(ctx, params: dict) -> dict:
    from . import openapi
    from ..apigateway.openapi import parse

    spec = parse(params["Body"])  # refused before anything is created
    created = create_api(ctx, {"Name": (spec.get("info") or {}).get("title") or "imported", "ProtocolType": "HTTP"})
    with editing(ctx, created["ApiId"]) as doc:
        openapi.apply(doc, params["Body"])
    return {**api_view(doc), "__status__": 201}


def reimport_api(ctx, params: dict) -> dict:
    from . import openapi

    with editing(ctx, params["ApiId"]) as doc:
        openapi.apply(doc, params["Body"])
    return {**api_view(doc), "__status__": 201}
