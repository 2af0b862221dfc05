"""Part "s3": S3 object throughput, listing latency and memory, against the bare server.

pocketcloud runs as a user starts it (`pocketcloud start --ephemeral`); the reference is a bare
ASGI app (`bare_app` below) under the same server configuration as the foundation's reference
(bench/serve.py uvicorn-httptools), answering GETs with a body of the same size as pocketcloud's
object (1 KiB or 8 MiB, held in memory) and draining PUT bodies. Both get the same requests from
wrk (plain unsigned S3 REST calls: anonymous access is allowed without --enforce-signatures);
runs are interleaved and each ratio is the median of per-round ratios.

  1 KiB GET and PUT      requests/s at concurrency 1 and 16     target: >= 0.30 of bare at c16
  8 MiB GET and PUT      MB/s at concurrency 4                  target: >= 0.60 of bare
  ListObjectsV2          one 1,000-key page of a 10,000-key bucket, ms at concurrency 1
                         (target < 10 ms), and the whole bucket in 10 pages
  memory                 RSS after 10,000 small objects (target < 120 MB), and peak RSS while
                         a 1 GiB object goes up and comes down (memory must stay flat)
"""

from __future__ import annotations

import http.client
import os
import threading
import time
from urllib.parse import quote

from bench import harness as h
from bench.apps import lifespan

REFERENCE_SERVER = "uvicorn-httptools"
KIB, MIB = 1024, 1024 * 1024
BUCKET = "bench"
SIZES = {"1k": KIB, "8m": 8 * MIB}
_BODIES = {f"/{name}": b"b" * size for name, size in SIZES.items()}
_OK = [(b"content-type", b"application/xml"), (b"content-length", b"0")]


async def bare_app(scope, receive, send):
    """The reference: a GET answers the object's bytes from memory, a PUT drains its body."""
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    if scope["method"] == "GET":
        body = _BODIES.get(scope["path"], b"{}")
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"binary/octet-stream"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False) and message["type"] != "http.disconnect"
    await send({"type": "http.response.start", "status": 200, "headers": _OK})
    await send({"type": "http.response.body", "body": b""})


def _conn(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(h.HOST, port, timeout=60)


def _call(conn, method: str, path: str, body=None, headers=None) -> bytes:
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{method} {path} answered {response.status}: {data[:300]!r}")
    return data


def _prepare(port: int, keys: int) -> None:
    conn = _conn(port)
    _call(conn, "PUT", f"/{BUCKET}")
    for name, size in SIZES.items():
        _call(conn, "PUT", f"/{BUCKET}/obj-{name}", b"o" * size)
    for i in range(keys):
        _call(conn, "PUT", f"/{BUCKET}/list/{i:06d}", b"k")
    conn.close()


NEW_KEYS = "PUT 1 KiB c16, new keys"


def _workloads() -> list[tuple[str, str, int, str, str, str, int]]:
    """(label, method, concurrency, pocketcloud path, bare path, body, size)."""
    out = []
    for conns in (1, 16):
        out.append((f"GET 1 KiB c{conns}", "GET", conns, f"/{BUCKET}/obj-1k", "/1k", "", KIB))
        out.append((f"PUT 1 KiB c{conns}", "PUT", conns, f"/{BUCKET}/put-1k", "/1k", "p" * KIB, KIB))
    # As an upload or a sync does: each PUT a key of its own (the row inserted, not updated, and
    # no document of it cached yet). Informational: the target is the row above's.
    out.append((NEW_KEYS, "PUT", 16, f"/{BUCKET}/new-", "/1k-", "p" * KIB, KIB))
    out.append(("GET 8 MiB c4", "GET", 4, f"/{BUCKET}/obj-8m", "/8m", "", 8 * MIB))
    out.append(("PUT 8 MiB c4", "PUT", 4, f"/{BUCKET}/put-8m", "/8m", "p" * (8 * MIB), 8 * MIB))
    return out


def _rss_peak(pid: int, action) -> tuple[float, float]:
    """(RSS MB before, peak RSS MB while action() runs), sampled every 20 ms."""
    before = h.memory_mb(pid)[0]
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], h.memory_mb(pid)[0])
            time.sleep(0.02)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    try:
        action()
    finally:
        done.set()
        watcher.join()
    return before, peak[0]


