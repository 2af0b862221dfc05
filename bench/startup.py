"""Parts 3 and 4: cold start and idle memory of `pocketcloud start`, against the bare app
started by the same server the same way (a fresh interpreter running bench/serve.py).

Cold start: from spawning the process to the first successful GetCallerIdentity (a boto3-signed
request answered 200 with an <Arn>); for the bare app, to the first 200 of the same request.
Idle memory: after that first request and a short settle, RSS (and PSS) summed over the
process tree.
"""

from __future__ import annotations

from bench import awsreq
from bench import harness as h
from bench.stack import REFERENCE_SERVER

COLD_TARGET = 1.5
RSS_TARGET_MB = 55.0
STS = "sts GetCallerIdentity"
EC2 = "ec2 DescribeAvailabilityZones"


def _spawn(who: str, port: int) -> h.Server:
    argv = h.pocketcloud_start(port) if who == "pocketcloud" else h.bench_server(REFERENCE_SERVER, port)
    return h.Server(who, argv, port)


def _succeeds(port: int, signed: awsreq.Signed, need_marker: bool):
    def probe() -> bool:
        status, body = h.request(port, signed.method, signed.path, signed.body, signed.headers, timeout=5)
        return status == 200 and (not need_marker or signed.marker in body)

    return probe


def _compile_bytecode() -> None:
    """Compile the work tree's modules as `pip install` does for an installed package, so a
    cold start here reads bytecode as a user's does. (Without this, an environment with
    PYTHONDONTWRITEBYTECODE=1 would compile every pocketcloud module from source at each start,
    ~20 ms that no installed copy pays, while the bare app's server is already compiled.)"""
    import compileall
    from pathlib import Path

    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "pocketcloud"), quiet=1)


def cold_start(rounds: int = 5) -> dict:
    h.section(f"3. Cold start: spawn to first successful GetCallerIdentity (reference: bare app on {REFERENCE_SERVER})")
    _compile_bytecode()
    times = {"pocketcloud": [], "bare": []}
    listening = {"pocketcloud": [], "bare": []}
    for _ in range(rounds):
        for who in times:
            port = h.free_port()
            signed = awsreq.signed_request(STS, port)  # signed before the clock starts
            with _spawn(who, port) as server:
                # Split the total: the port accepting connections, then the first call answered.
                listening[who].append(h.wait_until(server, h.port_open(port), interval=0.002))
                times[who].append(h.wait_until(server, _succeeds(port, signed, who == "pocketcloud"),
                                               interval=0.002))
    ratio = h.median([a / b for a, b in zip(times["pocketcloud"], times["bare"])])
    rows = [[who, h.median(t) * 1000, min(t) * 1000, max(t) * 1000, h.median(listening[who]) * 1000,
             h.median([a - b for a, b in zip(t, listening[who])]) * 1000] for who, t in times.items()]
    print(h.table(["server", "median ms", "min ms", "max ms", "listening at ms", "first call ms"], rows))
    verdict = "ok" if ratio <= COLD_TARGET else "ABOVE TARGET"
    print(f"ratio pocketcloud/bare: {ratio:.2f} (target <= {COLD_TARGET}) {verdict}")
    return {"times": times, "ratio": ratio}


def idle_memory(rounds: int = 2, settle: float = 2.0) -> dict:
    h.section("4. Idle memory after one GetCallerIdentity, settled (process tree)")
    samples = {"pocketcloud": [], "bare": []}
    for _ in range(rounds):
        for who in samples:
            port = h.free_port()
            sts = awsreq.signed_request(STS, port)
            ec2 = awsreq.signed_request(EC2, port)
            with _spawn(who, port) as server:
                h.wait_until(server, _succeeds(port, sts, who == "pocketcloud"))
                after_one = h.settled_memory(server, settle)
                # Informational: one more service's model and provider loaded.
                _succeeds(port, ec2, who == "pocketcloud")()
                after_two = h.settled_memory(server, settle / 2)
                samples[who].append((after_one, after_two))
    rows = []
    for who, runs in samples.items():
        rss = h.median([one[0] for one, _ in runs])
        pss = h.median([one[1] for one, _ in runs])
        rss_two = h.median([two[0] for _, two in runs])
        rows.append([who, rss, pss, runs[0][0][2], rss_two])
    print(h.table(["server", "RSS MB", "PSS MB", "procs", "RSS after +1 EC2 call"], rows))
    pc_rss, bare_rss = rows[0][1], rows[1][1]
    verdict = "ok" if pc_rss < RSS_TARGET_MB else "ABOVE TARGET"
    print(f"pocketcloud RSS {pc_rss:.1f} MB (target < {RSS_TARGET_MB:.0f} MB) {verdict}; "
          f"{pc_rss / bare_rss:.2f}x the bare app's {bare_rss:.1f} MB")
    return {"samples": samples}
