"""Key lifecycle: create, describe, list, enable/disable, deletion, rotation, tags, policies."""

from __future__ import annotations

import json
from datetime import timedelta

from pocketcloud.core.store import Namespace
from pocketcloud.protocol.errors import ServiceError

from . import deletions, keystore
from .keystore import ECC_SPECS, HMAC_SPECS, KIND, RSA_SPECS, SYMMETRIC, KeyRef
from .paging import page

_USAGES = {
    "ENCRYPT_DECRYPT": {SYMMETRIC, *RSA_SPECS},
    "SIGN_VERIFY": {*RSA_SPECS, *ECC_SPECS},
    "GENERATE_VERIFY_MAC": set(HMAC_SPECS),
    "KEY_AGREEMENT": {"ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"},
}


def check_policy(policy: str | None) -> None:
    if policy is None:
        return
    if len(policy) > 32768:
        raise ServiceError("LimitExceededException", "The key policy exceeds the 32 KB limit.", 400)
    try:
        doc = json.loads(policy)
    except ValueError:
        raise ServiceError("MalformedPolicyDocumentException", "The new key policy will not allow you to update "
                           "the key policy in the future.", 400) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("Statement"), (list, dict)):
        raise ServiceError("MalformedPolicyDocumentException", "Policy contains a statement with no Statement.", 400)


def check_tags(tags: list[dict]) -> None:
    for tag in tags:
        if tag.get("TagKey", "").startswith("aws:"):
            raise ServiceError("TagException", "Tags beginning with aws: are reserved.", 400)


def create_key(ctx, params: dict) -> dict:
    from . import crypto

    spec = params.get("KeySpec") or params.get("CustomerMasterKeySpec") or SYMMETRIC
    usage = params.get("KeyUsage") or "ENCRYPT_DECRYPT"
    if usage not in _USAGES:
        raise ServiceError("ValidationException", f"1 validation error detected: Value '{usage}' at 'keyUsage' "
                           "failed to satisfy constraint: Member must satisfy enum value set: "
                           "[ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT]", 400)
    if spec not in {SYMMETRIC, *RSA_SPECS, *ECC_SPECS, *HMAC_SPECS}:
        raise ServiceError("ValidationException", f"1 validation error detected: Value '{spec}' at 'keySpec' "
                           "failed to satisfy constraint: Member must satisfy enum value set", 400)
    if spec not in _USAGES[usage]:
        raise ServiceError("ValidationException", f"KeyUsage {usage} is not compatible with KeySpec {spec}", 400)
    origin = params.get("Origin") or "AWS_KMS"
    if origin != "AWS_KMS":
        raise ServiceError("UnsupportedOperationException",
                           f"pocketcloud creates keys with Origin AWS_KMS only, not {origin}.", 400)
    check_policy(params.get("Policy"))
    tags = params.get("Tags") or []
    check_tags(tags)
    ns = ctx.namespace("kms")
    record = keystore.new_record(ctx.account, ctx.region, description=params.get("Description") or "",
                                 usage=usage, spec=spec, policy=params.get("Policy"),
                                 multi_region=bool(params.get("MultiRegion")), now=ctx.now)
    if record["MultiRegion"]:
        record["KeyId"] = "mrk-" + record["KeyId"].replace("-", "")
        record["Arn"] = keystore.key_arn(ctx.account, ctx.region, record["KeyId"])
    record["Tags"] = [{"TagKey": t["TagKey"], "TagValue": t["TagValue"]} for t in tags]
    record["Materials"].append(crypto.new_material(spec))
    ns.put(KIND, record["KeyId"], record)
    return {"KeyMetadata": keystore.metadata(record)}


def describe_key(ctx, params):
    return {"KeyMetadata": keystore.metadata(keystore.resolve(ctx, params["KeyId"]).record)}


def list_keys(ctx, params):
    keys = [{"KeyId": r["KeyId"], "KeyArn": r["Arn"]} for _, r in ctx.namespace("kms").list(KIND)]
    return page(keys, params, "Keys")


def _set_enabled(ctx, params, enabled: bool, operation: str) -> dict:
    ref = keystore.resolve(ctx, params["KeyId"])
    keystore.check_customer_managed(ref, operation)
    keystore.check_not_pending_deletion(ref)
    ref.record.update(KeyState="Enabled" if enabled else "Disabled", Enabled=enabled)
    ref.save()
    return {}


