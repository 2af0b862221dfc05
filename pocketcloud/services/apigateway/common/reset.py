"""Forgetting every in-memory cache of both API Gateway flavours when pocketcloud is reset."""

from __future__ import annotations

import weakref


def forget_all(*_event) -> None:
    from ...apigatewayv2 import jwt_check, serve as serve_v2, state as state_v2
    from .. import deployments, response_cache, rest_auth
    from . import access_log, index, throttle

    index.forget_all()
    access_log.forget_all()
    throttle.forget_all()
    rest_auth.forget_all()
    response_cache.forget_all()
    deployments.snapshots.clear()
    state_v2.snapshots.clear()
    jwt_check.forget_all()
    serve_v2.forget_all()


_subscribed: "weakref.WeakSet" = weakref.WeakSet()


def subscribe(runtime) -> None:
    """Both providers call this; the first subscribes for both."""
    if runtime not in _subscribed:
        _subscribed.add(runtime)
        runtime.events.subscribe("pocketcloud.reset", forget_all)
