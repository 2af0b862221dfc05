"""Run one ASGI app under one server configuration, in the foreground, until SIGINT/SIGTERM.

    python bench/serve.py SERVER --port P [--app module:attr] [--factory]

Each benchmark starts its servers through this script, so every candidate is started the same
way (a fresh interpreter, nothing preloaded) and cold-start times compare like with like.
SERVER is one of SERVERS below. The uvicorn entries run embedded (uvicorn.Server(config).run()),
which is how `pocketcloud start` runs its server; "granian-embed-*" uses granian's embedded API
(one process); the other granian entries use granian's normal process model (a supervisor
process and one worker child process).
"""

from __future__ import annotations

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)


def _load(target: str, factory: bool):
    module_name, _, attr = target.partition(":")
    module = __import__(module_name, fromlist=[attr])
    obj = getattr(module, attr)
    return obj() if factory else obj


def run_uvicorn(target, factory, port, loop, http):
    import uvicorn

    config = uvicorn.Config(
        _load(target, factory), host="127.0.0.1", port=port, loop=loop, http=http,
        lifespan="on", access_log=False, log_level="warning", server_header=False, proxy_headers=False,
        date_header=True, timeout_keep_alive=30,  # as pocketcloud/server.py configures it
    )
    uvicorn.Server(config).run()


def run_granian(target, factory, port, loop, **extra):
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        target, address="127.0.0.1", port=port, interface=Interfaces.ASGI, workers=1,
        loop=loop, factory=factory, log_level="warning", websockets=False, **extra,
    ).serve()


def run_granian_embed(target, factory, port, loop):
    import asyncio
    import signal

    from granian.constants import Interfaces
    from granian.server.embed import Server

    server = Server(_load(target, factory), address="127.0.0.1", port=port,
                    interface=Interfaces.ASGI, log_level="warning", websockets=False)

    async def main():
        running = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            running.add_signal_handler(signum, server.stop)
        await server.serve()

    if loop == "uvloop":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


SERVERS = {
    # name: (runner, keyword arguments)
    "uvicorn-httptools": (run_uvicorn, {"loop": "uvloop", "http": "httptools"}),
    "uvicorn-h11": (run_uvicorn, {"loop": "asyncio", "http": "h11"}),
    "granian-uvloop": (run_granian, {"loop": "uvloop"}),
    "granian-rloop": (run_granian, {"loop": "rloop"}),
    "granian-asyncio": (run_granian, {"loop": "asyncio"}),
    # granian's experimental Rust task implementation (Python < 3.12 only)
    "granian-uvloop-rusttask": (run_granian, {"loop": "uvloop", "task_impl": "rust"}),
    "granian-embed-uvloop": (run_granian_embed, {"loop": "uvloop"}),
}


def available(name: str) -> bool:
    """Whether the packages this candidate needs are installed (rloop is optional)."""
    import importlib.util

    runner, options = SERVERS[name]
    needs = ["uvicorn"] if runner is run_uvicorn else ["granian"]
    needs += [m for m in (options.get("loop"), options.get("http")) if m in ("uvloop", "rloop", "httptools")]
    return all(importlib.util.find_spec(m) is not None for m in needs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("server", choices=sorted(SERVERS))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--app", default="bench.apps:app", help="module:attr of the ASGI app")
    parser.add_argument("--factory", action="store_true", help="call --app to build the app")
    args = parser.parse_args(argv)
    runner, options = SERVERS[args.server]
    runner(args.app, args.factory, args.port, **options)


if __name__ == "__main__":
    main()
