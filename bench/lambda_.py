"""Lambda: warm Invoke latency and rate, and cold start, of a trivial Python function.

- warm: boto3 `invoke` (RequestResponse) of `def handler(e, c): return {"ok": True}` on a warm
  environment, one call at a time: p50 / p99 latency; invocations/s from `threads` client
  threads. Reference in the same run: boto3 STS GetCallerIdentity against the same server
  (the cheapest API call: everything but the function itself).
- cold: a configuration change forces a new execution environment, then one boto3 invoke is
  timed; reference: `python -c` importing the same handler module and calling it once (a bare
  interpreter start plus the import). Rounds interleaved, medians reported.
Targets: warm p50 < 3 ms; cold start < 150 ms more than the bare interpreter start.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

from bench import harness as h

HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


def _client(service: str, port: int):
    import boto3
    from botocore.config import Config

    return boto3.client(service, endpoint_url=f"http://{h.HOST}:{port}", region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}, max_pool_connections=32))


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buf.getvalue()


def _latencies(fn, count: int) -> list[float]:
    out = []
    for _ in range(count):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _rate(fn, threads: int, seconds: float) -> float:
    done = [0] * threads
    stop = time.perf_counter() + seconds

    def worker(i):
        while time.perf_counter() < stop:
            fn()
            done[i] += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(done) / seconds


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(count: int = 2000, threads: int = 4, seconds: float = 3.0, cold_rounds: int = 9) -> dict:
    h.section("lambda: warm invoke and cold start of a trivial Python function")
    port = h.free_port()
    with h.Server("pocketcloud", h.pocketcloud_start(port), port) as server:
        h.wait_until(server, lambda: h.request(port, path="/_pocketcloud/health", timeout=2.0)[0] == 200)
        lam, sts = _client("lambda", port), _client("sts", port)
        lam.create_function(FunctionName="bench", Runtime=f"python{sys.version_info[0]}.{sys.version_info[1]}",
                            Role="arn:aws:iam::000000000000:role/r", Handler="app.handler", Code={"ZipFile": _zip()})
        payload = json.dumps({"x": 1})

        def invoke():
            lam.invoke(FunctionName="bench", Payload=payload)["Payload"].read()

        def identity():
            sts.get_caller_identity()

        for fn in (invoke, identity):  # warm both paths (environments, connections, caches)
            _latencies(fn, 200)
        warm, ref = [], []
        for _ in range(4):  # interleaved rounds
            warm += _latencies(invoke, count // 4)
            ref += _latencies(identity, count // 4)
        rate = _rate(invoke, threads, seconds)
        ref_rate = _rate(identity, threads, seconds)
        print(h.table(["call", "p50 ms", "p99 ms", f"calls/s ({threads} threads)"], [
            ["lambda Invoke (warm)", _pct(warm, 0.5), _pct(warm, 0.99), rate],
            ["sts GetCallerIdentity (ref)", _pct(ref, 0.5), _pct(ref, 0.99), ref_rate],
        ]))
        print(f"warm Invoke p50 = {_pct(warm, 0.5):.2f} ms (target < 3 ms); "
              f"x{_pct(warm, 0.5) / _pct(ref, 0.5):.2f} of GetCallerIdentity")

        with tempfile.TemporaryDirectory() as code_dir:
            with open(os.path.join(code_dir, "app.py"), "w") as f:
                f.write(HANDLER)
            bare_argv = [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import app; "
                         "app.handler({'x': 1}, None)", code_dir]
            cold, bare = [], []
            for i in range(cold_rounds):
                lam.update_function_configuration(FunctionName="bench", Environment={"Variables": {"ROUND": str(i)}})
                cold += _latencies(invoke, 1)
                start = time.perf_counter()
                subprocess.run(bare_argv, check=True)
                bare.append((time.perf_counter() - start) * 1000)
        extra = statistics.median(cold) - statistics.median(bare)
        print(h.table(["start", "median ms", "min ms", "max ms"], [
            ["cold Invoke (new environment)", statistics.median(cold), min(cold), max(cold)],
            ["python -c handler (ref)", statistics.median(bare), min(bare), max(bare)],
        ]))
        print(f"cold start = bare interpreter + {extra:.1f} ms (target < 150 ms)")
    return {"warm_p50_ms": _pct(warm, 0.5), "warm_p99_ms": _pct(warm, 0.99), "invokes_per_s": rate,
            "cold_extra_ms": extra}
