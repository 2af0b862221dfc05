"""Only the 8 MiB workloads of part "s3", interleaved, for A/B work on large bodies.

    python bench/s3big.py [--rounds 6] [--duration 2] [--against OTHER_TREE] [--only PUT|GET]

Runs `pocketcloud start --ephemeral` from this work tree (and, with --against, from another
checkout of the repository, e.g. `git archive main | tar -x -C /tmp/main`), and the bare
reference `bench.s3:bare_app`, and measures 8 MiB PUT and GET at 4 connections with wrk, round
after round (this tree, the other, bare, for each workload, in an order that rotates from round
to round): each round's ratio is req/s over the bare server's of the same round, as part "s3"
computes it. Prints every round (so the spread
is visible), the medians, and the server CPU per request.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness as h  # noqa: E402
from bench import s3  # noqa: E402


def _start_pocketcloud(tree: str, port: int, env: dict | None = None) -> h.Server:
    if tree == h.REPO and not env:
        return h.Server("pocketcloud", h.pocketcloud_start(port), port)
    # Another tree or environment: the same entry point, with that tree first on the import path.
    import subprocess
    import tempfile

    server = h.Server.__new__(h.Server)
    server.name, server.argv, server.port = "other", h.pocketcloud_start(port), port
    server.log = tempfile.TemporaryFile()
    server.started = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=tree, **(env or {}))
    server.proc = subprocess.Popen(server.argv, cwd=tree, env=env, stdin=subprocess.DEVNULL, stdout=server.log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    return server


def _busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _measure(server: h.Server, duration: float, conns: int, script: str, path: str) -> dict:
    """run_wrk, plus the CPU that other processes took meanwhile (in cores): rounds measured
    while the machine was busy with other work can then be told apart."""
    busy, ours, children = _busy_seconds(), h.cpu_seconds(server.proc.pid), os.times()
    began = time.perf_counter()
    out = h.run_wrk(server.port, duration, conns, script, path)
    elapsed = time.perf_counter() - began
    after = os.times()
    wrk = after.children_user + after.children_system - children.children_user - children.children_system
    server_cpu = h.cpu_seconds(server.proc.pid) - ours
    out["cpu_us"] = server_cpu / out["requests"] * 1e6 if out["requests"] else float("nan")
    out["others"] = max(0.0, _busy_seconds() - busy - server_cpu - wrk) / elapsed
    return out


def _prepare(port: int) -> None:
    conn = s3._conn(port)
    s3._call(conn, "PUT", f"/{s3.BUCKET}")
    s3._call(conn, "PUT", f"/{s3.BUCKET}/obj-8m", b"o" * (8 * s3.MIB))
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--against", help="another checkout to measure in the same rounds")
    parser.add_argument("--only", choices=("PUT", "GET"))
    parser.add_argument("--boost", type=int, default=0, metavar="NICE",
                        help="run the servers and wrk at this autogroup niceness (negative: needs root), so that "
                             "other work on a shared machine disturbs the rounds less")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:VAR=VALUE[,VAR=VALUE]",
                        help="also this tree under extra environment variables (for experiments)")
    parser.add_argument("--quiet", type=float, default=0.15,
                        help="rounds where other processes took more cores than this are also reported apart")
    args = parser.parse_args()

    trees = {"this": (h.REPO, {})}
    if args.against:
        trees["other"] = (os.path.abspath(args.against), {})
    for variant in args.variant:
        name, _, assignments = variant.partition(":")
        trees[name] = (h.REPO, dict(item.split("=", 1) for item in assignments.split(",") if item))
    servers = {}
    try:
        for name, (tree, env) in trees.items():
            port = h.free_port()
            servers[name] = _start_pocketcloud(tree, port, env)
        bare_port = h.free_port()
        servers["bare"] = h.Server("bare", h.bench_server(s3.REFERENCE_SERVER, bare_port, app="bench.s3:bare_app"),
                                   bare_port)
        h.wait_until(servers["bare"], h.port_open(bare_port))
        if args.boost:
            # wrk runs in this script's session: boost it too, but only when that session is the
            # script's own (start it with `setsid`), not a shell's shared with other programs.
            own = [os.getpid()] if os.getsid(0) == os.getpid() else []
            if not own:
                print("(not a session leader: wrk not boosted; run under `setsid -w` for that)")
            for pid in own + [server.proc.pid for server in servers.values()]:
                with open(f"/proc/{pid}/autogroup", "w") as fh:  # each server leads its own session
                    fh.write(str(args.boost))
        for name in trees:
            port = servers[name].port
            h.wait_until(servers[name], lambda: h.request(port, path="/_pocketcloud/health", timeout=2)[0] == 200)
            _prepare(port)
        workloads = [w for w in s3._workloads() if "8 MiB" in w[0] and (args.only is None or w[1] == args.only)]
        scripts = {}
        for label, method, _conns, _pc, _bare, body, _size in workloads:
            headers = {"Content-Type": "application/octet-stream"} if method == "PUT" else {}
            scripts[label] = h.wrk_script(method, body, headers)
        results = {label: {name: [] for name in servers} for label, *_ in workloads}
        try:
            for round_no in range(args.rounds):
                for label, method, conns, pc_path, bare_path, _body, _size in workloads:
                    row = {}
                    # A different order each round: whichever server goes first in a round was
                    # seen to read ~0.03 lower (A/A rounds of identical servers).
                    order = list(servers.items())
                    shift = round_no % len(order)
                    for name, server in order[shift:] + order[:shift]:
                        path = bare_path if name == "bare" else pc_path
                        out = _measure(server, args.duration, conns, scripts[label], path)
                        if out["non2xx"] or out["socket_errors"]:
                            raise RuntimeError(f"{name} {label}: {out}")
                        row[name] = out
                        results[label][name].append(out)
                    bare = row["bare"]["rps"]
                    text = "  ".join(f"{n} {row[n]['rps'] / bare:.3f} ({row[n]['rps']:.1f}/s, {row[n]['cpu_us'] / 1000:.1f} ms)"
                                     for n in trees)
                    others = max(out["others"] for out in row.values())
                    print(f"round {round_no + 1} {label}: {text}  bare {bare:.1f}/s {row['bare']['cpu_us'] / 1000:.1f} ms"
                          f"  (other work: up to {others:.2f} cores)", flush=True)
        finally:
            for script in scripts.values():
                os.unlink(script)
        print()
        quiet = [i for i in range(args.rounds) if all(per[n][i]["others"] <= args.quiet for per in results.values()
                                                      for n in servers)]
        print(f"rounds with at most {args.quiet} cores of other work throughout: {len(quiet)} of {args.rounds}")
        for label, per in results.items():
            for name in trees:
                ratios = sorted(a["rps"] / b["rps"] for a, b in zip(per[name], per["bare"]))
                calm = sorted(per[name][i]["rps"] / per["bare"][i]["rps"] for i in quiet)
                if calm:
                    print(f"{label} {name}, quiet rounds: median {h.median(calm):.3f} (min {calm[0]:.3f}, "
                          f"max {calm[-1]:.3f})")
                cpu = h.median([a["cpu_us"] for a in per[name]]) / 1000
                print(f"{label} {name}: median {h.median(ratios):.3f} (min {ratios[0]:.3f}, max {ratios[-1]:.3f}), "
                      f"CPU {cpu:.1f} ms/req vs bare {h.median([b['cpu_us'] for b in per['bare']]) / 1000:.1f}")
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    main()
