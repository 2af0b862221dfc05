"""REST APIs and their resources."""

from __future__ import annotations

import re

from .common import index, patch
from .common.index import new_id
from .models import default_models
from .state import bad_request, conflict, editing, load_api, page, resource_of

_PATH_PART = re.compile(r"^(\{[A-Za-z0-9._-]+\+?\}|[A-Za-z0-9._~:@!$&'()*+,;=-]+)$")
_API_FIELDS = ("id", "name", "description", "createdDate", "version", "binaryMediaTypes",
               "minimumCompressionSize", "apiKeySource", "endpointConfiguration", "policy", "tags",
               "disableExecuteApiEndpoint", "rootResourceId")


def _api_view(doc: dict) -> dict:
    return {k: v for k, v in doc["api"].items() if k in _API_FIELDS and v is not None}


def create_rest_api(ctx, params: dict) -> dict:
    name = params["name"]
    if not name.strip():
        raise bad_request("Invalid REST API name specified")
    store = ctx.runtime.store
    with store.transaction():
        api_id = index.unique_api_id(store)
        root_id = new_id()
        api = {
            "id": api_id, "name": name, "description": params.get("description"),
            "createdDate": ctx.now, "version": params.get("version"),
            "binaryMediaTypes": params.get("binaryMediaTypes") or [],
            "minimumCompressionSize": params.get("minimumCompressionSize"),
            "apiKeySource": params.get("apiKeySource") or "HEADER",
            "endpointConfiguration": params.get("endpointConfiguration") or {"types": ["EDGE"]},
            "policy": params.get("policy"), "tags": params.get("tags") or {},
            "disableExecuteApiEndpoint": bool(params.get("disableExecuteApiEndpoint")),
            "rootResourceId": root_id,
        }
        doc = {"api": api, "resources": {root_id: {"id": root_id, "path": "/"}},
               "authorizers": {}, "gatewayResponses": {}, "requestValidators": {}, "models": default_models()}
        ctx.namespace().put("restapi", api_id, doc)
        index.register(store, api_id, ctx.account, ctx.region, 1)
    return {**_api_view(doc), "__status__": 201}


def get_rest_api(ctx, params: dict) -> dict:
    return _api_view(load_api(ctx, params["restApiId"]))


def get_rest_apis(ctx, params: dict) -> dict:
    apis = sorted((_api_view(doc) for _, doc in ctx.namespace().list("restapi")), key=lambda a: a["createdDate"])
    return page(apis, params)


def update_rest_api(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        patch.apply(doc["api"], params.get("patchOperations"),
                    {"name", "description", "version", "binaryMediaTypes", "minimumCompressionSize",
                     "apiKeySource", "policy", "disableExecuteApiEndpoint", "endpointConfiguration"})
    return _api_view(doc)


def delete_rest_api(ctx, params: dict) -> dict:
    api_id = params["restApiId"]
    ns = ctx.namespace()
    with ctx.runtime.store.transaction():
        load_api(ctx, api_id)
        ns.delete("restapi", api_id)
        for kind in ("deployment", "stage"):
            for name, _ in ns.list(kind, api_id + "/"):
                ns.delete(kind, name)
        index.unregister(ctx.runtime.store, api_id)
    return {"__status__": 202}


# -- resources ---------------------------------------------------------------------------------

def resource_view(resource: dict) -> dict:
    out = {k: resource[k] for k in ("id", "parentId", "pathPart", "path") if resource.get(k) is not None}
    methods = resource.get("resourceMethods")
    if methods:
        out["resourceMethods"] = methods
    return out


def create_resource(ctx, params: dict) -> dict:
    part = params["pathPart"]
    if not _PATH_PART.match(part):
        raise bad_request("Resource's path part only allow a-zA-Z0-9._- and curly braces at the "
                          "beginning and the end and an optional plus sign before the closing brace.")
    with editing(ctx, params["restApiId"]) as doc:
        parent = resource_of(doc, params["parentId"])
        if parent.get("pathPart", "").endswith("+}"):
            raise bad_request(f"Cannot create a child of a resource with a greedy path variable: {parent['path']}")
        siblings = [r for r in doc["resources"].values() if r.get("parentId") == parent["id"]]
        for sibling in siblings:
            if sibling["pathPart"] == part:
                raise conflict(f"Another resource with the same parent already has this name: {part}")
            if part.startswith("{") and sibling["pathPart"].startswith("{"):
                raise bad_request(f"A sibling ({sibling['pathPart']}) of this resource already has a variable "
                                  f"path part -- only one is allowed")
        rid = new_id()
        path = parent["path"].rstrip("/") + "/" + part
        resource = doc["resources"][rid] = {"id": rid, "parentId": parent["id"], "pathPart": part, "path": path}
    return {**resource_view(resource), "__status__": 201}


def get_resource(ctx, params: dict) -> dict:
    return resource_view(resource_of(load_api(ctx, params["restApiId"]), params["resourceId"]))


def get_resources(ctx, params: dict) -> dict:
    doc = load_api(ctx, params["restApiId"])
    items = sorted((resource_view(r) for r in doc["resources"].values()), key=lambda r: r["path"])
    return page(items, params)


def update_resource(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        resource = resource_of(doc, params["resourceId"])
        for op in params.get("patchOperations") or ():
            if op.get("op") == "replace" and op.get("path") == "/pathPart":
                resource["pathPart"] = op["value"]
                _repath(doc, resource)
            elif op.get("op") == "replace" and op.get("path") == "/parentId":
                resource["parentId"] = resource_of(doc, op["value"])["id"]
                _repath(doc, resource)
            else:
                raise bad_request(f"Invalid patch path {op.get('path')}")
    return resource_view(resource)


def _repath(doc: dict, resource: dict) -> None:
    parent = doc["resources"][resource["parentId"]]
    resource["path"] = parent["path"].rstrip("/") + "/" + resource["pathPart"]
    for child in doc["resources"].values():
        if child.get("parentId") == resource["id"]:
            _repath(doc, child)


def delete_resource(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        resource = resource_of(doc, params["resourceId"])
        if resource.get("parentId") is None:
            raise bad_request("Cannot delete root resource")
        doomed = {resource["id"]}
        changed = True
        while changed:
            changed = False
            for r in doc["resources"].values():
                if r.get("parentId") in doomed and r["id"] not in doomed:
                    doomed.add(r["id"])
                    changed = True
        for rid in doomed:
            del doc["resources"][rid]
    return {"__status__": 202}



# -- OpenAPI import ----------------------------------------------------------------------------

def import_rest_api(ctx, params: dict) -> dict:
    from . import openapi

    spec = openapi.parse(params.get("body"))
    created = create_rest_api(ctx, {"name": ((spec.get("info") or {}).get("title") or "imported"),
                                    "endpointConfiguration": _endpoint(params)})
    with editing(ctx, created["id"]) as doc:
        openapi.apply(doc, spec, overwrite=True)
    return {**_api_view(doc), "__status__": 201}


def put_rest_api(ctx, params: dict) -> dict:
    from . import openapi

    mode = params.get("mode") or "merge"
    if mode not in ("merge", "overwrite"):
        raise bad_request("Invalid mode specified. Valid options are merge and overwrite")
    spec = openapi.parse(params.get("body"))
    with editing(ctx, params["restApiId"]) as doc:
        openapi.apply(doc, spec, overwrite=mode == "overwrite")
    return _api_view(doc)


def _endpoint(params: dict) -> dict:
    kind = (params.get("parameters") or {}).get("endpointConfigurationTypes")
    return {"types": [kind.upper()]} if kind else {"types": ["EDGE"]}
