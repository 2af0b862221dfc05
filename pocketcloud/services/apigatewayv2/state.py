"""Where HTTP APIs (v2) live in the store.

One document per API (kind "api") holds the API with its routes, integrations and authorizers;
deployments (kind "deployment", "<api>/<id>") freeze the parts that serve requests; stages
(kind "stage", "<api>/<name>") point at one. Stages with AutoDeploy get a new deployment after
every change (`changed`).
"""

from __future__ import annotations

import copy
from contextlib import contextmanager

from ..apigateway.common.index import new_id
from ..apigateway.common.snapshots import SnapshotCache
from ..apigateway.state import bad_request, conflict, not_found  # noqa: F401 - shared error shapes

snapshots = SnapshotCache()


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


def paged(items: list, params: dict) -> dict:
    start = int(params["NextToken"]) if str(params.get("NextToken") or "").isdigit() else 0
    limit = int(params["MaxResults"]) if str(params.get("MaxResults") or "").isdigit() else 100
    out = {"Items": items[start:start + limit]}
    if start + limit < len(items):
        out["NextToken"] = str(start + limit)
    return out
