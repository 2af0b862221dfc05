"""Custom domain names and API mappings of HTTP APIs (shared storage and serving:
apigateway/common/domains.py)."""

from __future__ import annotations

from ..apigateway.common import domains
from .state import not_found, paged


def _view(domain: dict, region: str) -> dict:
    return {"DomainName": domain["name"], "ApiMappingSelectionExpression": "$request.basepath",
            "DomainNameArn": f"arn:aws:apigateway:{region}::/domainnames/{domain['name']}",
            "DomainNameConfigurations": [{
                "ApiGatewayDomainName": domain["regionalDomainName"], "CertificateArn": domain.get("certificateArn"),
                "DomainNameStatus": "AVAILABLE", "EndpointType": "REGIONAL", "HostedZoneId": "Z1UJRXOUMOOFQ8",
                "SecurityPolicy": domain.get("securityPolicy") or "TLS_1_2"}],
            "Tags": domain.get("tags") or {}}


def create_domain_name(ctx, params: dict) -> dict:
    config = (params.get("DomainNameConfigurations") or [{}])[0]
    domain = domains.create(ctx, params["DomainName"], {"endpointType": "REGIONAL",
                                                        "certificateArn": config.get("CertificateArn"),
                                                        "securityPolicy": config.get("SecurityPolicy"),
                                                        "tags": params.get("Tags") or {}})
    return {**_view(domain, ctx.region), "__status__": 201}


def get_domain_name(ctx, params: dict) -> dict:
    return _view(domains.load(ctx, params["DomainName"]), ctx.region)


def get_domain_names(ctx, params: dict) -> dict:
    return paged([_view(d, ctx.region) for _, d in domains.namespace(ctx).list("domain")], params)


def delete_domain_name(ctx, params: dict) -> dict:
    domains.delete(ctx, params["DomainName"])
    return {"__status__": 204}


def _mapping_view(mapping: dict) -> dict:
    return {"ApiId": mapping["apiId"], "ApiMappingId": mapping["id"], "ApiMappingKey": mapping["key"],
            "Stage": mapping["stage"]}


def create_api_mapping(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        domain = domains.load(ctx, params["DomainName"])
        mapping = domains.add_mapping(ctx, domain, (params.get("ApiMappingKey") or "").strip("/"), params["ApiId"],
                                      params["Stage"])
        domains.save(ctx, domain)
    return {**_mapping_view(mapping), "__status__": 201}


def _mapping(domain: dict, mapping_id: str) -> dict:
    mapping = domain["mappings"].get(mapping_id)
    if mapping is None:
        raise not_found(f"Invalid API mapping identifier specified {mapping_id}")
    return mapping


def get_api_mapping(ctx, params: dict) -> dict:
    return _mapping_view(_mapping(domains.load(ctx, params["DomainName"]), params["ApiMappingId"]))


def get_api_mappings(ctx, params: dict) -> dict:
    return paged([_mapping_view(m) for m in domains.load(ctx, params["DomainName"])["mappings"].values()], params)


def update_api_mapping(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        domain = domains.load(ctx, params["DomainName"])
        mapping = _mapping(domain, params["ApiMappingId"])
        if params.get("ApiMappingKey") is not None:
            mapping["key"] = params["ApiMappingKey"].strip("/")
        for field, key in (("apiId", "ApiId"), ("stage", "Stage")):
            if params.get(key):
                mapping[field] = params[key]
        domains.save(ctx, domain)
    return _mapping_view(mapping)


def delete_api_mapping(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        domain = domains.load(ctx, params["DomainName"])
        del domain["mappings"][_mapping(domain, params["ApiMappingId"])["id"]]
        domains.save(ctx, domain)
    return {"__status__": 204}
