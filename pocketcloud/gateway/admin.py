"""The admin API under /_pocketcloud/, plus the paths other local clouds' CI scripts call.

GET  /_pocketcloud/health   version, uptime, services with operations implemented
POST /_pocketcloud/reset    forget all state
GET  /_pocketcloud/clock    virtual time
POST /_pocketcloud/clock    {"advance": "30d"} or {"set": "2027-01-01T00:00:00Z"}
POST /_pocketcloud/shutdown stop the server (used by `pocketcloud stop`)
GET  /_pocketcloud/sns/outbox   SNS deliveries to email, email-json, SMS and mobile-push endpoints
                            (filters: ?protocol=&endpoint=&topic=&subscription=); DELETE empties it
GET  /_pocketcloud/sns/retries  HTTP/S deliveries waiting for their next retry (services/sns/admin_api.py)
GET  /_localstack/health    LocalStack's health document shape
POST /moto-api/reset        moto's reset
"""

from __future__ import annotations

import asyncio
import json
import math
import logging
import os
import signal
import time

from ..core.clock import parse_duration, parse_when
from ..protocol import specs
from ..protocol.http import HttpRequest, HttpResponse

log = logging.getLogger("pocketcloud.admin")



def _json(status: int, data) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], json.dumps(data, indent=1).encode())


async def _read_json(receive) -> dict:
    parts = []
    size = 0
    while True:
        message = await receive()
        parts.append(message.get("body", b""))
        size += len(parts[-1])
        if size > 65536:
            raise ValueError("admin request body too large")
        if not message.get("more_body"):
            break
    raw = b"".join(parts)
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def health(gateway) -> dict:
    runtime = gateway.runtime
    services = gateway.service_report
    if services is None:
        # What each service implements cannot change while the server runs: counted once (it
        # walks ~3,100 operations, ~5 ms), not at every health check a CI script polls.
        services = {}
        for name, info in specs.index()["services"].items():
            ops = info["operations"]
            services[name] = {
                "operations": len(ops),
                "implemented": gateway.providers.implemented(name, ops)
                if gateway.settings.services is None or name in gateway.settings.services else 0,
                "protocols": info["protocols"],
            }
        gateway.service_report = services
    return {
        "status": "running",
        "version": runtime.version,
        "uptime_seconds": round(time.time() - runtime.started, 3),
        "endpoint": runtime.settings.endpoint,
        "data_dir": None if runtime.settings.ephemeral else str(runtime.settings.data_dir),
        "ephemeral": runtime.settings.ephemeral,
        "pid": os.getpid(),
        "clock": clock_state(runtime),
        "services": services,
    }


def clock_state(runtime) -> dict:
    return {"now": runtime.clock.now().isoformat().replace("+00:00", "Z"), "offset_seconds": runtime.clock.offset}


async def handle(gateway, request: HttpRequest, receive) -> HttpResponse:
    runtime = gateway.runtime
    path, method = request.path.rstrip("/"), request.method
    try:
        if path == "/_pocketcloud/health" and method in ("GET", "HEAD"):
            return _json(200, health(gateway))
        if path in ("/_pocketcloud/reset", "/moto-api/reset") and method == "POST":
            runtime.reset()
            return _json(200, {"status": "ok", "reset": True})
        if path == "/_pocketcloud/clock" and method == "GET":
            return _json(200, clock_state(runtime))
        if path == "/_pocketcloud/clock" and method == "POST":
            body = await _read_json(receive)
            # Clients stamp signatures in whole seconds: moving the clock on a second's boundary
            # tells a signature made before the move from one made after it (core/clock.py).
            boundary = math.ceil(time.time())
            while time.time() < boundary:  # uvloop's timers may fire up to a millisecond early
                await asyncio.sleep(boundary - time.time())
            if "advance" in body:
                ran = runtime.advance_clock(parse_duration(str(body["advance"])))
            elif "set" in body:
                ran = runtime.set_clock(parse_when(str(body["set"])))
            else:
                return _json(400, {"error": 'give {"advance": "30d"} or {"set": "<ISO-8601>"}'})
            return _json(200, {**clock_state(runtime), "tasks_run": ran})
        if path.startswith("/_pocketcloud/sns/"):
            from ..services.sns import admin_api

            found = admin_api.handle(runtime, path, method, request.query_string)
            if found is not None:
                return _json(200, found)
        if path == "/_pocketcloud/shutdown" and method == "POST":
            os.kill(os.getpid(), signal.SIGTERM)
            return _json(200, {"status": "stopping"})
        if path == "/_localstack/health" and method in ("GET", "HEAD"):
            info = health(gateway)
            return _json(200, {
                "services": {name: ("running" if s["implemented"] else "available")
                             for name, s in info["services"].items()},
                "edition": "pocketcloud",
                "version": runtime.version,
            })
    except (ValueError, TypeError, OverflowError) as exc:
        return _json(400, {"error": str(exc)})
    except RecursionError:
        return _json(400, {"error": "the JSON body is nested too deeply"})
    except Exception as exc:  # never a traceback on the wire
        log.exception("admin request %s %s failed", method, request.path)
        return _json(500, {"error": f"{type(exc).__name__}: {exc}"})
    return _json(404, {"error": f"no admin endpoint {method} {request.path}"})