def enable_key(ctx, params):
    return _set_enabled(ctx, params, True, "EnableKey")


def disable_key(ctx, params):
    return _set_enabled(ctx, params, False, "DisableKey")


def update_key_description(ctx, params):
    ref = keystore.resolve(ctx, params["KeyId"])
    keystore.check_customer_managed(ref, "UpdateKeyDescription")
    keystore.check_not_pending_deletion(ref)
    ref.record["Description"] = params["Description"]
    ref.save()
    return {}


# -- deletion -------------------------------------------------------------------------------------
def schedule_key_deletion(ctx, params, register) -> dict:
    ref = keystore.resolve(ctx, params["KeyId"])
    keystore.check_customer_managed(ref, "ScheduleKeyDeletion")
    keystore.check_not_pending_deletion(ref)
    days = params.get("PendingWindowInDays", 30)
    if not 7 <= days <= 30:
        raise ServiceError("ValidationException",
                           f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy "
                           "constraint: Member must have value less than or equal to 30 and greater than or equal to 7", 400)
    when = ctx.now + timedelta(days=days)
    ref.record.update(KeyState="PendingDeletion", Enabled=False, DeletionDate=when, PendingWindowInDays=days)
    with ctx.runtime.store.transaction():
        ref.save()
        deletions.index(ctx.runtime.store).put(
            deletions.SCHEDULE_KIND, deletions.entry_name(ref.ns.account, ref.ns.region, ref.key_id),
            {"account": ref.ns.account, "region": ref.ns.region, "key": ref.key_id, "at": when.timestamp()})
    register(ref.ns.account, ref.ns.region, ref.key_id, when.timestamp())
    return {"KeyId": ref.arn, "DeletionDate": when, "KeyState": "PendingDeletion", "PendingWindowInDays": days}


def cancel_key_deletion(ctx, params) -> dict:
    ref = keystore.resolve(ctx, params["KeyId"])
    if ref.record["KeyState"] != "PendingDeletion":
        raise ServiceError("KMSInvalidStateException", f"{ref.arn} is not pending deletion.", 400)
    ref.record.update(KeyState="Disabled", Enabled=False, DeletionDate=None, PendingWindowInDays=None)
    with ctx.runtime.store.transaction():
        ref.save()
        deletions.index(ctx.runtime.store).delete(deletions.SCHEDULE_KIND,
                                                  deletions.entry_name(ref.ns.account, ref.ns.region, ref.key_id))
    return {"KeyId": ref.arn}


def delete_if_due(runtime, account: str, region: str, key_id: str) -> None:
    """The scheduled deletion: the key, its material and its aliases are gone for good."""
    store = runtime.store
    ns = Namespace(store, "kms", account, region)
    index = deletions.index(store)
    entry = deletions.entry_name(account, region, key_id)
    with store.transaction():
        record = ns.get(KIND, key_id)
        if record is None or record["KeyState"] != "PendingDeletion" or not record.get("DeletionDate"):
            index.delete(deletions.SCHEDULE_KIND, entry)
            return
        if record["DeletionDate"].timestamp() > runtime.clock.time():
            return  # cancelled and rescheduled later: the newer task does it
        ns.delete(KIND, key_id)
        for name, alias in ns.list(keystore.ALIAS_KIND):
            if alias["TargetKeyId"] == key_id:
                ns.delete(keystore.ALIAS_KIND, name)
        index.delete(deletions.SCHEDULE_KIND, entry)


# -- rotation -------------------------------------------------------------------------------------
def _rotatable(ref: KeyRef, operation: str) -> None:
    if ref.record["KeySpec"] != SYMMETRIC:
        raise ServiceError("UnsupportedOperationException",
                           f"{ref.arn} key usage or key spec does not support {operation}.", 400)
    keystore.check_customer_managed(ref, operation)
    keystore.check_usable(ref)


def enable_key_rotation(ctx, params):
    ref = keystore.resolve(ctx, params["KeyId"])
    _rotatable(ref, "EnableKeyRotation")
    days = params.get("RotationPeriodInDays", keystore.ROTATION_DEFAULT_DAYS)
    if not 90 <= days <= 2560:
        raise ServiceError("ValidationException",
                           f"1 validation error detected: Value '{days}' at 'rotationPeriodInDays' failed to satisfy "
                           "constraint: Member must have value between 90 and 2560", 400)
    keystore.enable_rotation(ref.record, days, ctx.now)
    ref.save()
    return {}


