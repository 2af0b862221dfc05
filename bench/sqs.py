"""Part `sqs`: SQS SendMessage and ReceiveMessage+DeleteMessage messages/s, with persistence on.

pocketcloud runs as a user runs it, with a data directory (every acknowledged send is in
SQLite before the answer goes out). The reference is the bare app of bench/apps.py under the
same server, sent the byte-identical SendMessage request (it drains the body and answers a fixed
200): "the bare server's rate". Requests are what boto3 builds and signs (JSON protocol),
captured and replayed by wrk at 1 and 16 connections.

Receive+delete: a wrk Lua script keeps a pool of receipt handles; a connection sends a
DeleteMessage for a handle when one is waiting, else a ReceiveMessage. Messages/s = deletes
acknowledged per second. The queue is kept full by the send runs that precede it in each round.

Targets at 16 connections: SendMessage >= 0.20 of the bare rate, receive+delete >= 0.10.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

from bench import awsreq
from bench import harness as h

REFERENCE_SERVER = "uvicorn-httptools"
TARGETS = {"send": 0.20, "receive+delete": 0.10}
BODY = "x" * 128  # a small JSON event, as most queues carry


def pocketcloud_persistent(port: int, data_dir: str) -> list[str]:
    code = "import sys; from pocketcloud.cli import main; sys.argv[0] = 'pocketcloud'; sys.exit(main())"
    return [sys.executable, "-c", code, "start", "--data-dir", data_dir, "--host", h.HOST, "--port", str(port)]


def captured(api, operation: str, method: str, **kwargs) -> tuple[str, dict[str, str], str]:
    """(path, headers, body) of the request boto3 signs for one call, not sent."""
    return awsreq.replayable(awsreq.capture(api, method, **kwargs))


def _lua(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lua_headers(headers: dict[str, str]) -> str:
    return "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in headers.items()) + "}"


def receive_delete_script(api, url: str) -> str:
    _, recv_headers, recv_body = captured(api, "ReceiveMessage", "receive_message", QueueUrl=url)
    _, del_headers, del_body = captured(api, "DeleteMessage", "delete_message", QueueUrl=url, ReceiptHandle="HANDLE")
    prefix, suffix = del_body.split("HANDLE")
    script = f"""
local recv_request = wrk.format("POST", "/", {_lua_headers(recv_headers)}, {_lua(recv_body)})
local del_headers = {_lua_headers(del_headers)}
local prefix, suffix = {_lua(prefix)}, {_lua(suffix)}
local handles = {{}}
deletes = 0
local threads = {{}}

function setup(thread) table.insert(threads, thread) end

function request()
  local handle = table.remove(handles)
  if handle then
    deletes = deletes + 1
    return wrk.format("POST", "/", del_headers, prefix .. handle .. suffix)
  end
  return recv_request
end

function response(status, headers, body)
  local handle = string.match(body, '"ReceiptHandle":%s*"([^"]+)"')
  if handle then table.insert(handles, handle) end
end

function done(summary, latency, requests)
  local d = 0
  for _, t in ipairs(threads) do d = d + t:get("deletes") end
  io.write(string.format("DELETES %d\\n", d))
