"""Amazon API Gateway v2, HTTP APIs: the control plane here; invoke URLs are served by
apigateway/common/door.py (shared with REST APIs) and serve.py."""

from __future__ import annotations

from ..apigateway.common import operations, reset
from . import apis, domains, export, links, routes


class Provider:
    def __init__(self, runtime):
        self.runtime = runtime
        reset.subscribe(runtime)


operations.install(Provider, apis, routes, domains, links, export)
