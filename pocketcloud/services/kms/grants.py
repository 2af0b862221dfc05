"""KMS grants: delegated, revocable permissions on one key, kept in the key's record."""

from __future__ import annotations

import base64
import secrets

from pocketcloud.protocol.errors import ServiceError

from . import keystore
from .keystore import KIND
from .paging import page

_OPERATIONS = {
    "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
    "Sign", "Verify", "GetPublicKey", "CreateGrant", "RetireGrant", "DescribeKey", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "GenerateMac", "VerifyMac", "DeriveSharedSecret",
}


def _public(grant: dict, key_arn: str) -> dict:
    out = {k: v for k, v in grant.items() if k != "GrantToken" and v is not None}
    out["KeyId"] = key_arn
    return out


def create_grant(ctx, params):
    ref = keystore.resolve(ctx, params["KeyId"])
    keystore.check_not_pending_deletion(ref)
    operations = params["Operations"]
    bad = [op for op in operations if op not in _OPERATIONS]
    if bad or not operations:
        raise ServiceError("ValidationException", f"1 validation error detected: Value '{bad}' at 'operations' "
                           "failed to satisfy constraint: Member must satisfy enum value set", 400)
    grants = ref.record["Grants"]
    name = params.get("Name")
    if name:  # CreateGrant is idempotent for a repeated named grant with the same parameters
        for grant in grants:
            if grant.get("Name") == name and grant["GranteePrincipal"] == params["GranteePrincipal"] \
                    and grant["Operations"] == operations:
                return {"GrantToken": grant["GrantToken"], "GrantId": grant["GrantId"]}
    if len(grants) >= 50000:
        raise ServiceError("LimitExceededException", "Grants per key exceeded.", 400)
    grant = {
        "GrantId": keystore.new_grant_id(), "Name": name, "CreationDate": ctx.now,
        "GranteePrincipal": params["GranteePrincipal"], "RetiringPrincipal": params.get("RetiringPrincipal"),
        "IssuingAccount": f"arn:aws:iam::{ctx.account}:root", "Operations": operations,
        "Constraints": params.get("Constraints"),
        "GrantToken": base64.urlsafe_b64encode(secrets.token_bytes(96)).decode().rstrip("="),
    }
    grants.append(grant)
    ref.save()
    return {"GrantToken": grant["GrantToken"], "GrantId": grant["GrantId"]}


def list_grants(ctx, params):
    ref = keystore.resolve(ctx, params["KeyId"])
    grants = [_public(g, ref.arn) for g in ref.record["Grants"]
              if (not params.get("GrantId") or g["GrantId"] == params["GrantId"])
              and (not params.get("GranteePrincipal") or g["GranteePrincipal"] == params["GranteePrincipal"])]
    return page(grants, params, "Grants", default_limit=50, limit_max=100)


def list_retirable_grants(ctx, params):
    principal = params["RetiringPrincipal"]
    grants = []
    for _, record in ctx.namespace("kms").list(KIND):
        grants += [_public(g, record["Arn"]) for g in record["Grants"] if g.get("RetiringPrincipal") == principal]
    return page(grants, params, "Grants", default_limit=50, limit_max=100)


def _drop(ref: keystore.KeyRef, grant_id: str) -> None:
    before = len(ref.record["Grants"])
    ref.record["Grants"] = [g for g in ref.record["Grants"] if g["GrantId"] != grant_id]
    if len(ref.record["Grants"]) == before:
        raise ServiceError("NotFoundException", f"Grant ID {grant_id} not found", 400)
    ref.save()


def revoke_grant(ctx, params):
    ref = keystore.resolve(ctx, params["KeyId"])
    _drop(ref, params["GrantId"])
    return {}


def retire_grant(ctx, params):
    token, key_id, grant_id = params.get("GrantToken"), params.get("KeyId"), params.get("GrantId")
    if token:
        ns = ctx.namespace("kms")
        for _, record in ns.list(KIND):
            for grant in record["Grants"]:
                if grant["GrantToken"] == token:
                    _drop(keystore.KeyRef(ns, record), grant["GrantId"])
                    return {}
        raise ServiceError("InvalidGrantTokenException", "Grant token is not valid.", 400)
    if not (key_id and grant_id):
        raise ServiceError("ValidationException", "Either GrantToken or both KeyId and GrantId are required.", 400)
    ref = keystore.resolve(ctx, key_id)
    if not any(g["GrantId"] == grant_id for g in ref.record["Grants"]):
        raise ServiceError("InvalidGrantIdException", f"Grant ID {grant_id} not found", 400)
    _drop(ref, grant_id)
    return {}
