"""Layers: versioned zips that functions put under /opt (kind "layer", "<name>:<version>")."""

from __future__ import annotations

import re

from .functions import code_from, paginate, timestamp, version_key
from .names import invalid, not_found, public

_LAYER_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]{1,140}):(\d+)$")


def layer_arn(ns, name: str, version: int | None = None) -> str:
    arn = f"arn:aws:lambda:{ns.region}:{ns.account}:layer:{name}"
    return arn if version is None else f"{arn}:{version}"


def layer_by_arn(ctx, arn: str) -> dict:
    """{"Arn", "CodeSize", "_sha"} of a layer version a function refers to."""
    from ...core.store import Namespace

    match = _LAYER_ARN.match(arn)
    if match is None:
        raise invalid(f"Layer version {arn} does not exist.")
    region, account, name, version = match.groups()
    record = Namespace(ctx.runtime.store, "lambda", account, region).get("layer", version_key(name, int(version)))
    if record is None:
        raise invalid(f"Layer version {arn} does not exist.")
    return {"Arn": arn, "CodeSize": record["Content"]["CodeSize"], "_sha": record["_code"]}


async def publish_layer_version(provider, ctx, params: dict) -> dict:
    ns = ctx.namespace("lambda")
    name = params["LayerName"]
    if not re.fullmatch(r"[a-zA-Z0-9-_]{1,140}", name):
        raise invalid(f"Invalid layer name: {name}")
    code = await code_from(ctx, provider, params["Content"])
    with ctx.runtime.store.transaction():
        existing = ns.list("layer", f"{name}:")
        number = int(existing[-1][1]["Version"]) + 1 if existing else 1
        record = {
            "Content": {"Location": f"{provider.public_endpoint(ctx)}/_aws/lambda-code/{code['sha']}.zip",
                        "CodeSha256": code["CodeSha256"], "CodeSize": code["CodeSize"]},
            "LayerArn": layer_arn(ns, name), "LayerVersionArn": layer_arn(ns, name, number),
            "Description": params.get("Description", ""), "CreatedDate": timestamp(ctx), "Version": number,
            "_code": code["sha"],
        }
        for key in ("CompatibleRuntimes", "LicenseInfo", "CompatibleArchitectures"):
            if params.get(key):
                record[key] = params[key]
        ns.put("layer", version_key(name, number), record)
    return {**public(record), "__status__": 201}


def get_layer_version(ctx, params: dict) -> dict:
    ns = ctx.namespace("lambda")
    record = ns.get("layer", version_key(params["LayerName"], params["VersionNumber"]))
    if record is None:
        raise not_found("The resource you requested does not exist.")
    return public(record)


def get_layer_version_by_arn(ctx, params: dict) -> dict:
    match = _LAYER_ARN.match(params["Arn"])
    if match is None:
        raise invalid(f"Layer version {params['Arn']} does not exist.")
    return get_layer_version(ctx, {"LayerName": match.group(3), "VersionNumber": int(match.group(4))})


def delete_layer_version(ctx, params: dict) -> dict:
    ctx.namespace("lambda").delete("layer", version_key(params["LayerName"], params["VersionNumber"]))
    return {"__status__": 204}


def _summary(record: dict) -> dict:
    keys = ("LayerVersionArn", "Version", "Description", "CreatedDate", "CompatibleRuntimes", "LicenseInfo",
            "CompatibleArchitectures")
    return {k: record[k] for k in keys if k in record}


def list_layer_versions(ctx, params: dict) -> dict:
    records = [r for _, r in ctx.namespace("lambda").list("layer", f"{params['LayerName']}:")]
    records.reverse()  # newest first, as AWS lists them
    return paginate([_summary(r) for r in records], params, "LayerVersions")


def list_layers(ctx, params: dict) -> dict:
    latest: dict[str, dict] = {}
    for _, record in ctx.namespace("lambda").list("layer"):
        latest[record["LayerArn"]] = record
    layers = [{"LayerName": arn.rsplit(":", 1)[1], "LayerArn": arn, "LatestMatchingVersion": _summary(r)}
              for arn, r in sorted(latest.items())]
    return paginate(layers, params, "Layers")

