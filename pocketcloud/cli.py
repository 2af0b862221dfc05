"""The pocketcloud command: start, status, stop, reset, time."""

from __future__ import annotations

import argparse
import errno
import json
import socket
import sys
import time
from pathlib import Path

from . import __version__
from .config import Settings, parse_services


def _settings(args) -> Settings:
    s = Settings()
    if getattr(args, "host", None):
        s.host = args.host
    if getattr(args, "port", None):
        s.port = args.port
    if getattr(args, "data_dir", None):
        s.data_dir = Path(args.data_dir)
    if getattr(args, "ephemeral", False):
        s.ephemeral = True
    if getattr(args, "log_level", None):
        s.log_level = args.log_level
    if getattr(args, "enforce_signatures", False):
        s.enforce_signatures = True
    if getattr(args, "services", None) is not None:
        s.services = parse_services(args.services)
    if getattr(args, "enforce_iam", False):
        s.enforce_iam = True
    return s


def _admin(settings: Settings, path: str, body: dict | None = None, timeout: float = 5.0) -> dict:
    import urllib.request  # here, not at the top: `start` never needs it, and it costs ~15 ms

    host = "127.0.0.1" if settings.host in ("0.0.0.0", "") else settings.host
    host = f"[{host}]" if ":" in host else host
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://{host}:{settings.port}{path}", data=data,
                                 method="GET" if body is None else "POST",
                                 headers={"Content-Type": "application/json"})
    import urllib.error

    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raise _HTTPError(exc.read()) from None


class _HTTPError(OSError):
    """Stands for urllib.error.HTTPError without importing urllib at start-up (see _admin)."""


