"""Documentation parts (JSON properties attached to a location of a REST API) and documentation
versions (snapshots of them, optionally tied to a stage)."""

from __future__ import annotations

import copy
import json

from .common import patch
from .common.index import new_id
from .state import bad_request, conflict, editing, load_api, not_found, page

_LOCATION_TYPES = {"API", "AUTHORIZER", "MODEL", "RESOURCE", "METHOD", "PATH_PARAMETER", "QUERY_PARAMETER",
                   "REQUEST_HEADER", "REQUEST_BODY", "RESPONSE", "RESPONSE_HEADER", "RESPONSE_BODY"}


def _check_properties(text: str) -> None:
    try:
        json.loads(text)
    except ValueError:
        raise bad_request("Documentation part properties must be valid JSON") from None


def create_documentation_part(ctx, params: dict) -> dict:
    location = params["location"]
    if location.get("type") not in _LOCATION_TYPES:
        raise bad_request(f"Invalid documentation location type: {location.get('type')}")
    _check_properties(params["properties"])
    with editing(ctx, params["restApiId"]) as doc:
        parts = doc.setdefault("documentationParts", {})
        if any(p["location"] == location for p in parts.values()):
            raise conflict("Documentation part already exists for the specified location")
        part = {"id": new_id(6), "location": location, "properties": params["properties"]}
        parts[part["id"]] = part
    return {**part, "__status__": 201}


def _part(doc: dict, part_id: str) -> dict:
    part = doc.get("documentationParts", {}).get(part_id)
    if part is None:
        raise not_found("Invalid Documentation part identifier specified")
    return part


def get_documentation_part(ctx, params: dict) -> dict:
    return _part(load_api(ctx, params["restApiId"]), params["documentationPartId"])


def get_documentation_parts(ctx, params: dict) -> dict:
    parts = list(load_api(ctx, params["restApiId"]).get("documentationParts", {}).values())
    if params.get("type"):
        parts = [p for p in parts if p["location"].get("type") == params["type"]]
    if params.get("path"):
        parts = [p for p in parts if p["location"].get("path") == params["path"]]
    if params.get("nameQuery"):
        parts = [p for p in parts if params["nameQuery"] in (p["location"].get("name") or "")]
    return page(parts, params)


def update_documentation_part(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        part = _part(doc, params["documentationPartId"])
        patch.apply(part, params.get("patchOperations"), {"properties"})
        _check_properties(part["properties"])
    return part


def delete_documentation_part(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        _part(doc, params["documentationPartId"])
        del doc["documentationParts"][params["documentationPartId"]]
    return {"__status__": 202}


def create_documentation_version(ctx, params: dict) -> dict:
    version_name = params["documentationVersion"]
    with editing(ctx, params["restApiId"]) as doc:
        versions = doc.setdefault("documentationVersions", {})
        if version_name in versions:
            raise conflict("Documentation version already exists")
        version = {"version": version_name, "createdDate": ctx.now, "description": params.get("description"),
                   "parts": copy.deepcopy(doc.get("documentationParts", {}))}
        versions[version_name] = version
    if params.get("stageName"):
        ns = ctx.namespace()
        stage = ns.get("stage", f"{params['restApiId']}/{params['stageName']}")
        if stage is None:
            raise not_found("Invalid Stage identifier specified")
        stage["documentationVersion"] = version_name
        ns.put("stage", f"{params['restApiId']}/{params['stageName']}", stage)
    return {**_version_view(version), "__status__": 201}


def _version_view(version: dict) -> dict:
    return {k: v for k, v in version.items() if k != "parts" and v is not None}


def _version(doc: dict, name: str) -> dict:
    version = doc.get("documentationVersions", {}).get(name)
    if version is None:
        raise not_found("Invalid Documentation version identifier specified")
    return version


def get_documentation_version(ctx, params: dict) -> dict:
    return _version_view(_version(load_api(ctx, params["restApiId"]), params["documentationVersion"]))


def get_documentation_versions(ctx, params: dict) -> dict:
    versions = load_api(ctx, params["restApiId"]).get("documentationVersions", {}).values()
    return page([_version_view(v) for v in versions], params)


def update_documentation_version(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        version = _version(doc, params["documentationVersion"])
        patch.apply(version, params.get("patchOperations"), {"description"})
    return _version_view(version)


def delete_documentation_version(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        _version(doc, params["documentationVersion"])
        del doc["documentationVersions"][params["documentationVersion"]]
    return {"__status__": 202}
