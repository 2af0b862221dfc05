"""What the shape-compiled body converters share (_doc: JSON/CBOR documents, _xml: XML elements).

Both compile one converter per shape, memoised so a shape used in many places compiles once
and a recursive shape terminates; and both report a value that does not fit by raising
BadValue, which records the member path on its way out so the client is told where.
"""

from __future__ import annotations

from ._values import BadValue


def compile_shared(key, memo: dict, building: dict, build):
    """build() -> the converter for key, once per compilation (memo).

    A recursive shape reaches its own key again while build() is still running: that inner
    reference gets a forwarder that calls the converter once it exists.
    """
    done = memo.get(key)
    if done is not None:
        return done
    cell = building.get(key)
    if cell is not None:
        return lambda value: cell[0](value)
    cell = building[key] = [None]
    conv = cell[0] = build()
    memo[key] = conv
    del building[key]
    return conv


def record_path(exc: BadValue, step) -> BadValue:
    """Note that exc happened under step (a member name, list index or map key); innermost
    steps are recorded first. Returns exc, to be re-raised."""
    path = getattr(exc, "path", None)
    if path is None:
        path = exc.path = []
    path.append(step)
    return exc


def bad_body_message(exc: BadValue) -> str:
    """The client's message for a body value that does not fit: where, then what."""
    path = getattr(exc, "path", None)
    if not path:
        return f"Invalid request body: {exc}"
    where = ""
    for step in reversed(path):
        where += f"[{step}]" if isinstance(step, int) else (f".{step}" if where else str(step))
    return f"Invalid value at '{where}': {exc}"
