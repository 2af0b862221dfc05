"""Where REST APIs (v1) live in the store.

One document per API (kind "restapi") holds the API, its resources with their methods and
integrations, its authorizers and gateway responses: every control-plane change rewrites it
inside one transaction. Deployments (kind "deployment", name "<api>/<id>") keep a frozen copy
of the parts that serve requests; stages (kind "stage", "<api>/<name>") point at one.
"""

from __future__ import annotations

from contextlib import contextmanager

from ...protocol.errors import ServiceError


def not_found(message: str) -> ServiceError:
    return ServiceError("NotFoundException", message, 404)


def bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message, 400)


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message, 409)


def load_api(ctx, api_id: str) -> dict:
    doc = ctx.namespace().get("restapi", api_id)
    if doc is None:
        raise not_found(f"Invalid API identifier specified {ctx.account}:{api_id}")
    return doc


@contextmanager
def editing(ctx, api_id: str):
    """Read-modify-write one API document atomically."""
    with ctx.runtime.store.transaction():
        doc = load_api(ctx, api_id)
        yield doc
        ctx.namespace().put("restapi", api_id, doc)


def resource_of(doc: dict, resource_id: str) -> dict:
    resource = doc["resources"].get(resource_id)
    if resource is None:
        raise not_found("Invalid Resource identifier specified")
    return resource


def method_of(doc: dict, resource_id: str, http_method: str) -> dict:
    method = resource_of(doc, resource_id).get("resourceMethods", {}).get(http_method.upper())
    if method is None:
        raise not_found("Invalid Method identifier specified")
    return method


def integration_of(doc: dict, resource_id: str, http_method: str) -> dict:
    integration = method_of(doc, resource_id, http_method).get("methodIntegration")
    if integration is None:
        raise not_found("Invalid Integration identifier specified")
    return integration


def page(items: list, params: dict) -> dict:
    """AWS's position/limit paging over an ordered list."""
    start = int(params.get("position") or 0) if str(params.get("position") or "0").isdigit() else 0
    limit = params.get("limit") or 25
    if limit > 500:
        limit = 500
    out = {"items": items[start:start + limit]}
    if start + limit < len(items):
        out["position"] = str(start + limit)
    return out
