"""HTTP API VPC links: kept and listed, AVAILABLE at once (no VPC here to reach through them)."""

from __future__ import annotations

from ..apigateway.common.index import new_id
from .state import not_found, paged


def create_vpc_link(ctx, params: dict) -> dict:
    link = {"VpcLinkId": new_id(6), "Name": params["Name"], "SubnetIds": params["SubnetIds"],
            "SecurityGroupIds": params.get("SecurityGroupIds") or [], "Tags": params.get("Tags") or {},
            "CreatedDate": ctx.now, "VpcLinkStatus": "AVAILABLE", "VpcLinkStatusMessage": "VPC link is ready to route traffic",
            "VpcLinkVersion": "V2"}
    ctx.namespace().put("vpclink", link["VpcLinkId"], link)
    return {**link, "__status__": 201}


def _link(ctx, link_id: str) -> dict:
    link = ctx.namespace().get("vpclink", link_id)
    if link is None:
        raise not_found(f"Invalid VpcLink identifier specified {link_id}")
    return link


def get_vpc_link(ctx, params: dict) -> dict:
    return _link(ctx, params["VpcLinkId"])


def get_vpc_links(ctx, params: dict) -> dict:
    return paged([link for _, link in ctx.namespace().list("vpclink")], params)


def update_vpc_link(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        link = _link(ctx, params["VpcLinkId"])
        if params.get("Name"):
            link["Name"] = params["Name"]
        ctx.namespace().put("vpclink", link["VpcLinkId"], link)
    return link


def delete_vpc_link(ctx, params: dict) -> dict:
    _link(ctx, params["VpcLinkId"])
    ctx.namespace().delete("vpclink", params["VpcLinkId"])
    return {"__status__": 202}
