"""Amazon API Gateway, REST APIs (v1): the control plane here; the invoke URLs are served by
common/door.py (front door) and serve_rest.py."""

from __future__ import annotations

from . import deployments, keys, methods, restapis
from .common import index, operations, throttle


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


operations.install(Provider, restapis, methods, deployments, keys)
