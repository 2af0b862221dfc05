"""CloudWatch Logs request rates, each against STS GetCallerIdentity (the cheapest call through
the same stack) on the same server in the same run: wrk replays boto3-signed requests.

Workloads:
  PutLogEvents 10     a batch of 10 events of ~100 bytes into one stream (the same batch again
                      and again: AWS accepts repeated events)
  GetLogEvents        the latest events of a stream holding 10,000
  FilterLogEvents     a JSON filter pattern over a group of 10,000 events in 10 streams, limit 50
  sts GetCallerIdentity   the reference
"""

from __future__ import annotations

import json
import time

from bench import awsreq, rates

CONNECTIONS = 4   # few: a slow scan must not leave a queue behind that the next run would measure


def _setup(port: int) -> None:
    logs = awsreq.client("logs", port)
    logs.create_log_group(logGroupName="bench")
    now = int(time.time() * 1000)
    for s in range(10):
        logs.create_log_stream(logGroupName="bench", logStreamName=f"s{s}")
        for batch in range(10):
            logs.put_log_events(logGroupName="bench", logStreamName=f"s{s}", logEvents=[
                {"timestamp": now - 60_000 + i, "message": json.dumps({"level": "ERROR" if i % 10 == 0 else "INFO",
                                                                      "latency": i, "batch": batch})}
                for i in range(100)])
    logs.create_log_stream(logGroupName="bench", logStreamName="put")
    logs.create_log_stream(logGroupName="bench", logStreamName="big")
    for batch in range(10):
        logs.put_log_events(logGroupName="bench", logStreamName="big", logEvents=[
            {"timestamp": now - 60_000 + i, "message": f"line {batch}-{i} " + "x" * 80} for i in range(1000)])


def _calls() -> dict:
    now = int(time.time() * 1000)
    return {
        "PutLogEvents 10": ("logs", "put_log_events", {
            "logGroupName": "bench", "logStreamName": "put",
            "logEvents": [{"timestamp": now, "message": "y" * 100} for _ in range(10)]}),
        "GetLogEvents": ("logs", "get_log_events", {"logGroupName": "bench", "logStreamName": "big", "limit": 100}),
        "FilterLogEvents": ("logs", "filter_log_events",
                            {"logGroupName": "bench", "filterPattern": '{ $.level = "ERROR" && $.latency > 50 }',
                             "logStreamNamePrefix": "s", "limit": 50}),
    }


def run(rounds: int = 3, duration: float = 2.0) -> dict:
    return rates.run_part("CloudWatch Logs", _setup, _calls, rounds, duration, CONNECTIONS)
