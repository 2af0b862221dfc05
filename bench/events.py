"""EventBridge request rates, each against STS GetCallerIdentity on the same server in the same
run: wrk replays boto3-signed requests.

Workloads (the default bus holds 20 rules with content patterns; one of them matches the
"order" events and targets an SQS queue):
  PutEvents 1, no match       one event that no rule matches (20 patterns evaluated)
  PutEvents 10 -> SQS         ten events, each matched by one rule and sent to its queue (persisted)
  TestEventPattern            a pattern with prefix, numeric, anything-but and nested keys
  sts GetCallerIdentity       the reference
"""

from __future__ import annotations

import json

from bench import awsreq, rates

CONNECTIONS = 4

PATTERN = {"source": [{"prefix": "shop."}], "detail-type": ["Order Placed"],
           "detail": {"total": [{"numeric": [">", 10, "<=", 1000]}], "state": [{"anything-but": ["test", "void"]}],
                      "customer": {"tier": ["gold", "silver"]}}}
DETAIL = {"total": 42.5, "state": "new", "customer": {"tier": "gold", "id": "c-1"}, "items": [{"sku": "a", "n": 2}]}


def _setup(port: int) -> None:
    events, sqs = awsreq.client("events", port), awsreq.client("sqs", port)
    sqs.create_queue(QueueName="bench-orders")
    for i in range(19):
        events.put_rule(Name=f"other-{i}", EventPattern=json.dumps({"source": [f"svc.{i}"],
                                                                    "detail": {"kind": [{"prefix": f"k{i}"}]}}))
    events.put_rule(Name="orders", EventPattern=json.dumps(PATTERN))
    events.put_targets(Rule="orders", Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:bench-orders"}])


def _calls() -> dict:
    order = {"Source": "shop.web", "DetailType": "Order Placed", "Detail": json.dumps(DETAIL)}
    event = {"version": "0", "id": "1", "detail-type": "Order Placed", "source": "shop.web",
             "account": "000000000000", "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
             "resources": [], "detail": DETAIL}
    return {
        "PutEvents 1, no match": ("events", "put_events", {"Entries": [{**order, "Source": "nobody"}]}),
        "PutEvents 10 -> SQS": ("events", "put_events", {"Entries": [order] * 10}),
        "TestEventPattern": ("events", "test_event_pattern", {"EventPattern": json.dumps(PATTERN),
                                                              "Event": json.dumps(event)}),
    }


def run(rounds: int = 3, duration: float = 2.0) -> dict:
    return rates.run_part("EventBridge", _setup, _calls, rounds, duration, CONNECTIONS)
