"""Stage response caching: with the stage's cache cluster enabled and caching on in its method
settings (the method's own entry, else "*/*"), a method's 2xx answers are kept for
cacheTtlInSeconds on the virtual clock, keyed by resource path, method and the integration's
cacheKeyParameters. A client's `Cache-Control: max-age=0` skips the cache when the setting does
not require authorization for it. FlushStageCache empties a stage's entries. In memory: a
restart empties the cache, as a new cache cluster would be empty."""

from __future__ import annotations

_entries: dict[tuple, tuple[float, int, list, bytes]] = {}
_MAX_ENTRIES = 5000


def _settings(call) -> dict | None:
    stage = call.stage
    if not stage.get("cacheClusterEnabled"):
        return None
    settings = stage.get("methodSettings") or {}
    key = f"{(call.resource or {}).get('path', '/').lstrip('/')}/{call.method['httpMethod']}"
    found = settings.get(key) or settings.get("*/*")
    return found if found and found.get("cachingEnabled") else None


def _key(call) -> tuple:
    integration = call.method.get("methodIntegration") or {}
    parts = []
    headers = call.inv.request.headers
    for name in integration.get("cacheKeyParameters") or ():
        if name.startswith("method.request.querystring."):
            parts.append(call.query.get(name[27:]))
        elif name.startswith("method.request.header."):
            parts.append(headers.get(name[22:].lower()))
        elif name.startswith("method.request.path."):
            parts.append(call.path_params.get(name[20:]))
    return (call.inv.account, call.inv.api_id, call.stage["stageName"], (call.resource or {}).get("id"),
            call.method["httpMethod"], tuple(parts))


def lookup(call):
    """(status, headers, body) of a cached answer, or None."""
    settings = _settings(call)
    if settings is None:
        return None
    control = call.inv.request.headers.get("cache-control", "")
    if "max-age=0" in control and not settings.get("requireAuthorizationForCacheControl", True):
        return None
    found = _entries.get(_key(call))
    if found is None or found[0] <= call.inv.runtime.clock.time():
        return None
    return found[1:]


def store(call, status: int, headers: list, body) -> None:
    settings = _settings(call)
    if settings is None or not 200 <= status < 300 or not isinstance(body, (bytes, bytearray)):
        return
    ttl = settings.get("cacheTtlInSeconds", 300)
    if not ttl:
        return
    if len(_entries) > _MAX_ENTRIES:
        _entries.clear()
    _entries[_key(call)] = (call.inv.runtime.clock.time() + ttl, status, list(headers), bytes(body))


def flush(account: str, api_id: str, stage: str) -> None:
    for key in [k for k in _entries if k[:3] == (account, api_id, stage)]:
        _entries.pop(key, None)


def forget_all() -> None:
    _entries.clear()
