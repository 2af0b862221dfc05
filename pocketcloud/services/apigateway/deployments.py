"""Deployments (frozen copies of an API), stages and authorizers."""

from __future__ import annotations

import copy
import re

from .common import patch
from .common.index import new_id
from .common.snapshots import SnapshotCache
from .state import bad_request, conflict, editing, load_api, not_found, page

_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_STAGE_FIELDS = ("deploymentId", "stageName", "description", "cacheClusterEnabled", "cacheClusterStatus",
                 "cacheClusterSize", "documentationVersion",
                 "methodSettings", "variables", "tracingEnabled", "tags", "createdDate", "lastUpdatedDate",
                 "accessLogSettings", "canarySettings")
snapshots = SnapshotCache()


def snapshot(doc: dict) -> dict:
    return copy.deepcopy({"resources": doc["resources"], "authorizers": doc["authorizers"],
                          "gatewayResponses": doc["gatewayResponses"], "api": doc["api"],
                          "models": doc.get("models", {}), "requestValidators": doc.get("requestValidators", {})})


def _deployment_view(deployment: dict) -> dict:
    return {k: deployment[k] for k in ("id", "description", "createdDate") if deployment.get(k) is not None}


def create_deployment(ctx, params: dict) -> dict:
    api_id = params["restApiId"]
    ns = ctx.namespace()
    with ctx.runtime.store.transaction():
        doc = load_api(ctx, api_id)
        if not any(r.get("resourceMethods") for r in doc["resources"].values()):
            raise bad_request("The REST API doesn't contain any methods")
        for resource in doc["resources"].values():
            for name, method in (resource.get("resourceMethods") or {}).items():
                if "methodIntegration" not in method:
                    raise bad_request(f"No integration defined for method {name} {resource['path']}")
        deployment = {"id": new_id(6), "description": params.get("description"), "createdDate": ctx.now,
                      "snapshot": snapshot(doc)}
        ns.put("deployment", f"{api_id}/{deployment['id']}", deployment)
        if params.get("stageName"):
            stage_name = params["stageName"]
            stage = ns.get("stage", f"{api_id}/{stage_name}")
            canary = params.get("canarySettings")
            if stage is None:
                if canary:
                    raise bad_request("Canary settings need an existing stage to deploy to")
                stage = _new_stage(ctx, stage_name, deployment["id"], params.get("stageDescription"),
                                   params.get("variables"), params)
            elif canary:  # a canary deployment: the stage keeps serving its own for the rest
                stage["canarySettings"] = {"percentTraffic": float(canary.get("percentTraffic") or 0),
                                           "deploymentId": deployment["id"],
                                           "stageVariableOverrides": canary.get("stageVariableOverrides") or {},
                                           "useStageCache": bool(canary.get("useStageCache"))}
                stage["lastUpdatedDate"] = ctx.now
            else:
                stage["deploymentId"] = deployment["id"]
                stage["lastUpdatedDate"] = ctx.now
                if params.get("variables"):
                    stage.setdefault("variables", {}).update(params["variables"])
            ns.put("stage", f"{api_id}/{stage_name}", stage)
    return {**_deployment_view(deployment), "__status__": 201}


def get_deployment(ctx, params: dict) -> dict:
    load_api(ctx, params["restApiId"])
    deployment = ctx.namespace().get("deployment", f"{params['restApiId']}/{params['deploymentId']}")
    if deployment is None:
        raise not_found("Invalid Deployment identifier specified")
    view = _deployment_view(deployment)
    if "apisummary" in (params.get("embed") or []):
        view["apiSummary"] = {
            resource["path"]: {name: {"authorizationType": method.get("authorizationType", "NONE"),
                                      "apiKeyRequired": bool(method.get("apiKeyRequired"))}
                               for name, method in resource["resourceMethods"].items()}
            for resource in deployment["snapshot"]["resources"].values() if resource.get("resourceMethods")}
    return view


def get_deployments(ctx, params: dict) -> dict:
    load_api(ctx, params["restApiId"])
    items = [_deployment_view(d) for _, d in ctx.namespace().list("deployment", params["restApiId"] + "/")]
    return page(sorted(items, key=lambda d: d["createdDate"]), params)


def update_deployment(ctx, params: dict) -> dict:
    key = f"{params['restApiId']}/{params['deploymentId']}"
    with ctx.runtime.store.transaction():
        deployment = ctx.namespace().get("deployment", key)
        if deployment is None:
            raise not_found("Invalid Deployment identifier specified")
        patch.apply(deployment, params.get("patchOperations"), {"description"})
        ctx.namespace().put("deployment", key, deployment)
    return _deployment_view(deployment)


