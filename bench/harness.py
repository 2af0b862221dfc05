"""Shared plumbing for the benchmarks: spawning servers, probing them, wrk, memory, tables.

Everything here is bounded: every wait has a deadline and every spawned process is stopped by
the id it was given (its own process group, so a server's worker children go with it).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The work tree, not whatever pocketcloud may be pip-installed, is what we measure.
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


class Server:
    """A server process we spawned; stop() ends it and its children."""

    def __init__(self, name: str, argv: list[str], port: int):
        self.name = name
        self.argv = argv
        self.port = port
        self.log = tempfile.TemporaryFile()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, cwd=REPO, env=child_env(), stdin=subprocess.DEVNULL,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, grace: float = 5.0) -> None:
        if self.alive():
            for signum, wait in ((signal.SIGINT, grace), (signal.SIGKILL, grace)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signum)
                try:
                    self.proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # Children left behind by a supervisor that exited first share its process group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def bench_server(server: str, port: int, app: str = "bench.apps:app", factory: bool = False) -> list[str]:
    argv = [sys.executable, os.path.join(REPO, "bench", "serve.py"), server, "--port", str(port), "--app", app]
    return argv + (["--factory"] if factory else [])


def pocketcloud_start(port: int) -> list[str]:
    # Through the CLI's own entry point, as a user runs it, from the work tree.
    code = "import sys; from pocketcloud.cli import main; sys.argv[0] = 'pocketcloud'; sys.exit(main())"
    return [sys.executable, "-c", code, "start", "--ephemeral", "--host", HOST, "--port", str(port)]


# ---------------------------------------------------------------- probing


def request(port: int, method: str = "GET", path: str = "/", body: bytes | None = None,
            headers: dict | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_until(server: Server, probe, deadline: float = 30.0, interval: float = 0.005) -> float:
    """Seconds from spawn until probe() first returns True; raises if the server dies or stalls."""
    limit = server.started + deadline
    while time.perf_counter() < limit:
        if not server.alive():
            raise RuntimeError(f"{server.name} exited early:\n{server.output()}")
        try:
            if probe():
                return time.perf_counter() - server.started
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(interval)
    raise RuntimeError(f"{server.name} not ready after {deadline}s:\n{server.output()}")


def port_open(port: int):
    def probe() -> bool:
        with socket.create_connection((HOST, port), timeout=1.0):
            return True

    return probe


def get_ok(port: int):
    return lambda: request(port, timeout=2.0)[0] == 200


# ---------------------------------------------------------------- memory


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the ppid follows the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(pid: int) -> list[int]:
    children = _children_map()
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, ()))
    return tree


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time consumed so far by the process tree (threads included)."""
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def _status_kb(pid: int, field: str, path: str = "status") -> int:
    try:
        with open(f"/proc/{pid}/{path}") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory_mb(pid: int) -> tuple[float, float, int]:
    """(RSS summed over the process tree, PSS summed likewise, number of processes), in MB.

    RSS double-counts pages a forked worker shares with its parent; PSS splits them, so it is
    the fairer total for multi-process servers. Both are reported.
    """
    pids = process_tree(pid)
    rss = sum(_status_kb(p, "VmRSS") for p in pids)
    pss = sum(_status_kb(p, "Pss", "smaps_rollup") for p in pids)
    return rss / 1024, pss / 1024, len(pids)


def settled_memory(server: Server, settle: float = 1.5) -> tuple[float, float, int]:
    time.sleep(settle)
    return memory_mb(server.proc.pid)


# ---------------------------------------------------------------- wrk


def run_wrk(port: int, duration: float, connections: int = 16, script: str | None = None,
            path: str = "/", server_pid: int | None = None) -> dict:
    """wrk's req/s, plus the server's CPU microseconds per request when server_pid is given
    (CPU time is much less disturbed by other load on the machine than req/s)."""
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "5s"]
    if script:
        argv += ["-s", script]
    argv.append(f"http://{HOST}:{port}{path}")
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 30).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(f"wrk gave no rate:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    requests = int(total.group(1)) if total else 0
    cpu_us = (cpu_seconds(server_pid) - cpu_before) / requests * 1e6 if server_pid and requests else float("nan")
    return {
        "cpu_us": cpu_us,
        "rps": float(match.group(1)),
        "requests": requests,
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def wrk_script(method: str, body: str, headers: dict[str, str], numbered: bool = False) -> str:
    """A wrk Lua script replaying one fixed request; returns its path (a temp file). numbered:
    each request's path is the URL's path followed by its number (1, 2, ...), so that every PUT
    makes a new key."""

    def lua(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"wrk.method = {lua(method)}", f"wrk.body = {lua(body)}"]
    lines += [f"wrk.headers[{lua(k)}] = {lua(v)}" for k, v in headers.items()]
    if numbered:
        lines += ["local n = 0", "request = function()", "  n = n + 1", "  return wrk.format(nil, wrk.path .. n)",
                  "end"]
    fd, path = tempfile.mkstemp(prefix="pocketcloud-bench-", suffix=".lua")
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------- reporting


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value) -> str:
    if isinstance(value, float):
        if value != value:
            return "-"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    return str(value)


def section(title: str) -> None:
    print(f"\n== {title} ==", flush=True)