def _port_in_use(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def _banner(settings: Settings) -> str:
    from .protocol.specs import SERVICES

    where = "in memory (--ephemeral)" if settings.ephemeral else str(settings.data_dir)
    lines = [
        f"pocketcloud {__version__}",
        f"  endpoint   {settings.endpoint}",
        f"  data       {where}",
        f"  signatures {'enforced' if settings.enforce_signatures else 'parsed, not enforced'}",
        f"  iam        {'policies enforced' if settings.enforce_iam else 'policies stored, not enforced'}",
        f"  services   {', '.join(s for s in SERVICES if settings.services is None or s in settings.services)}",
    ]
    return "\n".join(lines)


def cmd_start(args) -> int:
    settings = _settings(args)
    if _port_in_use(settings.host, settings.port):
        print(f"pocketcloud: cannot start: {settings.host}:{settings.port} is already in use "
              f"(is pocketcloud already running? try `pocketcloud status`, or choose --port)",
              file=sys.stderr)
        return 2
    if args.detach:
        return _start_detached(args, settings)
    from .core.runtime import DataDirInUse
    from .server import serve

    print(_banner(settings), flush=True)
    try:
        return serve(settings)
    except DataDirInUse as exc:
        print(f"pocketcloud: cannot start: {exc} (stop it first, or choose --data-dir)", file=sys.stderr)
        return 2
    except PermissionError as exc:
        print(f"pocketcloud: cannot start: no permission for {exc.filename} (choose --data-dir)", file=sys.stderr)
        return 2


def _start_detached(args, settings: Settings) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.data_dir / "pocketcloud.log"
    argv = [sys.executable, "-m", "pocketcloud", "start", "--host", settings.host, "--port", str(settings.port),
            "--data-dir", str(settings.data_dir), "--log-level", settings.log_level]
    if settings.ephemeral:
        argv.append("--ephemeral")
    if settings.enforce_signatures:
        argv.append("--enforce-signatures")
    if settings.services is not None:
        argv += ["--services", ",".join(sorted(settings.services)) or "none"]
    if settings.enforce_iam:
        argv.append("--enforce-iam")
    import subprocess

    with open(log_path, "ab") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            print(f"pocketcloud: failed to start; see {log_path}", file=sys.stderr)
            return 1
        try:
            _admin(settings, "/_pocketcloud/health", timeout=1)
            print(_banner(settings))
            print(f"  pid        {proc.pid} (log: {log_path})")
            return 0
        except OSError:
            time.sleep(0.05)
    print("pocketcloud: did not answer within 30 s", file=sys.stderr)
    return 1


def cmd_status(args) -> int:
    settings = _settings(args)
    try:
        info = _admin(settings, "/_pocketcloud/health")
    except OSError:
        print(f"pocketcloud is not running at {settings.endpoint}")
        return 1
    implemented = sum(s["implemented"] for s in info["services"].values())
    total = sum(s["operations"] for s in info["services"].values())
    print(f"pocketcloud {info['version']} running at {settings.endpoint} (pid {info['pid']})")
    print(f"  uptime     {info['uptime_seconds']:.1f} s")
    print(f"  data       {info['data_dir'] or 'in memory (--ephemeral)'}")
    print(f"  clock      {info['clock']['now']}")
    print(f"  operations {implemented} of {total} implemented across {len(info['services'])} services")
    return 0


def cmd_stop(args) -> int:
    settings = _settings(args)
    try:
        _admin(settings, "/_pocketcloud/shutdown", {})
    except OSError:
        print(f"pocketcloud is not running at {settings.endpoint}")
        return 1
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            _admin(settings, "/_pocketcloud/health", timeout=0.5)
            time.sleep(0.1)
        except OSError:
            print("pocketcloud stopped")
            return 0
    print("pocketcloud did not stop within 15 s", file=sys.stderr)
    return 1


def cmd_reset(args) -> int:
    settings = _settings(args)
    try:
        _admin(settings, "/_pocketcloud/reset", {})
    except OSError:
        print(f"pocketcloud is not running at {settings.endpoint}")
        return 1
    print("all state reset")
    return 0


def cmd_time(args) -> int:
    settings = _settings(args)
    try:
        if args.action == "show":
            info = _admin(settings, "/_pocketcloud/clock")
        elif args.action == "advance":
            if not args.value:
                print("usage: pocketcloud time advance DURATION (e.g. 30d, 12h, 1h30m)", file=sys.stderr)
                return 2
            info = _admin(settings, "/_pocketcloud/clock", {"advance": args.value})
        else:
            if not args.value:
                print("usage: pocketcloud time set ISO-8601-INSTANT", file=sys.stderr)
                return 2
            info = _admin(settings, "/_pocketcloud/clock", {"set": args.value})
    except _HTTPError as exc:
        print(f"pocketcloud: {json.loads(exc.args[0]).get('error', exc)}", file=sys.stderr)
        return 2
    except OSError:
        print(f"pocketcloud is not running at {settings.endpoint}")
        return 1
    print(f"virtual time {info['now']} (offset {info['offset_seconds']:+.0f} s)")
    if "tasks_run" in info:
        print(f"scheduled tasks run: {info['tasks_run']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pocketcloud", description="AWS on one machine.")
    parser.add_argument("--version", action="version", version=f"pocketcloud {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p, server=False):
        p.add_argument("--host", help="listen address (POCKETCLOUD_HOST, default 127.0.0.1)")
        p.add_argument("--port", type=int, help="port (POCKETCLOUD_PORT, default 4566)")
        if server:
            p.add_argument("--data-dir", help="state directory (POCKETCLOUD_DATA_DIR)")
            p.add_argument("--ephemeral", action="store_true", help="keep all state in memory (POCKETCLOUD_EPHEMERAL)")
            p.add_argument("--log-level", help="debug, info, warning, error (POCKETCLOUD_LOG_LEVEL)")
            p.add_argument("--enforce-signatures", action="store_true",
                           help="verify every SigV4 signature (POCKETCLOUD_ENFORCE_SIGNATURES)")
            p.add_argument("--services", help="comma-separated services to answer, the others answer "
                           "NotImplemented (POCKETCLOUD_SERVICES, default all)")
            p.add_argument("--enforce-iam", action="store_true",
                           help="allow each request only as its caller's IAM policies do (POCKETCLOUD_ENFORCE_IAM)")

    p = sub.add_parser("start", help="start the server (foreground unless --detach)")
    common(p, server=True)
    p.add_argument("--detach", "-d", action="store_true", help="run in the background")
    p.set_defaults(func=cmd_start)
    for name, func, text in (("status", cmd_status, "is it running?"), ("stop", cmd_stop, "stop the server"),
                             ("reset", cmd_reset, "forget all state")):
        p = sub.add_parser(name, help=text)
        common(p)
        p.set_defaults(func=func)
    p = sub.add_parser("time", help="show or move the virtual clock")
    common(p)
    p.add_argument("action", choices=["show", "advance", "set"])
    p.add_argument("value", nargs="?", help="a duration (30d, 12h, 90s) or an ISO-8601 instant")
    p.set_defaults(func=cmd_time)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
