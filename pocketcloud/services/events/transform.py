"""What a target receives: the whole event, a constant `Input`, the part an `InputPath` selects, or
an `InputTransformer`'s template filled from its `InputPathsMap`.

Paths are the JSONPath subset EventBridge documents: `$`, `.name`, `['name']`, `[index]`.
Template placeholders `<name>` take the mapped values; inside a JSON string a value goes in as
text, outside one as JSON. The predefined `<aws.events.rule-arn>`, `<aws.events.rule-name>`,
`<aws.events.event>`, `<aws.events.event.json>` and `<aws.events.event.ingestion-time>` are known.
"""

from __future__ import annotations

import json
import re

from .common import validation

_STEP = re.compile(r"\.([^.\[\]]+)|\['([^']*)'\]|\[\"([^\"]*)\"\]|\[(\d+)\]")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_MISSING = object()
MAX_PATHS = 100


def parse_path(path: str) -> list:
    """The steps of a JSON path (keys and indexes); ValidationException when it is not one."""
    if not path.startswith("$"):
        raise validation(f"Invalid InputPath for target: {path}")
    steps, position = [], 1
    while position < len(path):
        match = _STEP.match(path, position)
        if not match:
            raise validation(f"Invalid InputPath for target: {path}")
        key, quoted, double, index = match.groups()
        steps.append(int(index) if index is not None else (key if key is not None else quoted if quoted is not None
                                                           else double))
        position = match.end()
    return steps


def select(document, path: str):
    value = document
    for step in parse_path(path):
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict) and step in value:
            value = value[step]
        else:
            return _MISSING
    return value


def check_target_input(target: dict) -> None:
    """ValidationException for input settings AWS refuses."""
    given = [f for f in ("Input", "InputPath", "InputTransformer") if target.get(f) is not None]
    if len(given) > 1:
        raise validation(f"Only one of Input, InputPath, or InputTransformer must be provided for target "
                         f"{target['Id']}.")
    if target.get("Input") is not None:
        try:
            json.loads(target["Input"])
        except ValueError:
            raise validation(f"Input for target {target['Id']} must be valid JSON text.") from None
    if target.get("InputPath") is not None:
        parse_path(target["InputPath"])
    transformer = target.get("InputTransformer")
    if transformer is not None:
        paths = transformer.get("InputPathsMap") or {}
        if len(paths) > MAX_PATHS:
            raise validation(f"InputPathsMap for target {target['Id']} has more than {MAX_PATHS} entries.")
        for name, path in paths.items():
            if name.startswith("aws.events."):
                raise validation(f"InputPathsMap key {name} is reserved.")
            parse_path(path)


def payload(target: dict, event: dict, rule: dict) -> str:
    """The text the target receives for this event."""
    if target.get("Input") is not None:
        return target["Input"]
    if target.get("InputPath") is not None:
        value = select(event, target["InputPath"])
        return "null" if value is _MISSING else json.dumps(value)
    transformer = target.get("InputTransformer")
    if transformer is None:
        return json.dumps(event)
    values = {name: select(event, path) for name, path in (transformer.get("InputPathsMap") or {}).items()}
    values.update({"aws.events.rule-arn": rule.get("Arn", ""), "aws.events.rule-name": rule.get("Name", ""),
                   "aws.events.event": event, "aws.events.event.json": event,
                   "aws.events.event.ingestion-time": event.get("time", "")})
    return _fill(transformer["InputTemplate"], values)


def _fill(template: str, values: dict) -> str:
    json_template = template.lstrip()[:1] in ("{", "[", '"')
    out, position = [], 0
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1)
        if name not in values:
            continue
        out.append(template[position:match.start()])
        value = values[name]
        in_string = _inside_string(template, match.start())
        if value is _MISSING:
            out.append("" if in_string or not json_template else "null")
        elif in_string:
            text = value if isinstance(value, str) else json.dumps(value)
            out.append(json.dumps(text)[1:-1])
        elif json_template or not isinstance(value, str):
            out.append(json.dumps(value))
        else:
            out.append(value)
        position = match.end()
    out.append(template[position:])
    return "".join(out)


def _inside_string(template: str, end: int) -> bool:
    """Whether position `end` of the template is inside a JSON string literal."""
    inside, escaped = False, False
    for char in template[:end]:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            inside = not inside
    return inside
