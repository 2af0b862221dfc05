"""Coverage summary of the codec conformance test (stdout + a JSON file in pytest's cache).

The hooks are registered by tests/conftest.py, which the main process loads with or without
xdist (a conftest under tests/codec/ would not be loaded by the xdist controller).

Each conformance test attaches its per-(service, protocol) summary as a user property; the
reports reach these hooks in the main process.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

DIRECTIONS = ("input", "output", "error")
_summaries: dict[tuple[str, str], dict] = {}


def pytest_runtest_logreport(report):
    if report.when != "call":
        return
    for name, value in getattr(report, "user_properties", ()):
        if name == "codec_coverage" and isinstance(value, dict):
            _summaries[(value["service"], value["protocol"])] = value


def _output_path(config) -> Path:
    cache = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("codec")) / "coverage.json"
    return Path(tempfile.gettempdir()) / "pocketcloud-codec-coverage.json"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _summaries:
        return
    tr = terminalreporter
    per_protocol: dict[str, dict] = defaultdict(lambda: {"pairs": 0, "operations": 0,
                                                          **{d: Counter() for d in DIRECTIONS}})
    excused = []
    stale = []
    for (service, protocol), s in sorted(_summaries.items()):
        agg = per_protocol[protocol]
        agg["pairs"] += 1
        agg["operations"] += s["operations"]
        for d in DIRECTIONS:
            agg[d].update(s["counts"].get(d, {}))
        for f in s["failures"]:
            if f["excused"]:
                excused.append((service, protocol, f["operation"], f["direction"], f["excused"]))
        for d in DIRECTIONS:
            if s["counts"].get(d, {}).get("stale"):
                stale.append((service, protocol, d, s["counts"][d]["stale"]))

    tr.write_sep("=", "codec conformance coverage")
    samples = next(iter(_summaries.values()))["samples"]
    seed = next(iter(_summaries.values()))["seed"]
    tr.write_line(f"seed {seed}, {samples} samples per operation and direction; "
                  f"cells are passed/total (failed, excused)")
    header = f"{'protocol':<20}{'ops':>6}" + "".join(f"{d:>24}" for d in DIRECTIONS)
    tr.write_line(header)
    totals = {"operations": 0, **{d: Counter() for d in DIRECTIONS}}
    for protocol in sorted(per_protocol):
        agg = per_protocol[protocol]
        totals["operations"] += agg["operations"]
        cells = []
        for d in DIRECTIONS:
            c = agg[d]
            totals[d].update(c)
            cells.append(_cell(c))
        tr.write_line(f"{protocol:<20}{agg['operations']:>6}" + "".join(f"{x:>24}" for x in cells))
    tr.write_line(f"{'all':<20}{totals['operations']:>6}"
                  + "".join(f"{_cell(totals[d]):>24}" for d in DIRECTIONS))
    if excused:
        tr.write_line(f"excused failures ({len(excused)}), see tests/codec/exceptions.py:")
        for service, protocol, op, d, reason in excused:
            tr.write_line(f"  {service}.{op} [{protocol}] {d}: {reason[:90]}")
    if stale:
        tr.write_line("excuses no longer needed (the check passes):")
        for service, protocol, d, n in stale:
            tr.write_line(f"  {service} [{protocol}] {d}: {n} operation(s)")

    path = _output_path(config)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "per_protocol": {
                p: {"pairs": a["pairs"], "operations": a["operations"],
                    **{d: dict(a[d]) for d in DIRECTIONS}}
                for p, a in sorted(per_protocol.items())
            },
            "pairs": [s for _, s in sorted(_summaries.items())],
        }
        path.write_text(json.dumps(data, indent=1, default=str))
        tr.write_line(f"coverage JSON: {path}")
    except OSError as exc:
        tr.write_line(f"coverage JSON not written: {exc}")


def _cell(c: Counter) -> str:
    passed = c.get("passed", 0) + c.get("stale", 0)
    total = passed + c.get("failed", 0) + c.get("excused", 0)
    return f"{passed}/{total} ({c.get('failed', 0)}, {c.get('excused', 0)})"
