"""What providers share: the request context and the provider registry.

A provider is a plain class in pocketcloud/services/<package>/provider.py named Provider, built
with the Runtime, with one method per operation named in snake_case (GetCallerIdentity ->
get_caller_identity) taking (ctx, params) and returning a dict shaped like the output shape, or
raising ServiceError. Methods may be coroutines.
"""

from __future__ import annotations

import inspect
import logging
import re
from datetime import datetime
from importlib import import_module
from typing import Any, Callable

from ..core.store import Namespace
from ..protocol.http import HttpRequest

log = logging.getLogger("pocketcloud.services")

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(operation: str) -> str:
    return _CAMEL.sub("_", operation).lower()


class RequestContext:
    """What a provider knows about the request it is answering."""

    __slots__ = ("runtime", "service", "operation", "protocol", "account", "region", "access_key",
                 "principal_arn", "request", "request_id")

    def __init__(self, runtime, service: str, operation: str, protocol: str, account: str, region: str,
                 access_key: str | None, principal_arn: str | None, request: HttpRequest, request_id: str):
        self.runtime = runtime
        self.service = service
        self.operation = operation
        self.protocol = protocol
        self.account = account
        self.region = region
        self.access_key = access_key
        self.principal_arn = principal_arn
        self.request = request
        self.request_id = request_id

    @classmethod
    def internal(cls, runtime, service: str, operation: str, account: str, region: str,
                 principal_arn: str | None = None) -> "RequestContext":
        """A context for one service calling another's operation in-process (SNS delivering to
        SQS, S3 asking KMS for a data key...): the call is `runtime.providers.call(...)`."""
        from ..gateway.ids import new_request_id

        return cls(runtime, service, operation, "internal", account, region, None, principal_arn,
                   HttpRequest("POST", "/"), new_request_id())

    def namespace(self, service: str | None = None, region: str | None = None) -> Namespace:
        return Namespace(self.runtime.store, service or self.service, self.account, region or self.region)

    @property
    def now(self) -> datetime:
        return self.runtime.clock.now()


# Services whose provider must be loaded when the server starts, not on their first request:
# those with work that runs by itself (lifecycle rules, redelivery, trails, workers...). Each
# provider named here may define `start()`, called once after loading, to register its
# scheduler tasks and event subscriptions from the persisted state.
BACKGROUND_SERVICES: list[str] = [
    # one per line, with why
    "s3",  # lifecycle rules run daily on the virtual clock
    "sns",  # HTTP retries persisted across restarts
    "kms",  # key deletions and rotations on the virtual clock
    "cloudtrail",  # event writer, trail deliveries
    "logs",  # retention sweeps on the virtual clock
    "lambda",  # event source pollers, queued asynchronous invocations
    "events",  # scheduled rules fire on the virtual clock
]


def package_of(service: str) -> str:
    # "lambda" is a Python keyword, so its package is lambda_.
    return "lambda_" if service == "lambda" else service.replace("-", "_")


class Providers:
    """Loads each service's provider on first use and finds operation handlers."""

    def __init__(self, runtime):
        self.runtime = runtime
        self._providers: dict[str, Any] = {}
        self._handlers: dict[tuple[str, str], tuple[Callable | None, bool]] = {}

    def provider(self, service: str):
        if service not in self._providers:
            try:
                module = import_module(f"pocketcloud.services.{package_of(service)}.provider")
            except ModuleNotFoundError as exc:
                if exc.name and exc.name.startswith("pocketcloud.services"):
                    self._providers[service] = None
                    return None
                raise
            self._providers[service] = module.Provider(self.runtime)
        return self._providers[service]

    def handler(self, service: str, operation: str) -> tuple[Callable | None, bool]:
        """(bound method or None, is_coroutine) for an operation."""
        key = (service, operation)
        found = self._handlers.get(key)
        if found is None:
            provider = self.provider(service)
            method = getattr(provider, snake_case(operation), None) if provider is not None else None
            is_async = inspect.iscoroutinefunction(method) if method else False
            # A provider's `guard(operation, method)` may put checks every operation shares in
            # front of a method (S3's expected bucket owner); it returns what the method returns.
            guard = getattr(provider, "guard", None) if method is not None else None
            found = (method if guard is None else guard(operation, method), is_async)
            self._handlers[key] = found
        return found

    async def call(self, service: str, operation: str, params: dict, account: str, region: str,
                   principal_arn: str | None = None) -> dict:
        """Call another service's operation in-process, with botocore-shaped params (no
        validation, no wire format). Raises ServiceError as the operation does; raises
        LookupError when that service or operation is not implemented (yet)."""
        handler, is_async = self.handler(service, operation)
        if handler is None:
            raise LookupError(f"{service} {operation} is not implemented")
        ctx = RequestContext.internal(self.runtime, service, operation, account, region, principal_arn)
        return (await handler(ctx, params)) if is_async else handler(ctx, params)

    def start_background(self) -> None:
        enabled = self.runtime.settings.services
        for service in BACKGROUND_SERVICES:
            if enabled is not None and service not in enabled:
                continue
            try:
                provider = self.provider(service)
                start = getattr(provider, "start", None)
                if start is not None:
                    start()
            except Exception:  # one broken service must not keep the others from starting
                log.exception("provider of %s failed to start", service)

    def implemented(self, service: str, operations) -> int:
        try:
            provider = self.provider(service)
        except Exception:  # a broken provider must not take the health report down with it
            log.exception("provider of %s failed to load", service)
            return 0
        if provider is None:
            return 0
        return sum(1 for op in operations if callable(getattr(provider, snake_case(op), None)))
