"""Stage access logs written to CloudWatch Logs, as API Gateway does when a stage has
accessLogSettings (REST: destinationArn + format; HTTP APIs: DestinationArn + Format).

The format's `$context.name` variables (dotted for nested ones, e.g. `$context.identity.sourceIp`)
are filled from the request's context; each line goes to the log group of the destination ARN,
stream `<stage>-access`. Delivery runs after the response, off the request's path; a missing
log group (or no Logs service) drops the line, as AWS drops what it cannot deliver.
"""

from __future__ import annotations

import asyncio
import logging
import re

from ....protocol.errors import ServiceError

log = logging.getLogger("pocketcloud.apigateway")

_VARIABLE = re.compile(r"\$(?:\{context\.([\w.]+)\}|context\.([\w.]+))")
_GROUP_ARN = re.compile(r"^arn:aws[\w-]*:logs:([\w-]+):(\d{12}):log-group:([^:]+)(?::\*)?$")
_streams: set[tuple] = set()
_pending: set[asyncio.Task] = set()


def render(template: str, context: dict) -> str:
    def value(match):
        found = context
        for part in (match.group(1) or match.group(2)).split("."):
            found = found.get(part) if isinstance(found, dict) else None
        if found is None:
            return "-"
        if found is True or found is False:
            return str(found).lower()
        return str(found)

    return _VARIABLE.sub(value, template)


def emit(runtime, destination: str | None, template: str | None, context: dict, stage: str) -> None:
    """Queue one access log line (no-op without a destination and format)."""
    if not destination or not template:
        return
    match = _GROUP_ARN.match(destination)
    if match is None:
        return
    line = render(template, context)
    task = asyncio.get_running_loop().create_task(
        _deliver(runtime, match.group(1), match.group(2), match.group(3), f"{stage}-access", line,
                 int(runtime.clock.time() * 1000)))
    _pending.add(task)  # keep a reference until it is done
    task.add_done_callback(_pending.discard)


async def _deliver(runtime, region: str, account: str, group: str, stream: str, line: str, when_ms: int) -> None:
    call = runtime.providers.call
    try:
        key = (account, region, group, stream)
        if key not in _streams:
            try:
                await call("logs", "CreateLogStream", {"logGroupName": group, "logStreamName": stream}, account, region)
            except ServiceError as exc:
                if exc.code != "ResourceAlreadyExistsException":
                    raise
            _streams.add(key)
        await call("logs", "PutLogEvents", {"logGroupName": group, "logStreamName": stream,
                                            "logEvents": [{"timestamp": when_ms, "message": line}]}, account, region)
    except (LookupError, ServiceError) as exc:
        _streams.discard((account, region, group, stream))
        log.debug("access log for %s not delivered: %s", group, exc)
    except Exception:  # never let logging take anything else down
        log.exception("access log delivery to %s failed", group)


def forget_all() -> None:
    _streams.clear()
