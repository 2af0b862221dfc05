"""Where HTTP APIs (v2) live in the store.

One document per API (kind "api") holds the API with its routes, integrations and authorizers;
deployments (kind "deployment", "<api>/<id>") freeze the parts that serve requests; stages
(kind "stage", "<api>/<name>") point at one. Stages with AutoDeploy get a new deployment after
every change (`changed`).
"""

from __future__ import annotations

import copy
from contextlib import contextmanager

from ...protocol.errors import ServiceError
from ..apigateway.common.index import new_id

# (account, api, deployment id) -> snapshot; deployments never change once made.
snapshots: dict[tuple[str, str, str], dict] = {}


def not_found(message: str) -> ServiceError:
    return ServiceError("NotFoundException", message, 404)


def bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message, 400)


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message, 409)


def load_api(ctx, api_id: str) -> dict:
    doc = ctx.namespace().get("api", api_id)
    if doc is None:
        raise not_found(f"Invalid API identifier specified {ctx.account}:{api_id}")
    return doc


@contextmanager
def editing(ctx, api_id: str, redeploy: bool = True):
    """Read-modify-write one API atomically; auto-deploying stages then serve the change."""
    with ctx.runtime.store.transaction():
        doc = load_api(ctx, api_id)
        yield doc
        ctx.namespace().put("api", api_id, doc)
        if redeploy:
            auto_deploy(ctx, doc)


def snapshot_of(doc: dict) -> dict:
    return copy.deepcopy({"api": doc["api"], "routes": doc["routes"], "integrations": doc["integrations"],
                          "authorizers": doc["authorizers"]})


def new_deployment(ctx, doc: dict, description: str | None, auto: bool) -> dict:
    deployment = {"DeploymentId": new_id(6), "Description": description, "CreatedDate": ctx.now,
                  "DeploymentStatus": "DEPLOYED", "AutoDeployed": auto, "snapshot": snapshot_of(doc)}
    ctx.namespace().put("deployment", f"{doc['api']['ApiId']}/{deployment['DeploymentId']}", deployment)
    return deployment


def auto_deploy(ctx, doc: dict) -> None:
    ns = ctx.namespace()
    api_id = doc["api"]["ApiId"]
    stages = [(name, stage) for name, stage in ns.list("stage", api_id + "/") if stage.get("AutoDeploy")]
    if not stages:
        return
    deployment = new_deployment(ctx, doc, "Automatic deployment triggered by changes to the Api configuration", True)
    for name, stage in stages:
        stage["DeploymentId"] = deployment["DeploymentId"]
        stage["LastUpdatedDate"] = ctx.now
        stage["LastDeploymentStatusMessage"] = (f"Successfully deployed stage with deployment ID "
                                                f"'{deployment['DeploymentId']}'")
        ns.put("stage", name, stage)


def load_snapshot(ns, account: str, api_id: str, deployment_id: str) -> dict | None:
    key = (account, api_id, deployment_id)
    found = snapshots.get(key)
    if found is None:
        deployment = ns.get("deployment", f"{api_id}/{deployment_id}")
        if deployment is None:
            return None
        if len(snapshots) > 2000:
            snapshots.clear()
        found = snapshots[key] = deployment["snapshot"]
    return found


def paged(items: list, params: dict) -> dict:
    start = int(params["NextToken"]) if str(params.get("NextToken") or "").isdigit() else 0
    limit = int(params["MaxResults"]) if str(params.get("MaxResults") or "").isdigit() else 100
    out = {"Items": items[start:start + limit]}
    if start + limit < len(items):
        out["NextToken"] = str(start + limit)
    return out
