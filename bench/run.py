"""Run pocketcloud's benchmarks: `python bench/run.py [PART ...]` (all parts by default).

Parts:
  servers    1. which ASGI server to embed (bare app under each candidate)
  stack      2. whole stack vs bare app, wrk replaying boto3-signed STS and EC2 calls; boto3 calls/s
  coldstart  3. spawn to first successful GetCallerIdentity vs the bare app
  memory     4. idle RSS after one request vs the bare app
  profile    (optional, not run by default) the gateway's CPU per request in-process, with
             a cProfile of where it goes: the noise-resistant figure to watch while optimising
  s3         (optional) S3: 1 KiB and 8 MiB GET/PUT, a 10,000-key ListObjectsV2, memory with
             10,000 objects and while 1 GiB goes up and down (bench/s3.py)
  lambda     (optional) Lambda warm Invoke p50/p99 and invocations/s vs STS; cold start vs python -c
  apigateway (optional) API Gateway -> Lambda request rate through invoke URLs vs the bare app
  logs       (optional) CloudWatch Logs PutLogEvents / GetLogEvents / FilterLogEvents rates vs STS
  events     (optional) EventBridge PutEvents (no match; 10 events to SQS) and TestEventPattern vs STS

Every figure that is compared is a ratio against a reference measured in the same run, with the
runs interleaved (A, B, A, B...) and medians reported: the machine is shared, absolute numbers
drift, ratios much less. Everything binds to 127.0.0.1 and stops by itself (about 4 minutes for
all parts with the defaults).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import apigateway, iam, inproc, s3, security, servers, sns, sqs, stack, startup  # noqa: E402
from bench.serve import SERVERS  # noqa: E402

PARTS = {
    "servers": lambda a: servers.run(a.servers, rounds=a.rounds, duration=a.duration, cold_rounds=a.cold_rounds),
    "stack": lambda a: stack.run(rounds=a.rounds, duration=a.duration, boto_threads=a.threads),
    "coldstart": lambda a: startup.cold_start(rounds=a.cold_rounds),
    "memory": lambda a: startup.idle_memory(),
    "profile": lambda a: inproc.run(),  # optional: not part of the default run
    "s3": lambda a: s3.run(rounds=a.rounds, duration=a.duration),  # optional too
    "sqs": lambda a: sqs.run(rounds=a.rounds, duration=a.duration),  # optional: SQS msgs/s
    "sns": lambda a: sns.run(rounds=a.rounds, duration=a.duration),  # optional: SNS fan-out to 10 queues
    "security": lambda a: security.run(),  # optional: CloudTrail recording and KMS costs
    "iam": lambda a: iam.run(),  # optional: the cost of --enforce-iam
    # optional: Lambda warm Invoke latency/rate and cold start (imported here: its own module)
    "lambda": lambda a: __import__("bench.lambda_", fromlist=["run"]).run(cold_rounds=a.cold_rounds),
    "apigateway": lambda a: apigateway.run(rounds=a.rounds, duration=a.duration),  # optional
    "logs": lambda a: __import__("bench.logs", fromlist=["run"]).run(rounds=a.rounds, duration=a.duration),
    "events": lambda a: __import__("bench.events", fromlist=["run"]).run(rounds=a.rounds, duration=a.duration),
}
DEFAULT_PARTS = ["servers", "stack", "coldstart", "memory"]
ALIASES = {"1": "servers", "2": "stack", "3": "coldstart", "4": "memory", "rss": "memory", "cold": "coldstart"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("parts", nargs="*", help="servers, stack, coldstart, memory (or 1-4), profile, security; "
                        "default: the first four")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved load rounds (default 4)")
    parser.add_argument("--duration", type=float, default=2, help="seconds per wrk run (default 2)")
    parser.add_argument("--cold-rounds", type=int, default=9, help="cold starts per candidate (default 9)")
    parser.add_argument("--threads", type=int, default=4, help="boto3 client threads in part 2 (default 4)")
    parser.add_argument("--servers", type=lambda s: s.split(","), default=None,
                        help=f"part 1 candidates, comma-separated, reference first; known: {', '.join(SERVERS)}")
    parser.add_argument("--quick", action="store_true", help="1 round of 1 s and 2 cold starts: a smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.cold_rounds = 1, 1, 2
    parts = [ALIASES.get(p, p) for p in args.parts] or DEFAULT_PARTS
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s): {', '.join(unknown)}")
    bad = [name for name in args.servers or () if name not in SERVERS]
    if bad:
        parser.error(f"unknown server(s): {', '.join(bad)}; known: {', '.join(SERVERS)}")
    if shutil.which("wrk") is None and {"servers", "stack"} & set(parts):
        parser.error("wrk is not installed (apt-get install wrk)")

    started = time.perf_counter()
    load = f"; wrk runs of {args.duration:g} s x {args.rounds} rounds" if {"servers", "stack"} & set(parts) else ""
    print(f"pocketcloud benchmarks on {os.cpu_count()} cores, Python {sys.version.split()[0]}{load}", flush=True)
    failed = []
    for part in parts:
        try:
            PARTS[part](args)
        except Exception as exc:  # one broken part should not hide the others' figures
            failed.append(part)
            print(f"\n!! part {part} failed: {type(exc).__name__}: {exc}", flush=True)
    print(f"\ndone in {time.perf_counter() - started:.0f} s" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
