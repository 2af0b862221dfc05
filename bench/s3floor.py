"""Optional part "s3floor": how close to the bare server a 1 KiB S3 PUT and GET could be.

`floor_app` below is the least a 1 KiB PutObject / GetObject must do, written by hand with
none of pocketcloud's layers (routing tables, the model-driven codec, validation, contexts,
CloudTrail): on PUT, read the body, MD5 it (the ETag), CRC64NVME it (S3's default checksum),
seal it with AES-GCM, CBOR-encode the object's document and write it to SQLite in a group
commit; on GET, find the current version (a dict cache, as pocketcloud's index keeps), unseal
and answer with AWS's headers. It is measured next to pocketcloud and the bare app of part
`s3`, interleaved, each as a ratio to the bare app: the gap between pocketcloud and this
floor is what pocketcloud's generic layers cost on S3's hottest path.

It is a yardstick, not a server: one bucket, no errors, no persistence beyond the run.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import os
import sqlite3
import time
from datetime import timezone

from bench import harness as h
from bench.apps import lifespan, read_body
from bench.s3 import KIB, REFERENCE_SERVER

_state: dict = {}


def _setup() -> dict:
    # Imported here: the bench command itself does not need them.
    import cbor2
    from awscrt import checksums
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    db.execute("CREATE TABLE objects (bucket TEXT, key TEXT, seq INTEGER, size INTEGER, etag TEXT, "
               "modified REAL, meta BLOB, PRIMARY KEY (bucket, key, seq))")
    return {"db": db, "aead": AESGCM(os.urandom(32)), "cbor2": cbor2, "crc": checksums.crc64nvme,
            "ids": itertools.count(), "pending": [], "scheduled": False, "latest": {}}


def _flush() -> None:
    state = _state
    state["scheduled"] = False
    batch, state["pending"] = state["pending"], []
    db = state["db"]
    db.execute("BEGIN")
    for row, _ in batch:
        db.execute("INSERT OR REPLACE INTO objects VALUES (?,?,?,?,?,?,?)", row)
    db.execute("COMMIT")
    for _, done in batch:
        done.set_result(None)


def _ids() -> list:
    rid = f"{next(_state['ids']):032x}".encode()
    return [(b"x-amz-request-id", rid), (b"x-amz-id-2", base64.b64encode(rid))]


async def _put(path: str, headers: dict, receive) -> tuple[int, list, bytes]:
    state = _state
    body = await read_body(receive)
    etag = f'"{hashlib.md5(body).hexdigest()}"'
    crc = base64.b64encode(state["crc"](body).to_bytes(8, "big")).decode()
    nonce = os.urandom(12)
    meta = {"size": len(body), "etag": etag, "modified": round(time.time(), 3), "storage_class": "STANDARD",
            "content_type": headers.get("content-type"), "enc": {"mode": "AES256"},
            "segments": [{"size": len(body), "inline": nonce + state["aead"].encrypt(nonce, body, None)}],
            "checksum_algorithm": "CRC64NVME", "checksum": crc}
    bucket, _, key = path[1:].partition("/")
    row = (bucket, key, 1, len(body), etag, meta["modified"], state["cbor2"].dumps(meta, timezone=timezone.utc))
    done = asyncio.get_running_loop().create_future()
    state["pending"].append((row, done))
    if not state["scheduled"]:
        state["scheduled"] = True
        asyncio.get_running_loop().call_soon(_flush)
    await done
    state["latest"][path] = meta
    return 200, _ids() + [(b"etag", etag.encode()), (b"x-amz-server-side-encryption", b"AES256"),
                          (b"x-amz-checksum-crc64nvme", crc.encode()), (b"x-amz-checksum-type", b"FULL_OBJECT")], b""


def _get(path: str) -> tuple[int, list, bytes]:
    meta = _state["latest"][path]
    sealed = meta["segments"][0]["inline"]
    body = _state["aead"].decrypt(sealed[:12], sealed[12:], None)
    modified = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(meta["modified"])).encode()
    return 200, _ids() + [(b"etag", meta["etag"].encode()), (b"last-modified", modified),
                          (b"accept-ranges", b"bytes"), (b"content-type", b"binary/octet-stream"),
                          (b"x-amz-server-side-encryption", b"AES256")], body


async def floor_app(scope, receive, send):
    if scope["type"] == "lifespan":
        await lifespan(receive, send, lambda: _state.update(_setup()))
        return
    if scope["type"] != "http":
        return
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    if scope["method"] == "PUT":
        status, out, body = await _put(scope["path"], headers, receive)
    else:
        status, out, body = _get(scope["path"])
    out.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": body})


def run(rounds: int = 3, duration: float = 2.0) -> dict:
    h.section(f"s3floor. 1 KiB PUT/GET: pocketcloud and a hand-written floor, each vs the bare server "
              f"({REFERENCE_SERVER}), wrk -t1 -c16")
    ports = {name: h.free_port() for name in ("pocketcloud", "floor", "bare")}
    commands = {"pocketcloud": h.pocketcloud_start(ports["pocketcloud"]),
                "floor": h.bench_server(REFERENCE_SERVER, ports["floor"], app="bench.s3floor:floor_app"),
                "bare": h.bench_server(REFERENCE_SERVER, ports["bare"], app="bench.s3:bare_app")}
    body = "p" * KIB
    put_script = h.wrk_script("PUT", body, {"Content-Type": "application/octet-stream"})
    rates: dict = {(name, kind): [] for name in ports for kind in ("PUT", "GET")}
    cpu: dict = {(name, kind): [] for name in ports for kind in ("PUT", "GET")}
    with h.Server("pocketcloud", commands["pocketcloud"], ports["pocketcloud"]) as pc, \
            h.Server("floor", commands["floor"], ports["floor"]) as floor, \
            h.Server("bare", commands["bare"], ports["bare"]) as bare:
        servers = {"pocketcloud": pc, "floor": floor, "bare": bare}
        for name, server in servers.items():
            h.wait_until(server, h.port_open(ports[name]))
        h.wait_until(pc, lambda: h.request(ports["pocketcloud"], path="/_pocketcloud/health", timeout=2)[0] == 200)
        h.request(ports["pocketcloud"], "PUT", "/bench")
        for name in ("pocketcloud", "floor"):
            h.request(ports[name], "PUT", "/bench/obj-1k", body=b"o" * KIB)
        try:
            for _ in range(rounds):
                for kind, script, path in (("PUT", put_script, "/bench/put-1k"), ("GET", None, "/bench/obj-1k")):
                    for name, server in servers.items():
                        target = "/1k" if name == "bare" else path
                        out = h.run_wrk(ports[name], duration, 16, script, target, server.proc.pid)
                        if out["non2xx"] or out["socket_errors"]:
                            raise RuntimeError(f"{name} {kind}: {out}")
                        rates[(name, kind)].append(out["rps"])
                        cpu[(name, kind)].append(out["cpu_us"])
        finally:
            os.unlink(put_script)
    rows = []
    for kind in ("PUT", "GET"):
        for name in ("pocketcloud", "floor"):
            ratio = h.median([a / b for a, b in zip(rates[(name, kind)], rates[("bare", kind)])])
            rows.append([f"{kind} 1 KiB c16", name, h.median(rates[(name, kind)]), h.median(rates[("bare", kind)]),
                         ratio, h.median(cpu[(name, kind)]), h.median(cpu[("bare", kind)])])
    print(h.table(["workload", "server", "req/s", "bare req/s", "ratio", "CPU us/req", "bare CPU us/req"], rows))
    # The rounds' own ratios: the median hides how far they spread (the machine's phases move
    # the bare server and pocketcloud by different amounts).
    for kind in ("PUT", "GET"):
        pairs = list(zip(rates[("pocketcloud", kind)], rates[("bare", kind)]))
        print(f"  pocketcloud {kind}, per round: " + "  ".join(f"{a / b:.3f}" for a, b in pairs))
    return {"rates": rates, "cpu": cpu}
