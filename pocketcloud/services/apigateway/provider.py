"""Amazon API Gateway, REST APIs (v1): the control plane here; the invoke URLs are served by
common/door.py (front door) and serve_rest.py."""

from __future__ import annotations

from . import deployments, keys, methods, restapis
from .common import index, throttle

_OPERATION_PREFIXES = ("create_", "get_", "put_", "update_", "delete_")


def _delegate(function):
    def operation(self, ctx, params):
        return function(ctx, params)

    operation.__name__ = function.__name__
    operation.__doc__ = function.__doc__
    return operation


class Provider:
    def __init__(self, runtime):
        self.runtime = runtime
        runtime.events.subscribe("pocketcloud.reset", self._forget)

    def _forget(self, *_):
        from . import rest_auth

        index.forget_all()
        throttle.forget_all()
        rest_auth.forget_all()
        deployments._snapshots.clear()


# Each public operation function of the modules becomes a method (snake_case of the operation).
for _module in (restapis, methods, deployments, keys):
    for _name, _function in vars(_module).items():
        if _name.startswith(_OPERATION_PREFIXES) and callable(_function) and \
                getattr(_function, "__module__", None) == _module.__name__:
            setattr(Provider, _name, _delegate(_function))
