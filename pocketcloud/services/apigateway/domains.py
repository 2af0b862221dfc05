"""Custom domain names and base path mappings of REST APIs (storage and serving are shared
with HTTP APIs: common/domains.py)."""

from __future__ import annotations

from .common import domains, patch
from .state import bad_request, not_found, page

_ZONES = {"REGIONAL": "Z1UJRXOUMOOFQ8", "EDGE": "Z2FDTNDATAQYW2"}


def _view(domain: dict, region: str) -> dict:
    kind = domain.get("endpointType", "EDGE")
    out = {"domainName": domain["name"], "domainNameId": domain["id"], "domainNameStatus": "AVAILABLE",
           "domainNameArn": f"arn:aws:apigateway:{region}::/domainnames/{domain['name']}",
           "endpointConfiguration": {"types": [kind]}, "securityPolicy": domain.get("securityPolicy") or "TLS_1_2",
           "tags": domain.get("tags") or {}, "certificateUploadDate": domain["created"]}
    if kind == "REGIONAL":
        out.update(regionalDomainName=domain["regionalDomainName"], regionalHostedZoneId=_ZONES["REGIONAL"],
                   regionalCertificateArn=domain.get("certificateArn"))
    else:
        out.update(distributionDomainName=f"{domain['id'][2:]}.cloudfront.net", distributionHostedZoneId=_ZONES["EDGE"],
                   certificateArn=domain.get("certificateArn"))
    return {k: v for k, v in out.items() if v is not None}


def create_domain_name(ctx, params: dict) -> dict:
    kinds = (params.get("endpointConfiguration") or {}).get("types") or ["EDGE"]
    kind = kinds[0]
    certificate = params.get("regionalCertificateArn") if kind == "REGIONAL" else params.get("certificateArn")
    if kind not in ("REGIONAL", "EDGE", "PRIVATE"):
        raise bad_request(f"Invalid endpoint type {kind}")
    domain = domains.create(ctx, params["domainName"], {"endpointType": kind, "certificateArn": certificate,
                                                        "securityPolicy": params.get("securityPolicy"),
                                                        "tags": params.get("tags") or {}})
    return {**_view(domain, ctx.region), "__status__": 201}


def get_domain_name(ctx, params: dict) -> dict:
    return _view(domains.load(ctx, params["domainName"]), ctx.region)


def get_domain_names(ctx, params: dict) -> dict:
    items = [_view(d, ctx.region) for _, d in domains.namespace(ctx).list("domain")]
    return page(items, params)


def delete_domain_name(ctx, params: dict) -> dict:
    domains.delete(ctx, params["domainName"])
    return {"__status__": 202}


def _mapping_view(mapping: dict) -> dict:
    return {"basePath": mapping["key"] or "(none)", "restApiId": mapping["apiId"], "stage": mapping["stage"]}


def _key(base_path: str | None) -> str:
    return "" if base_path in (None, "", "(none)") else base_path.strip("/")


def create_base_path_mapping(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        domain = domains.load(ctx, params["domainName"])
        stage = params.get("stage")
        if stage and ctx.namespace().get("stage", f"{params['restApiId']}/{stage}") is None:
            raise bad_request("Invalid stage identifier specified")
        mapping = domains.add_mapping(ctx, domain, _key(params.get("basePath")), params["restApiId"], stage)
        domains.save(ctx, domain)
    return {**_mapping_view(mapping), "__status__": 201}


def _mapping(domain: dict, base_path: str) -> dict:
    key = _key(base_path)
    for mapping in domain["mappings"].values():
        if mapping["key"] == key:
            return mapping
    raise not_found("Invalid base path mapping identifier specified")


def get_base_path_mapping(ctx, params: dict) -> dict:
    return _mapping_view(_mapping(domains.load(ctx, params["domainName"]), params["basePath"]))


def get_base_path_mappings(ctx, params: dict) -> dict:
    domain = domains.load(ctx, params["domainName"])
    return page([_mapping_view(m) for m in domain["mappings"].values()], params)


def update_base_path_mapping(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        domain = domains.load(ctx, params["domainName"])
        mapping = _mapping(domain, params["basePath"])
        view = _mapping_view(mapping)
        patch.apply(view, params.get("patchOperations"), {"basePath", "restApiId", "stage"})
        mapping.update(key=_key(view["basePath"]), apiId=view["restApiId"], stage=view["stage"])
        domains.save(ctx, domain)
    return _mapping_view(mapping)


def delete_base_path_mapping(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        domain = domains.load(ctx, params["domainName"])
        del domain["mappings"][_mapping(domain, params["basePath"])["id"]]
        domains.save(ctx, domain)
    return {"__status__": 202}
