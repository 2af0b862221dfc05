"""Matching a request to an HTTP API route: the most specific path wins (literal parts, then
parameters, then greedy `{proxy+}`), an exact method over ANY, `$default` last."""

from __future__ import annotations

import re
from urllib.parse import unquote

_tables: dict[int, tuple[dict, list]] = {}


def forget_all() -> None:
    _tables.clear()


def _compile(snapshot: dict) -> list:
    table = []
    for route in snapshot["routes"].values():
        key = route["RouteKey"]
        if key == "$default":
            continue
        method, _, path = key.partition(" ")
        parts = [p for p in path.split("/") if p]
        names, pattern, literal, greedy = [], "", 0, False
        for part in parts:
            if part.startswith("{") and part.endswith("+}"):
                names.append(part[1:-2])
                pattern += "/(.+)"
                greedy = True
            elif part.startswith("{") and part.endswith("}"):
                names.append(part[1:-1])
                pattern += "/([^/]+)"
            else:
                pattern += "/" + re.escape(part)
                literal += 1
        table.append((method, re.compile((pattern or "/?") + "/?$" if pattern else "^/?$"), names,
                      (not greedy, literal, len(parts)), route))
    return table


def match_route(snapshot: dict, method: str, path: str) -> tuple[dict | None, dict[str, str]]:
    entry = _tables.get(id(snapshot))
    if entry is None or entry[0] is not snapshot:
        if len(_tables) > 500:
            _tables.clear()
        entry = _tables[id(snapshot)] = (snapshot, _compile(snapshot))
    best, best_score, best_params = None, None, {}
    decoded = unquote(path) or "/"
    for route_method, regex, names, score, route in entry[1]:
        if route_method not in (method, "ANY"):
            continue
        found = regex.match(decoded)
        if found is None:
            continue
        full = (*score, route_method == method)
        if best_score is None or full > best_score:
            best, best_score, best_params = route, full, dict(zip(names, found.groups()))
    if best is None:
        best = next((r for r in snapshot["routes"].values() if r["RouteKey"] == "$default"), None)
    return best, best_params


# -- entry -------------------------------------------------------------------------------------
