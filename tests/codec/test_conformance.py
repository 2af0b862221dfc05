"""Codec conformance over every operation of every served service, in every protocol it lists.

One test per (service, protocol) pair, not per operation, to keep collection and reporting
fast; inside, every operation is checked in three directions (see harness.py) and failures are
collected per operation. botocore's side of each check uses botocore's own model, our codec
uses pocketcloud's (models.py), so the two models must agree as well. The test fails with a readable list unless each failing
(operation, direction) is excused in exceptions.py. README.md says how to run and read it.

Environment:
  POCKETCLOUD_CODEC_SAMPLES  random samples per operation and direction (default 3)
  POCKETCLOUD_CODEC_SEED     base seed (default 1729); values are a pure function of the seed,
                             service, protocol, operation, direction and sample index
  POCKETCLOUD_CODEC_OPS      comma-separated operation names (or service.Operation) to check
                             only those, e.g. while debugging one failure
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections import Counter

import pytest

from pocketcloud.protocol.specs import SERVICES, index

from . import harness
from .exceptions import excuse_for
from .models import operation_names, operation_pair
from .random_values import ValueGenerator

SAMPLES = max(1, int(os.environ.get("POCKETCLOUD_CODEC_SAMPLES", "3")))
SEED = int(os.environ.get("POCKETCLOUD_CODEC_SEED", "1729"))
ONLY = {x.strip() for x in os.environ.get("POCKETCLOUD_CODEC_OPS", "").split(",") if x.strip()}
MODES = ("full", "minimal", "random")
MAX_LINES = 80  # failure lines shown per pair; the coverage JSON has them all

PAIRS = [(s, p) for s in SERVICES for p in index()["services"][s]["protocols"]]


def mode_for(sample: int) -> str:
    return MODES[sample] if sample < len(MODES) else "random"


class PairReport:
    def __init__(self, service, protocol):
        self.service = service
        self.protocol = protocol
        self.operations = 0
        self.counts = {d: Counter() for d in harness.DIRECTIONS}  # passed/failed/excused/stale
        self.failures = []  # (operation, direction, sample label, [diffs], excused reason|None)
        self.seconds = 0.0

    def record(self, operation, direction, label, diffs):
        excuse = excuse_for(self.service, operation, self.protocol, direction)
        counts = self.counts[direction]
        if not diffs:
            counts["stale" if excuse else "passed"] += 1
            return
        counts["excused" if excuse else "failed"] += 1
        self.failures.append((operation, direction, label, diffs, excuse.reason if excuse else None))

    @property
    def unexcused(self):
        return [f for f in self.failures if f[4] is None]

    def summary(self) -> dict:
        return {
            "service": self.service,
            "protocol": self.protocol,
            "operations": self.operations,
            "samples": SAMPLES,
            "seed": SEED,
            "seconds": round(self.seconds, 2),
            "counts": {d: dict(c) for d, c in self.counts.items()},
            "failures": [
                {"operation": op, "direction": d, "sample": label, "diffs": diffs, "excused": reason}
                for op, d, label, diffs, reason in self.failures
            ],
        }

    def render(self) -> str:
        bad = self.unexcused
        per_dir = Counter(d for _, d, _, _, _ in bad)
        lines = [
            f"{self.service} / {self.protocol}: {len({f[0] for f in bad})} of {self.operations} "
            f"operations fail ("
            + ", ".join(f"{d} {per_dir.get(d, 0)}" for d in harness.DIRECTIONS) + ")"
        ]
        # The most frequent first difference shapes point at one root cause each.
        causes = Counter(_cause(diffs[0]) for _, _, _, diffs, _ in bad)
        lines.append("most common causes:")
        for cause, n in causes.most_common(8):
            lines.append(f"  {n:4d}x {cause}")
        lines.append("failures (operation, direction [sample], first differences):")
        for op, d, label, diffs, _ in bad[:MAX_LINES]:
            lines.append(f"  {op} {d} [{label}]: " + " | ".join(diffs[:3]))
        if len(bad) > MAX_LINES:
            lines.append(f"  ... and {len(bad) - MAX_LINES} more (see the coverage JSON)")
        return "\n".join(lines)


def _cause(diff: str) -> str:
    """A difference without its member path and values: groups failures by kind."""
    text = diff
    if not diff.startswith(("parse raised", "serialize", "botocore", "HARNESS")) and ": " in diff:
        text = diff.split(": ", 1)[1]  # drop the member path
    text = re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "'…'", text)
    text = re.sub(r"\b\d[\d.:+eE-]*\b", "N", text)
    return text[:140]


def _check_samples(report, op, direction, make_value, check):
    for sample in range(SAMPLES):
        mode = mode_for(sample)
        label = f"sample {sample} {mode}"
        rng = random.Random(harness.seed_for(SEED, report.service, report.protocol, op.name,
                                             direction, sample))
        try:
            value = make_value(ValueGenerator(rng, report.protocol, direction), op, mode)
            diffs = check(op, report.protocol, value)
        except harness.HarnessError as exc:
            diffs = [f"HARNESS: botocore refused the generated value: {exc}"]
        except Exception as exc:  # a bug in the harness itself: still one operation's failure
            diffs = [f"HARNESS crashed: {harness.describe_exception(exc)}"]
        if diffs:
            report.record(op.name, direction, label, diffs)
            return
    report.record(op.name, direction, f"{SAMPLES} samples", [])


def _check_errors(report, op):
    def generator_for(shape_name):
        rng = random.Random(harness.seed_for(SEED, report.service, report.protocol, op.name,
                                             "error", shape_name))
        return ValueGenerator(rng, report.protocol, "output")

    try:
        cases = harness.error_cases(op.boto, generator_for)
    except Exception as exc:
        report.record(op.name, "error", "-", [f"HARNESS crashed: {harness.describe_exception(exc)}"])
        return
    for error, code, fields, shape in cases:
        try:
            diffs = harness.check_error(op, report.protocol, error, code, fields, shape)
        except Exception as exc:
            diffs = [f"HARNESS crashed: {harness.describe_exception(exc)}"]
        if diffs:
            report.record(op.name, "error", code, diffs)
            return
    report.record(op.name, "error", f"{len(cases)} errors", [])


def run_pair(service: str, protocol: str) -> PairReport:
    started = time.perf_counter()
    report = PairReport(service, protocol)
    for name in operation_names(service):
        if ONLY and name not in ONLY and f"{service}.{name}" not in ONLY:
            continue
        report.operations += 1
        try:
            op = operation_pair(service, name)  # botocore's model and ours
        except Exception as exc:
            for direction in harness.DIRECTIONS:
                report.record(name, direction, "-",
                              [f"our model has no operation {name}: {harness.describe_exception(exc)}"])
            continue
        # Values follow botocore's model, as a real client's (and AWS's) do.
        _check_samples(report, op, "input",
                       lambda g, o, m: g.operation_input(o.boto, m), harness.check_input)
        _check_samples(report, op, "output",
                       lambda g, o, m: g.operation_output(o.boto, m), harness.check_output)
        _check_errors(report, op)
    report.seconds = time.perf_counter() - started
    return report


def _write_pair_file(config, summary):
    """Each pair also lands in the cache dir by itself, so the data survives runs (e.g. the
    whole suite under xdist) where the summary hook in conftest.py is not loaded."""
    cache = getattr(config, "cache", None)
    if cache is None:
        return
    path = cache.mkdir("codec") / "pairs"
    path.mkdir(exist_ok=True)
    (path / f"{summary['service']}--{summary['protocol']}.json").write_text(json.dumps(summary, indent=1))


@pytest.mark.parametrize("service,protocol", PAIRS, ids=[f"{s}-{p}" for s, p in PAIRS])
def test_codec_conformance(service, protocol, record_property, request):
    report = run_pair(service, protocol)
    summary = report.summary()
    record_property("codec_coverage", summary)
    _write_pair_file(request.config, summary)
    if report.unexcused:
        pytest.fail(report.render(), pytrace=False)
