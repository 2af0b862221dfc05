"""Amazon API Gateway, REST APIs (v1): the control plane here; the invoke URLs are served by
common/door.py (front door) and serve_rest.py."""

from __future__ import annotations

from . import account, deployments, documentation, domains, export, keys, links, methods, models, restapis
from .common import operations, reset


class Provider:
    def __init__(self, runtime):
        self.runtime = runtime
        reset.subscribe(runtime)

    async def test_invoke_method(self, ctx, params):
        from .console import test_invoke_method

        return await test_invoke_method(ctx, params)


operations.install(Provider, restapis, methods, deployments, keys, models, account, export, domains, links,
                   documentation)