def delete_deployment(ctx, params: dict) -> dict:
    api_id, dep_id = params["restApiId"], params["deploymentId"]
    ns = ctx.namespace()
    with ctx.runtime.store.transaction():
        if ns.get("deployment", f"{api_id}/{dep_id}") is None:
            raise not_found("Invalid Deployment identifier specified")
        for _, stage in ns.list("stage", api_id + "/"):
            if stage.get("deploymentId") == dep_id:
                raise bad_request("Active stages pointing to this deployment must be moved or deleted")
        ns.delete("deployment", f"{api_id}/{dep_id}")
    return {"__status__": 202}


# -- stages ------------------------------------------------------------------------------------

def _new_stage(ctx, name: str, deployment_id: str, description, variables, params: dict) -> dict:
    if not _STAGE_NAME.match(name):
        raise bad_request("Stage name only allows a-zA-Z0-9_-")
    return {"stageName": name, "deploymentId": deployment_id, "description": description,
            "variables": variables or {}, "cacheClusterEnabled": bool(params.get("cacheClusterEnabled")),
            "cacheClusterStatus": "AVAILABLE" if params.get("cacheClusterEnabled") else "NOT_AVAILABLE",
            "cacheClusterSize": (params.get("cacheClusterSize") or "0.5") if params.get("cacheClusterEnabled") else None,
            "tracingEnabled": bool(params.get("tracingEnabled")),
            "methodSettings": {}, "tags": params.get("tags") or {}, "createdDate": ctx.now,
            # CreateStage may start with a canary; CreateDeployment's canarySettings mean something else
            "lastUpdatedDate": ctx.now, "canarySettings": params.get("canarySettings") if params.get("deploymentId")
            else None}


def stage_view(stage: dict) -> dict:
    return {k: stage[k] for k in _STAGE_FIELDS if stage.get(k) is not None}


def create_stage(ctx, params: dict) -> dict:
    api_id, name = params["restApiId"], params["stageName"]
    ns = ctx.namespace()
    with ctx.runtime.store.transaction():
        load_api(ctx, api_id)
        if ns.get("deployment", f"{api_id}/{params['deploymentId']}") is None:
            raise not_found("Invalid Deployment identifier specified")
        if ns.get("stage", f"{api_id}/{name}") is not None:
            raise conflict("Stage already exists")
        stage = _new_stage(ctx, name, params["deploymentId"], params.get("description"), params.get("variables"), params)
        ns.put("stage", f"{api_id}/{name}", stage)
    return {**stage_view(stage), "__status__": 201}


def _stage(ctx, params: dict) -> dict:
    load_api(ctx, params["restApiId"])
    stage = ctx.namespace().get("stage", f"{params['restApiId']}/{params['stageName']}")
    if stage is None:
        raise not_found("Invalid Stage identifier specified")
    return stage


def get_stage(ctx, params: dict) -> dict:
    return stage_view(_stage(ctx, params))


def get_stages(ctx, params: dict) -> dict:
    load_api(ctx, params["restApiId"])
    stages = [stage_view(s) for _, s in ctx.namespace().list("stage", params["restApiId"] + "/")]
    if params.get("deploymentId"):
        stages = [s for s in stages if s["deploymentId"] == params["deploymentId"]]
    return {"item": stages}


