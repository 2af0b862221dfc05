"""KMS aliases: friendly names for keys. `alias/aws/` is reserved for AWS managed keys."""

from __future__ import annotations

import re

from pocketcloud.protocol.errors import ServiceError

from . import keystore
from .keystore import ALIAS_KIND
from .paging import page

_NAME = re.compile(r"^alias/[a-zA-Z0-9/_-]+$")


def _check_name(name: str) -> None:
    if not name.startswith("alias/"):
        raise ServiceError("ValidationException", 'Alias must start with the prefix "alias/". Please see '
                           "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html", 400)
    if name.startswith("alias/aws/"):
        raise ServiceError("NotAuthorizedException", "Cannot create, update or delete alias with prefix 'alias/aws/'.", 400)
    if not _NAME.match(name) or len(name) > 256:
        raise ServiceError("ValidationException", f"1 validation error detected: Value '{name}' at 'aliasName' "
                           "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                           "^[a-zA-Z0-9:/_-]+$", 400)


def _target(ctx, ident: str) -> keystore.KeyRef:
    if ident.startswith("alias/") or ":alias/" in ident:
        raise ServiceError("ValidationException", "Aliases must refer to keys. Not aliases", 400)
    ref = keystore.resolve(ctx, ident)
    if ref.ns.account != ctx.account or ref.ns.region != ctx.region:
        raise keystore.not_found_key(ident)
    keystore.check_customer_managed(ref, "CreateAlias")
    keystore.check_not_pending_deletion(ref)
    return ref


def create_alias(ctx, params):
    name = params["AliasName"]
    _check_name(name)
    ref = _target(ctx, params["TargetKeyId"])
    ns = ctx.namespace("kms")
    with ctx.runtime.store.transaction():
        if ns.get(ALIAS_KIND, name) is not None:
            raise ServiceError("AlreadyExistsException",
                               f"An alias with the name {keystore.alias_arn(ctx.account, ctx.region, name)} already exists", 400)
        now = ctx.now
        ns.put(ALIAS_KIND, name, {"AliasName": name, "TargetKeyId": ref.key_id, "CreationDate": now, "LastUpdatedDate": now})
    return {}


def update_alias(ctx, params):
    name = params["AliasName"]
    _check_name(name)
    ns = ctx.namespace("kms")
    alias = ns.get(ALIAS_KIND, name)
    if alias is None:
        raise ServiceError("NotFoundException", f"Alias {keystore.alias_arn(ctx.account, ctx.region, name)} is not found.", 400)
    ref = _target(ctx, params["TargetKeyId"])
    old = ns.get(keystore.KIND, alias["TargetKeyId"])
    if old is not None and (old["KeyUsage"], old["KeySpec"] == keystore.SYMMETRIC) != \
            (ref.record["KeyUsage"], ref.record["KeySpec"] == keystore.SYMMETRIC):
        raise ServiceError("ValidationException", "The new target key must have the same key type and key usage "
                           "as the current target key.", 400)
    alias.update(TargetKeyId=ref.key_id, LastUpdatedDate=ctx.now)
    ns.put(ALIAS_KIND, name, alias)
    return {}


def delete_alias(ctx, params):
    name = params["AliasName"]
    _check_name(name)
    if not ctx.namespace("kms").delete(ALIAS_KIND, name):
        raise ServiceError("NotFoundException", f"Alias {keystore.alias_arn(ctx.account, ctx.region, name)} is not found.", 400)
    return {}


def list_aliases(ctx, params):
    ns = ctx.namespace("kms")
    key_filter = None
    if params.get("KeyId"):
        key_filter = keystore.resolve(ctx, params["KeyId"]).key_id
    aliases = []
    for name, alias in ns.list(ALIAS_KIND):
        if key_filter and alias["TargetKeyId"] != key_filter:
            continue
        aliases.append({"AliasName": name, "AliasArn": keystore.alias_arn(ctx.account, ctx.region, name),
                        "TargetKeyId": alias["TargetKeyId"], "CreationDate": alias["CreationDate"],
                        "LastUpdatedDate": alias["LastUpdatedDate"]})
    return page(aliases, params, "Aliases", default_limit=50, limit_max=100)
