"""HTTP API parameter mapping: an integration's RequestParameters change what is sent to the
backend, its ResponseParameters (per status code) what goes back to the client.

Keys: `append:|overwrite:|remove:` + `header.<name>` or `querystring.<name>`, `overwrite:path`
(requests), `overwrite:statuscode` (responses). Values mix static text with `$request.header.x`,
`$request.querystring.x`, `$request.path`, `$request.path.x`, `$request.body.a.b`,
`$context.x`, `$stageVariables.x` and, in responses, `$response.header.x`, `$response.body.a`.
"""

from __future__ import annotations

import json
import re

_VARIABLE = re.compile(r"\$(?:\{([^}]+)\}|((?:request|response)\.(?:header|querystring|body|path)(?:\.[\w.-]+)?"
                       r"|context\.[\w.]+|stageVariables\.\w+))")


def _lookup(name: str, sources: dict) -> str:
    head, _, rest = name.partition(".")
    if head in ("request", "response"):
        kind, _, key = rest.partition(".")
        if kind == "body":
            value = sources.get(f"{head}.body")
            for part in filter(None, key.split(".")):
                value = value.get(part) if isinstance(value, dict) else None
            return "" if value is None else value if isinstance(value, str) else json.dumps(value)
        if kind == "path" and not key:
            return sources.get(f"{head}.rawpath", "")
        found = sources.get(f"{head}.{kind}", {})
        return found.get(key.lower() if kind == "header" else key, "")
    value = sources.get(head, {})
    for part in rest.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def evaluate(template: str, sources: dict) -> str:
    return _VARIABLE.sub(lambda m: _lookup(m.group(1) or m.group(2), sources), template)


def apply_request(parameters: dict, sources: dict, headers: dict[str, str], query: list[tuple[str, str]],
                  path: str) -> str:
    """Apply request mappings to headers (lower-case names) and query pairs in place; return the path."""
    for key, template in (parameters or {}).items():
        action, _, target = key.partition(":")
        value = evaluate(template, sources)
        if target == "path":
            path = value if value.startswith("/") else "/" + value
            continue
        kind, _, name = target.partition(".")
        if kind == "header":
            name = name.lower()
            if action == "remove":
                headers.pop(name, None)
            elif action == "append" and name in headers:
                headers[name] = f"{headers[name]},{value}"
            else:
                headers[name] = value
        elif kind == "querystring":
            if action in ("remove", "overwrite"):
                query[:] = [(k, v) for k, v in query if k != name]
            if action != "remove":
                query.append((name, value))
    return path


def apply_response(parameters: dict, status: int, headers: list[tuple[str, str]], body: bytes,
                   sources: dict) -> int:
    """Apply the mappings configured for this status code to headers in place; return the status."""
    mappings = (parameters or {}).get(str(status))
    if not mappings:
        return status
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    sources = {**sources, "response.header": {k.lower(): v for k, v in headers}, "response.body": parsed}
    for key, template in mappings.items():
        action, _, target = key.partition(":")
        value = evaluate(template, sources)
        if target == "statuscode":
            if value.isdigit():
                status = int(value)
            continue
        kind, _, name = target.partition(".")
        if kind != "header":
            continue
        if action in ("remove", "overwrite"):
            headers[:] = [(k, v) for k, v in headers if k.lower() != name.lower()]
        if action != "remove":
            headers.append((name, value))
    return status