end
"""
    fd, path = tempfile.mkstemp(prefix="pocketcloud-bench-sqs-", suffix=".lua")
    with os.fdopen(fd, "w") as fh:
        fh.write(script)
    return path


def _wrk_deletes(port: int, duration: float, connections: int, script: str, pid: int) -> dict:
    """Like harness.run_wrk, but the rate is DeleteMessage calls/s (messages consumed)."""
    cpu_before = h.cpu_seconds(pid)
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "5s", "-s", script,
            f"http://{h.HOST}:{port}/"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 30).stdout
    deletes = re.search(r"DELETES (\d+)", out)
    seconds = re.search(r"requests in ([\d.]+)(m?s)", out)
    total = re.search(r"(\d+) requests in", out)
    if not (deletes and seconds and total):
        raise RuntimeError(f"wrk gave no counts:\n{out}")
    elapsed = float(seconds.group(1)) / (1000 if seconds.group(2) == "ms" else 1)
    n = int(deletes.group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    # Every request is a delete, a receive that got a handle (as many), or an empty receive.
    return {"rps": n / elapsed, "empties": max(0, int(total.group(1)) - 2 * n), "non2xx": int(bad.group(1)) if bad else 0,
            "cpu_us": (h.cpu_seconds(pid) - cpu_before) / n * 1e6 if n else float("nan")}


def run(rounds: int = 3, duration: float = 2.0) -> dict:
    h.section(f"SQS messages/s with persistence on vs bare app ({REFERENCE_SERVER}), wrk -t1")
    pc_port, bare_port = h.free_port(), h.free_port()
    data_dir = tempfile.mkdtemp(prefix="pocketcloud-bench-sqs-")
    results: dict[tuple[str, int], list[float]] = {}
    cpu: dict[tuple[str, int], list[float]] = {}
    errors = {"non2xx": 0, "empties": 0}
    scripts = []
    try:
        with h.Server("pocketcloud", pocketcloud_persistent(pc_port, data_dir), pc_port) as pc, \
                h.Server("bare", h.bench_server(REFERENCE_SERVER, bare_port), bare_port) as bare:
            h.wait_until(bare, h.get_ok(bare_port))
            h.wait_until(pc, lambda: h.request(pc_port, path="/_pocketcloud/health", timeout=2)[0] == 200)
            api = awsreq.client("sqs", pc_port)
            url = api.create_queue(QueueName="bench")["QueueUrl"]
            path, headers, body = captured(api, "SendMessage", "send_message", QueueUrl=url, MessageBody=BODY)
            status, answer = h.request(pc_port, "POST", path, body.encode(), headers)
            if status != 200 or b"MD5OfMessageBody" not in answer:
                raise RuntimeError(f"pocketcloud answered SendMessage with {status}: {answer[:300]!r}")
            send_script = h.wrk_script("POST", body, headers)
            recv_script = receive_delete_script(api, url)
            scripts += [send_script, recv_script]
            h.run_wrk(pc_port, 1, script=send_script)  # warm-up, not recorded
            h.run_wrk(bare_port, 1, script=send_script)
            for _ in range(rounds):
                for connections in (1, 16):
                    for who, port, pid in (("send", pc_port, pc.proc.pid), ("bare", bare_port, bare.proc.pid)):
                        out = h.run_wrk(port, duration, connections=connections, script=send_script, server_pid=pid)
                        results.setdefault((who, connections), []).append(out["rps"])
                        cpu.setdefault((who, connections), []).append(out["cpu_us"])
                        errors["non2xx"] += out["non2xx"] + out["socket_errors"]
                for connections in (1, 16):
                    out = _wrk_deletes(pc_port, duration, connections, recv_script, pc.proc.pid)
                    results.setdefault(("receive+delete", connections), []).append(out["rps"])
                    cpu.setdefault(("receive+delete", connections), []).append(out["cpu_us"])
                    errors["non2xx"] += out["non2xx"]
                    errors["empties"] += out["empties"]
    finally:
        for script in scripts:
            os.unlink(script)
        subprocess.run(["rm", "-rf", data_dir], check=False)

    rows = []
    for connections in (1, 16):
        bare_rates = results[("bare", connections)]
        for workload in ("send", "receive+delete"):
            rates = results[(workload, connections)]
            ratio = h.median([a / b for a, b in zip(rates, bare_rates)])
            target = TARGETS[workload] if connections == 16 else None
            rows.append([f"{workload} c{connections}", h.median(rates), h.median(bare_rates), ratio,
                         f">= {target:.2f}" if target else "-",
                         ("ok" if ratio >= target else "BELOW") if target else "",
                         h.median(cpu[(workload, connections)]), h.median(cpu[("bare", connections)])])
    print(h.table(["workload", "pocketcloud msgs/s", "bare req/s", "ratio", "target", "",
                   "pc CPU us/msg", "bare CPU us/req"], rows))
    print("ratio: median over rounds of pocketcloud msgs/s / bare req/s (same SendMessage request) measured "
          "back to back; receive+delete costs two requests per message. "
          f"errors: non-2xx + socket {errors['non2xx']}, empty receives {errors['empties']}")
    return {"results": results}
