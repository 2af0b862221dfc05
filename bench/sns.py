"""Part `sns`: SNS Publish fanned out to 10 SQS queues, messages/s, with persistence on.

pocketcloud runs with a data directory; one standard topic has 10 SQS subscriptions (the JSON
envelope, signed, as AWS delivers it), so every Publish acknowledged has put 10 messages in
SQLite. The reference is the bare app of bench/apps.py under the same server, sent the
byte-identical Publish request (it drains the body and answers a fixed 200). Requests are what
boto3 builds and signs (query protocol), captured and replayed by wrk at 1 and 16 connections;
runs alternate pocketcloud / bare and the ratio is the median of per-round ratios. At the end
the queues' depth is checked against the publishes acknowledged (10 deliveries each).
"""

from __future__ import annotations

import os
import subprocess
import tempfile

from bench import awsreq
from bench import harness as h
from bench.sqs import pocketcloud_persistent  # the same server, with a data directory

REFERENCE_SERVER = "uvicorn-httptools"
QUEUES = 10
MESSAGE = "x" * 128


def signed_call(api, method: str, **kwargs) -> tuple[str, dict[str, str], str]:
    """(path, headers, body) of the request boto3 signs for one call, captured before sending."""
    return awsreq.replayable(awsreq.capture(api, method, **kwargs))


def _setup(port: int) -> tuple[str, list[str]]:
    sns, sqs = awsreq.client("sns", port), awsreq.client("sqs", port)
    topic = sns.create_topic(Name="bench-fanout")["TopicArn"]
    urls = []
    for i in range(QUEUES):
        url = sqs.create_queue(QueueName=f"bench-fanout-{i}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        urls.append(url)
    return topic, urls


def _depths(port: int, urls: list[str]) -> list[int]:
    sqs = awsreq.client("sqs", port)
    return [int(sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["ApproximateNumberOfMessages"])
                ["Attributes"]["ApproximateNumberOfMessages"]) for u in urls]


def run(rounds: int = 3, duration: float = 2.0) -> dict:
    h.section(f"SNS Publish fanned out to {QUEUES} SQS queues, persistence on, vs bare app ({REFERENCE_SERVER})")
    pc_port, bare_port = h.free_port(), h.free_port()
    data_dir = tempfile.mkdtemp(prefix="pocketcloud-bench-sns-")
    rates: dict[tuple[str, int], list[float]] = {}
    cpu: dict[tuple[str, int], list[float]] = {}
    acknowledged, errors = 0, 0
    script = None
    try:
        with h.Server("pocketcloud", pocketcloud_persistent(pc_port, data_dir), pc_port) as pc, \
                h.Server("bare", h.bench_server(REFERENCE_SERVER, bare_port), bare_port) as bare:
            h.wait_until(bare, h.get_ok(bare_port))
            h.wait_until(pc, lambda: h.request(pc_port, path="/_pocketcloud/health", timeout=2)[0] == 200)
            topic, urls = _setup(pc_port)
            path, headers, body = signed_call(awsreq.client("sns", pc_port), "publish", TopicArn=topic,
                                              Message=MESSAGE)
            status, answer = h.request(pc_port, "POST", path, body.encode(), headers)
            if status != 200 or b"<MessageId>" not in answer:
                raise RuntimeError(f"pocketcloud answered Publish with {status}: {answer[:300]!r}")
            acknowledged += 1
            script = h.wrk_script("POST", body, headers)
            for port in (pc_port, bare_port):  # warm-up, not recorded
                out = h.run_wrk(port, 1, connections=4, script=script)
                if port == pc_port:
                    acknowledged += out["requests"] - out["non2xx"]
            for _ in range(rounds):
                for connections in (1, 16):
                    for who, port, pid in (("pocketcloud", pc_port, pc.proc.pid), ("bare", bare_port, bare.proc.pid)):
                        out = h.run_wrk(port, duration, connections=connections, script=script, server_pid=pid)
                        rates.setdefault((who, connections), []).append(out["rps"])
                        cpu.setdefault((who, connections), []).append(out["cpu_us"])
                        errors += out["non2xx"] + out["socket_errors"]
                        if who == "pocketcloud":
                            acknowledged += out["requests"] - out["non2xx"]
            depths = _depths(pc_port, urls)
    finally:
        if script:
            os.unlink(script)
        subprocess.run(["rm", "-rf", data_dir], check=False)

    rows = []
    for connections in (1, 16):
        pc_rates, bare_rates = rates[("pocketcloud", connections)], rates[("bare", connections)]
        rows.append([f"publish c{connections}", h.median(pc_rates), h.median(pc_rates) * QUEUES,
                     h.median(bare_rates), h.median([a / b for a, b in zip(pc_rates, bare_rates)]),
                     h.median(cpu[("pocketcloud", connections)]), h.median(cpu[("bare", connections)])])
    print(h.table(["workload", "publishes/s", "deliveries/s", "bare req/s", "ratio", "pc CPU us/publish",
                   "bare CPU us/req"], rows))
    print(f"ratio: median over rounds of pocketcloud publishes/s / bare req/s (same Publish request). "
          f"errors: non-2xx + socket {errors}. Queue depths {min(depths)}..{max(depths)} for "
          f"{acknowledged} publishes acknowledged (wrk may count a few in-flight requests at the end).")
    return {"rates": rates, "depths": depths, "acknowledged": acknowledged}
