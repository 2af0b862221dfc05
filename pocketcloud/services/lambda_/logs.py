"""Shipping each invocation's log (START, output, END, REPORT) to CloudWatch Logs.

Group /aws/lambda/<name> (or the function's LoggingConfig.LogGroup), one stream per execution
environment, as on AWS. Shipping happens after the invocation has answered, in order per
stream; while CloudWatch Logs is not available (LookupError) logs are simply not shipped.
"""

from __future__ import annotations

import asyncio
import logging

from ...protocol.errors import ServiceError

log = logging.getLogger("pocketcloud.lambda")


class LogShipper:
    def __init__(self, runtime):
        self.runtime = runtime
        self.created: set[tuple] = set()
        self.tails: dict[tuple, asyncio.Future] = {}

    def ship(self, account: str, region: str, group: str, stream: str, text: str, now_ms: int) -> None:
        handler, _ = self.runtime.providers.handler("logs", "PutLogEvents")
        if handler is None:
            return
        events = [{"timestamp": now_ms, "message": line} for line in text.splitlines() if line]
        key = (account, region, group, stream)
        previous = self.tails.get(key)
        task = asyncio.get_running_loop().create_task(self._ship(key, events, previous))
        self.tails[key] = task
        task.add_done_callback(lambda t: self.tails.pop(key, None) if self.tails.get(key) is t else None)

    async def _ship(self, key: tuple, events: list[dict], previous) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        account, region, group, stream = key
        call = self.runtime.providers.call
        try:
            if key not in self.created:
                for operation, params in (("CreateLogGroup", {"logGroupName": group}),
                                          ("CreateLogStream", {"logGroupName": group, "logStreamName": stream})):
                    try:
                        await call("logs", operation, params, account, region)
                    except ServiceError as exc:
                        if exc.code != "ResourceAlreadyExistsException":
                            raise
                self.created.add(key)
            await call("logs", "PutLogEvents", {"logGroupName": group, "logStreamName": stream, "logEvents": events},
                       account, region)
        except LookupError:
            pass
        except ServiceError as exc:
            self.created.discard(key)  # the group may have been deleted: create it again next time
            log.debug("could not ship logs to %s: %s", group, exc)
        except Exception:
            log.exception("could not ship logs to %s", group)
