"""Running the gateway on the ASGI server (uvicorn with uvloop + httptools: see bench/)."""

from __future__ import annotations

import logging

from .config import Settings


def serve(settings: Settings) -> int:
    import uvicorn

    from .gateway.app import create_app

    level = settings.log_level.upper()
    logging.basicConfig(level=getattr(logging, level, logging.INFO), format="%(levelname)s %(name)s: %(message)s")
    app = create_app(settings)
    config = uvicorn.Config(
        # The gateway's entry itself, a coroutine method: calling the instance (Gateway.__call__)
        # would cost each request a slot lookup. ASGI 3 said outright, as uvicorn's guess reads
        # a bound method's __call__.
        app.handle_http,
        interface="asgi3",
        host=settings.host,
        port=settings.port,
        loop="uvloop" if _has("uvloop") else "asyncio",
        http="httptools" if _has("httptools") else "h11",
        lifespan="on",
        log_level=settings.log_level.lower(),
        access_log=settings.log_level.lower() == "debug",
        server_header=False,
        # A caller's address is its connection's, as AWS sees it (CloudTrail's sourceIPAddress,
        # aws:SourceIp): not what an X-Forwarded-For header says, which any local process could
        # send. It also spares every request uvicorn's proxy-headers middleware.
        proxy_headers=False,
        date_header=True,
        timeout_keep_alive=30,
        # Responses still streaming at shutdown (a Live Tail session runs for hours) are cut
        # after this long, so `pocketcloud stop` does not wait on them.
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    server.run()
    app.runtime.store.close()
    return 0 if server.started else 1


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
