"""Subscription filters deliver to a real Lambda function, with AWS's awslogs payload."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from test_lambda import create
from test_logs import virtual_now_ms

RECEIVER = """
import base64, gzip, json

def handler(event, context):
    data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    print("RECEIVED " + json.dumps(data))
"""


def received(logs, function: str, wanted: int) -> list[dict]:
    """The DATA_MESSAGEs the receiver function printed (delivery is asynchronous: wait for them)."""
    deadline = time.time() + 30
    found: list[dict] = []
    while time.time() < deadline:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}", filterPattern='"RECEIVED"')
        except logs.exceptions.ResourceNotFoundException:
            events = {"events": []}
        found = [json.loads(e["message"].split("RECEIVED ", 1)[1]) for e in events["events"]]
        if len(found) >= wanted:
            break
        time.sleep(0.1)
    return found


def test_subscription_filter_invokes_lambda_with_awslogs_payload(server, unique):
    lam, logs = server.client("lambda"), server.client("logs")
    function_arn = create(lam, unique, RECEIVER)["FunctionArn"]
    group = f"/app/{unique}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="web-1")
    logs.put_subscription_filter(logGroupName=group, filterName="errors", filterPattern="ERROR",
                                 destinationArn=function_arn)
    now = virtual_now_ms(server)
    logs.put_log_events(logGroupName=group, logStreamName="web-1",
                        logEvents=[{"timestamp": now, "message": "ERROR one"},
                                   {"timestamp": now + 1, "message": "INFO skipped"},
                                   {"timestamp": now + 2, "message": "ERROR two"}])
    messages = received(logs, unique, 1)
    assert len(messages) == 1
    data = messages[0]
    assert {k: data[k] for k in ("messageType", "owner", "logGroup", "logStream", "subscriptionFilters")} == {
        "messageType": "DATA_MESSAGE", "owner": "000000000000", "logGroup": group, "logStream": "web-1",
        "subscriptionFilters": ["errors"]}
    assert [(e["timestamp"], e["message"]) for e in data["logEvents"]] == [(now, "ERROR one"), (now + 2, "ERROR two")]
    assert all(len(e["id"]) == 56 and e["id"].isdigit() for e in data["logEvents"])


def test_subscription_to_a_missing_function_is_refused(server, unique):
    logs = server.client("logs")
    logs.create_log_group(logGroupName=unique)
    with pytest.raises(ClientError) as exc:
        logs.put_subscription_filter(logGroupName=unique, filterName="f", filterPattern="",
                                     destinationArn=f"arn:aws:lambda:us-east-1:000000000000:function:{unique}-none")
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