def disable_key_rotation(ctx, params):
    ref = keystore.resolve(ctx, params["KeyId"])
    _rotatable(ref, "DisableKeyRotation")
    ref.record.update(RotationEnabled=False, NextRotation=None)
    ref.save()
    return {}


def get_key_rotation_status(ctx, params):
    ref = keystore.resolve(ctx, params["KeyId"])
    record = ref.record
    out = {"KeyRotationEnabled": bool(record.get("RotationEnabled")), "KeyId": ref.arn}
    if record.get("RotationEnabled"):
        out["RotationPeriodInDays"] = record["RotationPeriodInDays"]
        from datetime import datetime, timezone

        out["NextRotationDate"] = datetime.fromtimestamp(record["NextRotation"], timezone.utc)
    return out


def rotate_key_on_demand(ctx, params):
    ref = keystore.resolve(ctx, params["KeyId"])
    _rotatable(ref, "RotateKeyOnDemand")
    on_demand = sum(1 for r in ref.record["Rotations"] if r["RotationType"] == "ON_DEMAND")
    if on_demand >= 25:  # AWS's lifetime quota of on-demand rotations per key
        raise ServiceError("LimitExceededException", "You have exceeded the number of on-demand rotations "
                           f"allowed for {ref.arn}.", 400)
    keystore.rotate(ref.record, ctx.runtime.clock.time(), "ON_DEMAND")
    ref.save()
    return {"KeyId": ref.arn}


def list_key_rotations(ctx, params):
    ref = keystore.resolve(ctx, params["KeyId"])
    if ref.record["KeySpec"] != SYMMETRIC:
        raise ServiceError("UnsupportedOperationException",
                           f"{ref.arn} key usage or key spec does not support ListKeyRotations.", 400)
    rotations = [dict(r, KeyId=ref.arn) for r in ref.record["Rotations"]]
    return page(rotations, params, "Rotations", default_limit=100, limit_max=1000)


# -- tags -----------------------------------------------------------------------------------------
def tag_resource(ctx, params):
    ref = keystore.resolve(ctx, params["KeyId"])
    keystore.check_customer_managed(ref, "TagResource")
    keystore.check_not_pending_deletion(ref)
    check_tags(params["Tags"])
    tags = {t["TagKey"]: t["TagValue"] for t in ref.record["Tags"]}
    tags.update({t["TagKey"]: t["TagValue"] for t in params["Tags"]})
    if len(tags) > 50:
        raise ServiceError("LimitExceededException", "A key can have at most 50 tags.", 400)
    ref.record["Tags"] = [{"TagKey": k, "TagValue": v} for k, v in tags.items()]
    ref.save()
    return {}


def untag_resource(ctx, params):
    ref = keystore.resolve(ctx, params["KeyId"])
    keystore.check_customer_managed(ref, "UntagResource")
    keystore.check_not_pending_deletion(ref)
    gone = set(params["TagKeys"])
    ref.record["Tags"] = [t for t in ref.record["Tags"] if t["TagKey"] not in gone]
    ref.save()
    return {}


def list_resource_tags(ctx, params):
    ref = keystore.resolve(ctx, params["KeyId"])
    out = page(ref.record["Tags"], params, "Tags", default_limit=50, limit_max=50)
    return out


# -- key policies ---------------------------------------------------------------------------------
def _policy_name(params) -> str:
    name = params.get("PolicyName") or "default"
    if name != "default":
        raise ServiceError("NotFoundException", "No such policy exists", 400)
    return name


def get_key_policy(ctx, params):
    ref = keystore.resolve(ctx, params["KeyId"])
    return {"Policy": ref.record["Policy"], "PolicyName": _policy_name(params)}


def put_key_policy(ctx, params):
    ref = keystore.resolve(ctx, params["KeyId"])
    _policy_name(params)
    keystore.check_customer_managed(ref, "PutKeyPolicy")
    keystore.check_not_pending_deletion(ref)
    check_policy(params["Policy"])
    ref.record["Policy"] = params["Policy"]
    ref.save()
    return {}


def list_key_policies(ctx, params):
    keystore.resolve(ctx, params["KeyId"])
    return page(["default"], params, "PolicyNames")
