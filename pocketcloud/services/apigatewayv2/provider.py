"""Amazon API Gateway v2, HTTP APIs: the control plane here; invoke URLs are served by
apigateway/common/door.py (shared with REST APIs) and serve.py."""

from __future__ import annotations

from ..apigateway.common import operations
from . import apis, routes


class Provider:
    def __init__(self, runtime):
        self.runtime = runtime
        runtime.events.subscribe("pocketcloud.reset", self._forget)

    def _forget(self, *_):
        from ..apigateway.common import index
        from . import jwt_check, state

        index.forget_all()
        state.snapshots.clear()
        jwt_check.forget_all()


operations.install(Provider, apis, routes)