def update_stage(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        stage = _stage(ctx, params)
        for op in params.get("patchOperations") or ():
            if op.get("path") == "/deploymentId" and ctx.namespace().get(
                    "deployment", f"{params['restApiId']}/{op.get('value')}") is None:
                raise bad_request("Deployment id does not exist")
        plain = []
        for op in params.get("patchOperations") or ():
            if _method_setting(stage, op) is None:
                plain.append(op)
        patch.apply(stage, plain, {"deploymentId", "description", "variables", "cacheClusterEnabled",
                                   "cacheClusterSize", "tracingEnabled", "accessLogSettings", "canarySettings"})
        stage["cacheClusterStatus"] = "AVAILABLE" if stage.get("cacheClusterEnabled") else "NOT_AVAILABLE"
        if stage.get("cacheClusterEnabled"):
            stage["cacheClusterSize"] = stage.get("cacheClusterSize") or "0.5"
        stage["lastUpdatedDate"] = ctx.now
        ctx.namespace().put("stage", f"{params['restApiId']}/{params['stageName']}", stage)
    return stage_view(stage)


# "/{resource path}/{method}/{group}/{name}" -> MethodSetting member (AWS's patch paths for
# methodSettings; the resource path has '/' escaped as '~1', "*" for every resource or method).
_METHOD_SETTINGS = {
    "metrics/enabled": ("metricsEnabled", bool), "logging/loglevel": ("loggingLevel", str),
    "logging/dataTrace": ("dataTraceEnabled", bool), "throttling/burstLimit": ("throttlingBurstLimit", int),
    "throttling/rateLimit": ("throttlingRateLimit", float), "caching/enabled": ("cachingEnabled", bool),
    "caching/ttlInSeconds": ("cacheTtlInSeconds", int), "caching/dataEncrypted": ("cacheDataEncrypted", bool),
    "caching/requireAuthorizationForCacheControl": ("requireAuthorizationForCacheControl", bool),
    "caching/unauthorizedCacheControlHeaderStrategy": ("unauthorizedCacheControlHeaderStrategy", str),
}
_SETTING_DEFAULTS = {"metricsEnabled": False, "loggingLevel": "OFF", "dataTraceEnabled": False,
                     "throttlingBurstLimit": 5000, "throttlingRateLimit": 10000.0, "cachingEnabled": False,
                     "cacheTtlInSeconds": 300, "cacheDataEncrypted": False,
                     "requireAuthorizationForCacheControl": True,
                     "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER"}


def _method_setting(stage: dict, op: dict):
    """Apply one methodSettings patch operation; None when the operation is about something else."""
    parts = (op.get("path") or "").lstrip("/").split("/")
    if len(parts) < 3 or parts[0] in ("variables", "accessLogSettings", "canarySettings"):
        return None
    resource, method, setting = parts[0].replace("~1", "/"), parts[1], "/".join(parts[2:])
    if setting not in _METHOD_SETTINGS:
        raise bad_request(f"Invalid method setting path: {op.get('path')}")
    key = f"{resource.lstrip('/')}/{method}"
    settings = stage.setdefault("methodSettings", {})
    if op.get("op") == "remove":
        settings.pop(key, None)
        return True
    member, kind = _METHOD_SETTINGS[setting]
    value = op.get("value")
    try:
        value = (str(value).lower() == "true") if kind is bool else kind(value)
    except (TypeError, ValueError):
        raise bad_request(f"Invalid value for {setting}: {value}") from None
    settings.setdefault(key, dict(_SETTING_DEFAULTS))[member] = value
    return True


def delete_stage(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        _stage(ctx, params)
        ctx.namespace().delete("stage", f"{params['restApiId']}/{params['stageName']}")
    return {"__status__": 202}


# -- authorizers -------------------------------------------------------------------------------

AUTHORIZER_TYPES = {"TOKEN", "REQUEST", "COGNITO_USER_POOLS"}


def create_authorizer(ctx, params: dict) -> dict:
    kind = params["type"]
    if kind not in AUTHORIZER_TYPES:
        raise bad_request(f"Invalid authorizer type specified: {kind}")
    if kind in ("TOKEN", "REQUEST") and not params.get("authorizerUri"):
        raise bad_request("Authorizer URI must be specified for TOKEN and REQUEST authorizers")
    if kind == "TOKEN" and not params.get("identitySource"):
        raise bad_request("Identity source must be specified for TOKEN authorizers")
    ttl = params.get("authorizerResultTtlInSeconds")
    if ttl is not None and not 0 <= ttl <= 3600:
        raise bad_request("AuthorizerResultTtlInSeconds must be between 0 and 3600")
    with editing(ctx, params["restApiId"]) as doc:
        authorizer = {"id": new_id(6), "name": params["name"], "type": kind,
                      "authorizerResultTtlInSeconds": 300 if ttl is None else ttl}
        for key in ("providerARNs", "authType", "authorizerUri", "authorizerCredentials", "identitySource",
                    "identityValidationExpression"):
            if params.get(key) is not None:
                authorizer[key] = params[key]
        doc["authorizers"][authorizer["id"]] = authorizer
    return {**authorizer, "__status__": 201}


def _authorizer(doc: dict, authorizer_id: str) -> dict:
    authorizer = doc["authorizers"].get(authorizer_id)
    if authorizer is None:
        raise not_found("Invalid Authorizer identifier specified")
    return authorizer


def get_authorizer(ctx, params: dict) -> dict:
    return _authorizer(load_api(ctx, params["restApiId"]), params["authorizerId"])


def get_authorizers(ctx, params: dict) -> dict:
    return page(list(load_api(ctx, params["restApiId"])["authorizers"].values()), params)


def update_authorizer(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        authorizer = _authorizer(doc, params["authorizerId"])
        patch.apply(authorizer, params.get("patchOperations"),
                    {"name", "type", "providerARNs", "authType", "authorizerUri", "authorizerCredentials",
                     "identitySource", "identityValidationExpression", "authorizerResultTtlInSeconds"})
    return authorizer


def delete_authorizer(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        _authorizer(doc, params["authorizerId"])
        for resource in doc["resources"].values():
            for method in (resource.get("resourceMethods") or {}).values():
                if method.get("authorizerId") == params["authorizerId"]:
                    raise conflict("Cannot delete authorizer, is referenced in method: "
                                   f"{method['httpMethod']}:{resource['path']}")
        del doc["authorizers"][params["authorizerId"]]
    return {"__status__": 202}
