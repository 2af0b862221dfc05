"""What every IAM operation shares: the global store, errors, ids, names, pagination."""

from __future__ import annotations

import re
import secrets
import string
from urllib.parse import quote

from ...core.store import Namespace
from ...protocol.errors import ServiceError
from ...policy.document import PolicyError, parse

# IAM is global: every account's IAM state lives under this one region.
GLOBAL = "global"

_ID_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def iam_ns(runtime, account: str) -> Namespace:
    return Namespace(runtime.store, "iam", account, GLOBAL)


def new_id(prefix: str, length: int = 21) -> str:
    """AIDA... (users), AROA... (roles), AGPA... (groups), ANPA... (policies), AIPA... (instance
    profiles), AKIA... (access keys), ASIA... (temporary keys)."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length - len(prefix)))


def new_secret() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


# -- errors -----------------------------------------------------------------------------------------
def no_such(message: str) -> ServiceError:
    return ServiceError("NoSuchEntity", message, 404)


def already_exists(message: str) -> ServiceError:
    return ServiceError("EntityAlreadyExists", message, 409)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceeded", message, 409)


def delete_conflict(message: str) -> ServiceError:
    return ServiceError("DeleteConflict", message, 409)


def invalid_input(message: str) -> ServiceError:
    return ServiceError("InvalidInput", message, 400)


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, 400)


# -- names, paths, documents ----------------------------------------------------------------------
_NAME = re.compile(r"^[\w+=,.@-]+$")
_PATH = re.compile(r"^(/|/[\x21-\x7e]*/)$")


def check_name(value: str, member: str, max_len: int = 64) -> str:
    if not _NAME.match(value or ""):
        raise validation(f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
                         "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+")
    if len(value) > max_len:
        raise validation(f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
                         f"constraint: Member must have length less than or equal to {max_len}")
    return value


def check_path(value: str | None, member: str = "path") -> str:
    if value is None:
        return "/"
    if not _PATH.match(value) or "//" in value or len(value) > 512:
        raise validation(f"The specified value for {member} is invalid. It must begin and end with / and "
                         "contain only alphanumeric characters and/or / characters.")
    return value


def check_document(text: str, kind: str = "identity", limit: int | None = None):
    """Parse a policy document, or answer MalformedPolicyDocument as IAM does."""
    if limit is not None and len("".join(text.split())) > limit:
        quota = "ACLSizePerRole" if kind == "trust" else "PolicySize"
        raise limit_exceeded(f"Cannot exceed quota for {quota}: {limit}")
    try:
        return parse(text, kind)
    except PolicyError as exc:
        raise ServiceError("MalformedPolicyDocument", str(exc), 400) from None


def encoded(text: str) -> str:
    """IAM returns policy documents URL-encoded (the SDKs decode them)."""
    return quote(text, safe="")


def check_tags(tags: list | None, limit: int = 50) -> list:
    tags = tags or []
    if len(tags) > limit:
        raise limit_exceeded(f"Cannot exceed quota for TagsPerEntity: {limit}")
    keys = [t["Key"] for t in tags]
    if len({k.lower() for k in keys}) != len(keys):
        raise invalid_input("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    return [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags]


def merge_tags(existing: list, new: list, limit: int = 50) -> list:
    merged = {t["Key"].lower(): t for t in existing}
    for tag in check_tags(new, limit):
        merged[tag["Key"].lower()] = tag
    if len(merged) > limit:
        raise limit_exceeded(f"Cannot exceed quota for TagsPerEntity: {limit}")
    return list(merged.values())


def remove_tags(existing: list, keys: list[str]) -> list:
    drop = {k.lower() for k in keys}
    return [t for t in existing if t["Key"].lower() not in drop]


def edit(runtime, load, save, change) -> dict:
    """Load a record, change it, save it, atomically; the answer of an operation with no output."""
    with runtime.store.transaction():
        record = load()
        change(record)
        save(record)
    return {}


def tagging(params: dict):
    """The change TagX/UntagX make to a record's Tags."""
    if "TagKeys" in params:
        return lambda record: record.update(Tags=remove_tags(record.get("Tags") or [], params["TagKeys"]))
    return lambda record: record.update(Tags=merge_tags(record.get("Tags") or [], params["Tags"]))


def page(items: list, params: dict, key: str, extra: dict | None = None) -> dict:
    """IAM's Marker/MaxItems pagination (the marker is an opaque position)."""
    start = 0
    marker = params.get("Marker")
    if marker:
        try:
            start = int(marker)
        except ValueError:
            raise invalid_input("Invalid Marker.") from None
    size = params.get("MaxItems") or 100
    chunk = items[start:start + size]
    out = {key: chunk, "IsTruncated": start + size < len(items), **(extra or {})}
    if out["IsTruncated"]:
        out["Marker"] = str(start + size)
    return out


def by_path(items: list, params: dict) -> list:
    prefix = params.get("PathPrefix") or "/"
    return [i for i in items if i["Path"].startswith(prefix)]