def _big_object(port: int, size: int) -> tuple[float, float]:
    """Stream `size` bytes up and down; returns (seconds up, seconds down)."""
    chunk = os.urandom(MIB)
    conn = _conn(port)
    began = time.perf_counter()
    conn.putrequest("PUT", f"/{BUCKET}/big")
    conn.putheader("Content-Length", str(size))
    conn.endheaders()
    for _ in range(size // MIB):
        conn.send(chunk)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"1 GiB PUT answered {response.status}")
    up = time.perf_counter() - began
    began = time.perf_counter()
    conn.request("GET", f"/{BUCKET}/big")
    response = conn.getresponse()
    got = 0
    while True:
        piece = response.read(MIB)
        if not piece:
            break
        got += len(piece)
    if got != size:
        raise RuntimeError(f"1 GiB GET returned {got} bytes")
    down = time.perf_counter() - began
    conn.close()
    return up, down


def run(rounds: int = 3, duration: float = 2.0, keys: int = 10000, big_mib: int = 1024) -> dict:
    h.section(f"s3. S3 objects vs the bare server ({REFERENCE_SERVER}), wrk -t1")
    pc_port, bare_port = h.free_port(), h.free_port()
    results: dict = {}
    with h.Server("pocketcloud", h.pocketcloud_start(pc_port), pc_port) as pc, \
            h.Server("bare", h.bench_server(REFERENCE_SERVER, bare_port, app="bench.s3:bare_app"), bare_port) as bare:
        h.wait_until(bare, h.port_open(bare_port))
        h.wait_until(pc, lambda: h.request(pc_port, path="/_pocketcloud/health", timeout=2)[0] == 200)
        idle_rss = h.settled_memory(pc, 1.0)[0]
        began = time.perf_counter()
        _prepare(pc_port, keys)
        fill_seconds = time.perf_counter() - began
        filled_rss = h.settled_memory(pc, 1.0)[0]

        scripts = {}
        rates = {}
        try:
            for label, method, conns, pc_path, bare_path, body, size in _workloads():
                headers = {"Content-Type": "application/octet-stream"} if method == "PUT" else {}
                script = h.wrk_script(method, body, headers, numbered=label == NEW_KEYS)
                scripts[label] = script
                rates[label] = {"pc": [], "bare": [], "cpu_pc": [], "cpu_bare": []}
            list_path = f"/{BUCKET}?list-type=2&prefix=list/"
            rates["ListObjectsV2 1,000 keys c1"] = {"pc": [], "bare": [], "cpu_pc": [], "cpu_bare": []}

            def measure(workload, round_no: int) -> None:
                label, method, conns, pc_path, bare_path, body, size = workload
                if label == NEW_KEYS:  # wrk numbers the requests from 1: the round keeps keys apart
                    pc_path, bare_path = f"{pc_path}{round_no}-", f"{bare_path}{round_no}-"
                pair = [("pc", pc_port, pc_path, pc), ("bare", bare_port, bare_path, bare)]
                # Whichever server goes first in a round reads ~0.03 low (bench/s3big.py's A/A
                # rounds): the order alternates from round to round.
                for who, port, path, server in pair if round_no % 2 == 0 else pair[::-1]:
                    out = h.run_wrk(port, duration, conns, scripts[label], path, server.proc.pid)
                    if out["non2xx"] or out["socket_errors"]:
                        raise RuntimeError(f"{who} {label}: {out}")
                    rates[label][who].append(out["rps"])
                    rates[label]["cpu_" + who].append(out["cpu_us"])

            for round_no in range(rounds):
                for workload in _workloads():
                    if workload[0] != NEW_KEYS:
                        measure(workload, round_no)
                entry = rates["ListObjectsV2 1,000 keys c1"]
                for who, port, path, server in (("pc", pc_port, list_path, pc), ("bare", bare_port, "/", bare)):
                    out = h.run_wrk(port, duration, 1, None, path, server.proc.pid)
                    entry[who].append(out["rps"])
                    entry["cpu_" + who].append(out["cpu_us"])
            # The new keys' rounds last: the tens of thousands of rows they add would otherwise
            # weigh on the rows above from their second round on.
            for round_no in range(rounds):
                measure(next(w for w in _workloads() if w[0] == NEW_KEYS), round_no)
        finally:
            for script in scripts.values():
                os.unlink(script)

        # The whole 10,000-key bucket, page by page, as a client walks it.
        conn = _conn(pc_port)
        walk = []
        for _ in range(3):
            began, token, pages, seen = time.perf_counter(), None, 0, 0
            while True:
                path = f"/{BUCKET}?list-type=2&prefix=list/" + (f"&continuation-token={quote(token)}" if token else "")
                text = _call(conn, "GET", path).decode()
                pages += 1
                seen += text.count("<Key>")
                if "<NextContinuationToken>" not in text:
                    break
                token = text.split("<NextContinuationToken>")[1].split("<")[0]
            walk.append(time.perf_counter() - began)
            if seen != keys:
                raise RuntimeError(f"listed {seen} keys of {keys}")
        conn.close()

        big = None
        if big_mib:
            size = big_mib * MIB
            timing = {}
            before, peak = _rss_peak(pc.proc.pid, lambda: timing.update(zip(("up", "down"), _big_object(pc_port, size))))
            big = (before, peak, timing)

    rows = []
    targets = {"GET 1 KiB c16": 0.30, "PUT 1 KiB c16": 0.30, "GET 8 MiB c4": 0.60, "PUT 8 MiB c4": 0.60}
    for label, entry in rates.items():
        size = next((w[6] for w in _workloads() if w[0] == label), None)
        ratio = h.median([a / b for a, b in zip(entry["pc"], entry["bare"])])
        target = targets.get(label)
        pc_rate, bare_rate = h.median(entry["pc"]), h.median(entry["bare"])
        unit = "MB/s" if size and size >= MIB else "req/s"
        scale = size / 1e6 if unit == "MB/s" else 1
        verdict = "" if target is None else ("ok" if ratio >= target else "BELOW")
        rows.append([label, unit, pc_rate * scale, bare_rate * scale, ratio,
                     f">= {target:.2f}" if target else "", verdict, h.median(entry["cpu_pc"]),
                     h.median(entry["cpu_bare"])])
    print(h.table(["workload", "unit", "pocketcloud", "bare", "ratio", "target", "", "pc CPU us/req",
                   "bare CPU us/req"], rows))
    page_ms = 1000 / h.median(rates["ListObjectsV2 1,000 keys c1"]["pc"])
    print(f"ListObjectsV2: one 1,000-key page in {page_ms:.2f} ms at c1 (target < 10 ms) "
          f"{'ok' if page_ms < 10 else 'ABOVE TARGET'}; all {keys:,} keys in 10 pages: "
          f"{h.median(walk) * 1000:.1f} ms (median of 3 walks)")
    print(f"memory: RSS {idle_rss:.1f} MB idle, {filled_rss:.1f} MB after {keys:,} small objects "
          f"(target < 120 MB) {'ok' if filled_rss < 120 else 'ABOVE TARGET'}; filling took {fill_seconds:.1f} s")
    if big:
        before, peak, timing = big
        print(f"1 object of {big_mib} MiB: up {big_mib / timing['up']:.0f} MiB/s, down {big_mib / timing['down']:.0f} "
              f"MiB/s; RSS {before:.1f} MB before, peak {peak:.1f} MB during (+{peak - before:.1f} MB)")
    results.update(rates=rates, page_ms=page_ms, walk=walk, idle_rss=idle_rss, filled_rss=filled_rss, big=big)
    return results
