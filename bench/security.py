"""Optional part "security": what CloudTrail recording and KMS cryptography cost per request.

Drives the ASGI app in-process (as part "profile" does: no server, no socket) and prints the
CPU microseconds per request of
  - STS GetCallerIdentity (a management event, recorded) with the CloudTrail recorder on and
    with it replaced by a no-op, in the same process: the ratio is recording's cost;
  - KMS Encrypt of 4 KiB with a customer key, and GenerateDataKey, likewise on/off;
  - the AES-256-GCM of the same 4 KiB done directly with `cryptography`, for scale.
"""

from __future__ import annotations

import asyncio
import os
import time

from bench import awsreq, inproc
from bench import harness as h


def _signed(service: str, method: str, operation: str, marker: bytes, **params) -> awsreq.Signed:
    return awsreq.capture(awsreq.client(service, 4566), method, 4566, marker, **params)


def _aes_us(seconds: float) -> float:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aes, data, count = AESGCM(os.urandom(32)), os.urandom(4096), 0
    start = time.process_time()
    while time.process_time() - start < seconds:
        aes.encrypt(os.urandom(12), data, b"context")
        count += 1
    return (time.process_time() - start) / count * 1e6


def run(seconds: float = 1.5) -> dict:
    from pocketcloud.config import Settings
    from pocketcloud.gateway.app import create_app

    h.section("security: CloudTrail recording and KMS cost per request (in-process CPU)")
    settings = Settings()
    settings.ephemeral = True
    gateway = create_app(settings)
    key_id = asyncio.run(gateway.runtime.providers.call("kms", "CreateKey", {}, "000000000000", "us-east-1"))[
        "KeyMetadata"]["KeyId"]
    workloads = {
        "sts GetCallerIdentity": awsreq.signed_request("sts GetCallerIdentity", 4566),
        "kms Encrypt 4 KiB": _signed("kms", "encrypt", "Encrypt", b"CiphertextBlob", KeyId=key_id,
                                     Plaintext=os.urandom(4096)),
        "kms GenerateDataKey": _signed("kms", "generate_data_key", "GenerateDataKey", b"CiphertextBlob",
                                       KeyId=key_id, KeySpec="AES_256"),
    }
    record = gateway.recorder.record
    rows, results = [], {}
    for name, signed in workloads.items():
        on_runs, off_runs = [], []
        for _ in range(3):  # interleaved, so a busy moment hits both sides
            gateway.recorder.record = record
            on_runs.append(inproc._cpu_per_request(gateway, signed, seconds / 3))
            gateway.recorder.record = lambda *a, **k: None
            off_runs.append(inproc._cpu_per_request(gateway, signed, seconds / 3))
        gateway.recorder.record = record
        on, off = sorted(on_runs)[1], sorted(off_runs)[1]
        results[name] = (on, off)
        rows.append([name, on, off, on - off, on / off])
    print(h.table(["workload", "recorded us/req", "not recorded us/req", "recording us", "x"], rows))
    print(f"\nAES-256-GCM of 4 KiB directly with cryptography: {_aes_us(seconds / 3):.2f} us")
    return results
