"""Matching a request path to a deployed REST API resource.

Literal path parts win over `{param}`, which wins over `{proxy+}` (greedy, one or more parts),
as API Gateway chooses. The table is compiled once per deployment snapshot.
"""

from __future__ import annotations

from urllib.parse import unquote

_tables: dict[int, tuple[dict, list]] = {}


class _Node:
    __slots__ = ("literal", "param", "param_name", "greedy", "greedy_name", "resource")

    def __init__(self):
        self.literal: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.param_name = ""
        self.greedy: dict | None = None  # the resource of a {name+} child
        self.greedy_name = ""
        self.resource: dict | None = None


def _compile(snapshot: dict) -> _Node:
    root = _Node()
    for resource in snapshot["resources"].values():
        node = root
        parts = [p for p in resource["path"].split("/") if p]
        for i, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                node.greedy, node.greedy_name = resource, part[1:-2]
                node = None
                break
            if part.startswith("{") and part.endswith("}"):
                if node.param is None:
                    node.param = _Node()
                node.param_name = part[1:-1]
                node = node.param
            else:
                node = node.literal.setdefault(part, _Node())
        if node is not None:
            node.resource = resource
    return root


def _walk(node: _Node, parts: list[str], i: int, params: dict):
    if i == len(parts):
        return node.resource
    part = parts[i]
    child = node.literal.get(part)
    if child is not None:
        found = _walk(child, parts, i + 1, params)
        if found is not None:
            return found
    if node.param is not None:
        found = _walk(node.param, parts, i + 1, params)
        if found is not None:
            params[node.param_name] = part
            return found
    if node.greedy is not None:
        params[node.greedy_name] = "/".join(parts[i:])
        return node.greedy
    return None


def match(snapshot: dict, path: str) -> tuple[dict | None, dict[str, str]]:
    """(resource, path parameters) for a percent-encoded request path."""
    key = id(snapshot)
    entry = _tables.get(key)
    if entry is None or entry[0] is not snapshot:
        if len(_tables) > 500:
            _tables.clear()
        entry = _tables[key] = (snapshot, _compile(snapshot))
    parts = [unquote(p) for p in path.split("/") if p]
    params: dict[str, str] = {}
    resource = _walk(entry[1], parts, 0, params)
    return resource, params
