"""Custom domain names, shared by REST (v1: base path mappings) and HTTP APIs (v2: API
mappings), as on AWS where one domain may map paths to APIs of both kinds.

A domain gets an id `d-xxxxxxxxxx` and the regional name `d-xxxxxxxxxx.execute-api.<region>.
amazonaws.com`, which is in the invoke-URL index: a request with that Host (or under any other
domain, or at /_aws/execute-api/d-xxxxxxxxxx/...) is served through the domain's mappings: the
first path segment picks the mapping by its base path (else the "(none)" mapping), and the
mapped API's stage answers with the rest of the path.
"""

from __future__ import annotations

import re

from ....core.store import Namespace
from ..state import bad_request, conflict, not_found
from . import index
from .replies import json_reply


_BASE_PATH = re.compile(r"^[A-Za-z0-9._~/-]{0,300}$")


def namespace(ctx) -> Namespace:
    return ctx.namespace("apigateway")


def load(ctx, name: str) -> dict:
    domain = namespace(ctx).get("domain", name)
    if domain is None:
        raise not_found(f"Invalid domain name identifier specified: {name}")
    return domain


def create(ctx, name: str, fields: dict) -> dict:
    if not name or len(name) > 253 or "." not in name or any(not part for part in name.split(".")):
        raise bad_request(f"Invalid domain name: {name}")
    ns = namespace(ctx)
    store = ctx.runtime.store
    with store.transaction():
        if ns.get("domain", name) is not None:
            raise conflict(f"The domain name you provided already exists: {name}")
        domain_id = "d-" + index.unique_api_id(store)
        domain = {"name": name, "id": domain_id, "created": ctx.now, "mappings": {}, "tags": {},
                  "regionalDomainName": f"{domain_id}.execute-api.{ctx.region}.amazonaws.com", **fields}
        ns.put("domain", name, domain)
        ns.put("domain-id", domain_id, {"name": name})
        index.register(store, domain_id, ctx.account, ctx.region, 0)
    return domain


def delete(ctx, name: str) -> None:
    ns = namespace(ctx)
    with ctx.runtime.store.transaction():
        domain = load(ctx, name)
        ns.delete("domain", name)
        ns.delete("domain-id", domain["id"])
        index.unregister(ctx.runtime.store, domain["id"])


def save(ctx, domain: dict) -> None:
    namespace(ctx).put("domain", domain["name"], domain)


def add_mapping(ctx, domain: dict, key: str, api_id: str, stage: str | None) -> dict:
    if any(m["key"] == key for m in domain["mappings"].values()):
        raise conflict(f"Base path already exists for this domain name: {key or '(none)'}")
    if not _BASE_PATH.match(key):
        raise bad_request(f"Invalid base path: {key}")
    found = index.lookup(ctx.runtime.store, api_id)
    if found is None or found[0] != ctx.account or found[2] == 0:
        raise not_found(f"Invalid API identifier specified {ctx.account}:{api_id}")
    mapping = {"id": index.new_id(6), "key": key, "apiId": api_id, "stage": stage}
    domain["mappings"][mapping["id"]] = mapping
    return mapping


async def serve(inv):
    """Serve a request that came to a custom domain's regional name."""
    ns = Namespace(inv.runtime.store, "apigateway", inv.account, inv.region)
    entry = ns.get("domain-id", inv.api_id)
    domain = ns.get("domain", entry["name"]) if entry else None
    if domain is None:
        return json_reply(404, {"message": "Not Found"}, inv.request_id)
    first, _, rest = inv.path.lstrip("/").partition("/")
    by_key = {m["key"]: m for m in domain["mappings"].values()}
    mapping = by_key.get(first) if first else None
    path = "/" + rest if mapping else inv.path
    mapping = mapping or by_key.get("")
    if mapping is None or not mapping.get("stage"):
        return json_reply(403, {"message": "Forbidden"}, inv.request_id)
    found = index.lookup(inv.runtime.store, mapping["apiId"])
    if found is None:
        return json_reply(403, {"message": "Forbidden"}, inv.request_id)
    inv.api_id, inv.stage, inv.path, inv.domain = mapping["apiId"], mapping["stage"], path, domain["name"]
    if found[2] == 1:
        from ..serve_rest import serve as serve_rest

        return await serve_rest(inv)
    from ...apigatewayv2.serve import serve as serve_http

    return await serve_http(inv)
