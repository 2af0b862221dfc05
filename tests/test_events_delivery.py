"""EventBridge PutEvents and targets: AWS's per-entry and request errors, events delivered to SQS
(FIFO too), SNS, Lambda, CloudWatch Logs and other buses, input transformation, and dead-letter
queues for deliveries that fail."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from test_lambda import create
from test_lambda_features import RECORDER, lines, wait_for
from conftest import aws_error

ACCOUNT = "000000000000"


@pytest.fixture
def events(server):
    return server.client("events")


@pytest.fixture
def sqs(server):
    return server.client("sqs")


def queue(sqs, name: str, **attributes) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


def receive(sqs, url: str, count: int = 1, **extra) -> list[dict]:
    got: list[dict] = []
    for _ in range(10):
        got += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, **extra).get("Messages", [])
        if len(got) >= count:
            break
    return got


def nothing_in(sqs, url: str) -> bool:
    """PutEvents delivers before it answers: what is not in the queue now never will be."""
    return "Messages" not in sqs.receive_message(QueueUrl=url)


def entry(source="my.app", detail=None, **extra) -> dict:
    return {"Source": source, "DetailType": "Thing Happened", "Detail": json.dumps(detail or {"n": 1}), **extra}


# -- PutEvents -------------------------------------------------------------------------------------
def test_put_events_matches_rules_and_delivers_aws_event_format(events, sqs, unique):
    url, arn = queue(sqs, unique)
    events.put_rule(Name=unique, EventPattern=json.dumps({"source": [unique], "detail": {"n": [{"numeric": [">", 1]}]}}))
    events.put_targets(Rule=unique, Targets=[{"Id": "q", "Arn": arn}])
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    out = events.put_events(Entries=[entry(unique, {"n": 1}), entry(unique, {"n": 2}, Resources=["arn:x"], Time=when)])
    assert out["FailedEntryCount"] == 0
    ignored, delivered = (e["EventId"] for e in out["Entries"])
    [message] = receive(sqs, url)
    event = json.loads(message["Body"])
    assert event == {"version": "0", "id": delivered, "detail-type": "Thing Happened", "source": unique,
                     "account": ACCOUNT, "time": "2026-01-02T03:04:05Z", "region": "us-east-1",
                     "resources": ["arn:x"], "detail": {"n": 2}}
    assert ignored != delivered
    assert nothing_in(sqs, url)  # the event with n=1 matched no rule


def test_put_events_entry_errors(events, unique):
    out = events.put_events(Entries=[
        {"DetailType": "t", "Detail": "{}"},
        {"Source": "s", "Detail": "{}"},
        {"Source": "s", "DetailType": "t"},
        {"Source": "s", "DetailType": "t", "Detail": "not json"},
        {"Source": "s", "DetailType": "t", "Detail": "[1]"},
        {"Source": "aws.s3", "DetailType": "t", "Detail": "{}"},
        {"Source": "s", "DetailType": "t", "Detail": "{}", "EventBusName": f"{unique}-none"},
        {"Source": "s", "DetailType": "t", "Detail": "{}"},
    ])
    assert out["FailedEntryCount"] == 7
    codes = [e.get("ErrorCode") for e in out["Entries"]]
    assert codes == ["InvalidArgument", "InvalidArgument", "InvalidArgument", "MalformedDetail", "MalformedDetail",
                     "NotAuthorizedForSourceException", "ResourceNotFoundException", None]
    assert out["Entries"][0]["ErrorMessage"] == "Parameter Source is not valid. Reason: Source is a required argument."
    assert "EventId" in out["Entries"][7]


def test_put_events_request_limits(events):
    with pytest.raises(ClientError) as exc:
        events.put_events(Entries=[entry() for _ in range(11)])
    assert aws_error(exc) == ("ValidationException", 400)
    big = json.dumps({"x": "a" * (520 * 1024)})
    with pytest.raises(ClientError) as exc:
        events.put_events(Entries=[entry(), {**entry(), "Detail": big}, {**entry(), "Detail": big}])
    assert aws_error(exc) == ("ValidationException", 400)
    assert exc.value.response["Error"]["Message"] == "Total size of the entries in the request is over the limit."
    assert events.put_events(Entries=[{**entry(), "Detail": big}])["FailedEntryCount"] == 0


def test_disabled_rule_delivers_nothing(events, sqs, unique):
    url, arn = queue(sqs, unique)
    events.put_rule(Name=unique, EventPattern=json.dumps({"source": [unique]}), State="DISABLED")
    events.put_targets(Rule=unique, Targets=[{"Id": "q", "Arn": arn}])
    events.put_events(Entries=[entry(unique)])
    assert nothing_in(sqs, url)
    events.enable_rule(Name=unique)
    events.put_events(Entries=[entry(unique)])
    assert len(receive(sqs, url)) == 1


# -- targets ---------------------------------------------------------------------------------------
def test_put_targets_failed_entries_and_limits(events, sqs, unique):
    events.put_rule(Name=unique, EventPattern=json.dumps({"source": [unique]}))
    _, arn = queue(sqs, unique)
    out = events.put_targets(Rule=unique, Targets=[
        {"Id": "good", "Arn": arn}, {"Id": "bad", "Arn": "not-an-arn"},
        {"Id": "odd", "Arn": "arn:aws:ec2:us-east-1:000000000000:instance/i-1"}])
    assert out["FailedEntryCount"] == 2
    assert [(f["TargetId"], f["ErrorCode"]) for f in out["FailedEntries"]] == [("bad", "ValidationException"),
                                                                               ("odd", "ValidationException")]
    assert [t["Id"] for t in events.list_targets_by_rule(Rule=unique)["Targets"]] == ["good"]
    with pytest.raises(ClientError) as exc:
        events.put_targets(Rule=unique, Targets=[{"Id": f"t{i}", "Arn": arn} for i in range(5)])
    assert aws_error(exc) == ("LimitExceededException", 400)
    with pytest.raises(ClientError) as exc:
        events.put_targets(Rule=f"{unique}-none", Targets=[{"Id": "x", "Arn": arn}])
    assert aws_error(exc) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        events.put_targets(Rule=unique, Targets=[{"Id": "bad id!", "Arn": arn}])
    assert aws_error(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        events.put_targets(Rule=unique, Targets=[{"Id": "x", "Arn": arn, "Input": "{}", "InputPath": "$.detail"}])
    assert aws_error(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        events.put_targets(Rule=unique, Targets=[{"Id": "x", "Arn": arn, "Input": "not json"}])
    assert aws_error(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        events.put_targets(Rule=unique, Targets=[{"Id": "x", "Arn": arn + ".fifo"}])  # FIFO needs a group
    assert aws_error(exc) == ("ValidationException", 400)
    events.remove_targets(Rule=unique, Ids=["good"])
    assert events.list_targets_by_rule(Rule=unique)["Targets"] == []


def test_input_path_and_transformer(events, sqs, unique):
    urls = {}
    targets = []
    for name, extra in (("const", {"Input": '{"fixed": true}'}), ("path", {"InputPath": "$.detail.order"}),
                        ("json", {"InputTransformer": {
                            "InputPathsMap": {"id": "$.detail.order.id", "tags": "$.detail.tags", "src": "$.source",
                                              "first": "$.detail.tags[0]"},
                            "InputTemplate": '{"order": <id>, "label": "order <id> from <src>", "tags": <tags>, '
                                             '"first": "<first>", "rule": "<aws.events.rule-name>"}'}}),
                        ("text", {"InputTransformer": {"InputPathsMap": {"src": "$.source"},
                                                       "InputTemplate": "\"from <src>\""}})):
        urls[name], arn = queue(sqs, f"{unique}-{name}")
        targets.append({"Id": name, "Arn": arn, **extra})
    events.put_rule(Name=unique, EventPattern=json.dumps({"source": [unique]}))
    events.put_targets(Rule=unique, Targets=targets)
    events.put_events(Entries=[entry(unique, {"order": {"id": 7, "total": 9.5}, "tags": ["a", "b"]})])
    bodies = {name: receive(sqs, url)[0]["Body"] for name, url in urls.items()}
    assert json.loads(bodies["const"]) == {"fixed": True}
    assert json.loads(bodies["path"]) == {"id": 7, "total": 9.5}
    assert json.loads(bodies["json"]) == {"order": 7, "label": f"order 7 from {unique}", "tags": ["a", "b"],
                                          "first": "a", "rule": unique}
    assert json.loads(bodies["text"]) == f"from {unique}"


def test_fifo_queue_target_uses_the_message_group(events, sqs, unique):
    url, arn = queue(sqs, f"{unique}.fifo", FifoQueue="true")
    events.put_rule(Name=unique, EventPattern=json.dumps({"source": [unique]}))
    events.put_targets(Rule=unique, Targets=[{"Id": "f", "Arn": arn, "SqsParameters": {"MessageGroupId": "g1"}}])
    ids = [e["EventId"] for e in events.put_events(Entries=[entry(unique, {"n": i}) for i in range(3)])["Entries"]]
    got = receive(sqs, url, 3, AttributeNames=["MessageGroupId"])
    assert [json.loads(m["Body"])["id"] for m in got] == ids
    assert {m["Attributes"]["MessageGroupId"] for m in got} == {"g1"}


def test_sns_target(server, events, sqs, unique):
    sns = server.client("sns")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    url, arn = queue(sqs, unique)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    events.put_rule(Name=unique, EventPattern=json.dumps({"source": [unique]}))
    events.put_targets(Rule=unique, Targets=[{"Id": "t", "Arn": topic}])
    [event_id] = [e["EventId"] for e in events.put_events(Entries=[entry(unique)])["Entries"]]
    assert json.loads(receive(sqs, url)[0]["Body"])["id"] == event_id


def test_lambda_target(server, events, unique, tmp_path):
    lam = server.client("lambda")
    out = tmp_path / "events"
    function = create(lam, unique, RECORDER, Environment={"Variables": {"OUT": str(out)}})["FunctionArn"]
    events.put_rule(Name=unique, EventPattern=json.dumps({"source": [unique]}))
    events.put_targets(Rule=unique, Targets=[{"Id": "fn", "Arn": function}])
    [event_id] = [e["EventId"] for e in events.put_events(Entries=[entry(unique, {"k": "v"})])["Entries"]]
    [event] = wait_for(lambda: lines(out))
    assert (event["id"], event["source"], event["detail"]) == (event_id, unique, {"k": "v"})


def test_log_group_target(server, events, unique):
    logs = server.client("logs")
    group = f"/aws/events/{unique}"
    logs.create_log_group(logGroupName=group)
    events.put_rule(Name=unique, EventPattern=json.dumps({"source": [unique]}))
    events.put_targets(Rule=unique, Targets=[{"Id": "lg", "Arn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}:*"}])
    [event_id] = [e["EventId"] for e in events.put_events(Entries=[entry(unique)])["Entries"]]
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"] for s in streams] == [event_id]
    [logged] = logs.get_log_events(logGroupName=group, logStreamName=event_id)["events"]
    assert json.loads(logged["message"])["id"] == event_id


def test_event_bus_target_and_custom_bus(events, sqs, unique):
    bus_arn = events.create_event_bus(Name=unique)["EventBusArn"]
    url, arn = queue(sqs, unique)
    events.put_rule(Name="on-custom", EventBusName=unique, EventPattern=json.dumps({"source": [unique]}))
    events.put_targets(Rule="on-custom", EventBusName=unique, Targets=[{"Id": "q", "Arn": arn}])
    events.put_rule(Name=unique, EventPattern=json.dumps({"source": [unique]}))
    events.put_targets(Rule=unique, Targets=[{"Id": "bus", "Arn": bus_arn}])
    # straight onto the custom bus (by name and by ARN), and through the default bus
    out = events.put_events(Entries=[entry(unique, {"via": "name"}, EventBusName=unique),
                                     entry(unique, {"via": "arn"}, EventBusName=bus_arn),
                                     entry(unique, {"via": "default"})])
    assert out["FailedEntryCount"] == 0
    got = receive(sqs, url, 3)
    assert sorted(json.loads(m["Body"])["detail"]["via"] for m in got) == ["arn", "default", "name"]


def test_failed_delivery_goes_to_the_dead_letter_queue(events, sqs, unique):
    dlq_url, dlq_arn = queue(sqs, f"{unique}-dlq")
    events.put_rule(Name=unique, EventPattern=json.dumps({"source": [unique]}))
    rule_arn = events.describe_rule(Name=unique)["Arn"]
    missing = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{unique}-missing"
    events.put_targets(Rule=unique, Targets=[{"Id": "gone", "Arn": missing, "DeadLetterConfig": {"Arn": dlq_arn},
                                              "RetryPolicy": {"MaximumRetryAttempts": 3}}])
    assert events.list_targets_by_rule(Rule=unique)["Targets"][0]["RetryPolicy"] == {"MaximumRetryAttempts": 3}
    [event_id] = [e["EventId"] for e in events.put_events(Entries=[entry(unique)])["Entries"]]
    [message] = receive(sqs, dlq_url, MessageAttributeNames=["All"])
    assert json.loads(message["Body"])["id"] == event_id
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["RULE_ARN"] == rule_arn and attributes["TARGET_ARN"] == missing
    assert attributes["ERROR_CODE"] == "QueueDoesNotExist"  # the code the target service answered
