"""VPC links (REST APIs: to network load balancers by ARN) and client certificates (real
self-signed certificates API Gateway would present to HTTP backends). Both are kept and listed;
a VPC link is AVAILABLE at once, and integrations through one are not served (no VPC here)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from .common import patch
from .common.index import new_id
from .state import bad_request, not_found, page


def _link_view(link: dict) -> dict:
    return {k: v for k, v in link.items() if v is not None}


def create_vpc_link(ctx, params: dict) -> dict:
    targets = params["targetArns"]
    if len(targets) != 1 or ":elasticloadbalancing:" not in targets[0]:
        raise bad_request("A VPC link needs exactly one network load balancer ARN")
    link = {"id": new_id(6), "name": params["name"], "description": params.get("description"),
            "targetArns": targets, "status": "AVAILABLE", "statusMessage": "Your vpc link is ready for use",
            "tags": params.get("tags") or {}}
    ctx.namespace().put("vpclink", link["id"], link)
    return {**_link_view(link), "__status__": 202}


def _link(ctx, link_id: str) -> dict:
    link = ctx.namespace().get("vpclink", link_id)
    if link is None:
        raise not_found("Invalid Vpc Link identifier specified")
    return link


def get_vpc_link(ctx, params: dict) -> dict:
    return _link_view(_link(ctx, params["vpcLinkId"]))


def get_vpc_links(ctx, params: dict) -> dict:
    return page([_link_view(link) for _, link in ctx.namespace().list("vpclink")], params)


def update_vpc_link(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        link = _link(ctx, params["vpcLinkId"])
        patch.apply(link, params.get("patchOperations"), {"name", "description"})
        ctx.namespace().put("vpclink", link["id"], link)
    return _link_view(link)


def delete_vpc_link(ctx, params: dict) -> dict:
    _link(ctx, params["vpcLinkId"])
    ctx.namespace().delete("vpclink", params["vpcLinkId"])
    return {"__status__": 202}


# -- client certificates -----------------------------------------------------------------------

def _self_signed(common_name: str, now) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now)
                   .not_valid_after(now + timedelta(days=365)).sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _cert_view(cert: dict) -> dict:
    return {k: v for k, v in cert.items() if v is not None}


async def generate_client_certificate(ctx, params: dict) -> dict:
    cert_id = new_id(6)
    now = ctx.now
    # RSA key generation takes tens of milliseconds: off the event loop.
    pem = await asyncio.to_thread(_self_signed, f"apigateway-{cert_id}", now)
    cert = {"clientCertificateId": cert_id, "description": params.get("description"), "pemEncodedCertificate": pem,
            "createdDate": now, "expirationDate": now + timedelta(days=365), "tags": params.get("tags") or {}}
    ctx.namespace().put("clientcert", cert_id, cert)
    return {**_cert_view(cert), "__status__": 201}


def _cert(ctx, cert_id: str) -> dict:
    cert = ctx.namespace().get("clientcert", cert_id)
    if cert is None:
        raise not_found("Invalid Client Certificate identifier specified")
    return cert


def get_client_certificate(ctx, params: dict) -> dict:
    return _cert_view(_cert(ctx, params["clientCertificateId"]))


def get_client_certificates(ctx, params: dict) -> dict:
    return page([_cert_view(c) for _, c in ctx.namespace().list("clientcert")], params)


def update_client_certificate(ctx, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        cert = _cert(ctx, params["clientCertificateId"])
        patch.apply(cert, params.get("patchOperations"), {"description"})
        ctx.namespace().put("clientcert", cert["clientCertificateId"], cert)
    return _cert_view(cert)


def delete_client_certificate(ctx, params: dict) -> dict:
    _cert(ctx, params["clientCertificateId"])
    ctx.namespace().delete("clientcert", params["clientCertificateId"])
    return {"__status__": 202}
