"""API ids and the global index from an API id to its owner.

An invoke URL names only the API id (and perhaps a region), not the account: the index, kept in
the store under a fixed pseudo-account, maps every REST (v1) and HTTP (v2) API id to the account
and region that own it, so the front door can find the API.
"""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_lowercase + string.digits
_INDEX = ("apigateway", "global", "global", "api-index")
# id -> (account, region, version) once looked up: invoke URLs hit this on every request.
_cache: dict[str, tuple[str, str, int] | None] = {}


def new_id(length: int = 10) -> str:
    """An id shaped like AWS's: lower-case letters and digits."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def register(store, api_id: str, account: str, region: str, version: int) -> None:
    store.put(*_INDEX, api_id, {"account": account, "region": region, "version": version})
    _cache.pop(api_id, None)


def unregister(store, api_id: str) -> None:
    store.delete(*_INDEX, api_id)
    _cache.pop(api_id, None)


def unique_api_id(store) -> str:
    while True:
        api_id = new_id()
        if store.get(*_INDEX, api_id) is None:
            return api_id


def lookup(store, api_id: str) -> tuple[str, str, int] | None:
    if api_id in _cache:
        return _cache[api_id]
    entry = store.get(*_INDEX, api_id)
    found = None if entry is None else (entry["account"], entry["region"], entry["version"])
    if len(_cache) > 10000:
        _cache.clear()
    _cache[api_id] = found
    return found


def forget_all() -> None:
    """After a reset: nothing cached survives."""
    _cache.clear()
