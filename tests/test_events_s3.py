"""S3 -> EventBridge: a bucket with EventBridgeConfiguration puts AWS's "Object Created" and
"Object Deleted" events on the default bus, where a rule sends them to an SQS queue."""

from __future__ import annotations

import json

from test_events_delivery import ACCOUNT, queue, receive


def test_s3_events_reach_a_rule_on_the_default_bus(server, unique):
    s3, sqs, events = server.client("s3"), server.client("sqs"), server.client("events")
    s3.create_bucket(Bucket=unique)
    s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={"EventBridgeConfiguration": {}})
    url, arn = queue(sqs, unique)
    events.put_rule(Name=unique, EventPattern=json.dumps(
        {"source": ["aws.s3"], "detail-type": ["Object Created", "Object Deleted"],
         "detail": {"bucket": {"name": [unique]}}}))
    events.put_targets(Rule=unique, Targets=[{"Id": "q", "Arn": arn}])

    put = s3.put_object(Bucket=unique, Key="dir/a b.txt", Body=b"hello")
    [message] = receive(sqs, url)
    event = json.loads(message["Body"])
    assert (event["version"], event["source"], event["detail-type"], event["account"], event["region"]) == \
        ("0", "aws.s3", "Object Created", ACCOUNT, "us-east-1")
    assert event["resources"] == [f"arn:aws:s3:::{unique}"]
    assert event["time"].endswith("Z") and len(event["id"]) == 36
    detail = event["detail"]
    assert detail["version"] == "0" and detail["bucket"] == {"name": unique}
    obj = detail["object"]
    assert (obj["key"], obj["size"], obj["etag"]) == ("dir/a b.txt", 5, put["ETag"].strip('"'))
    assert len(obj["sequencer"]) == 16
    assert (detail["reason"], detail["requester"]) == ("PutObject", ACCOUNT)
    assert detail["request-id"] and detail["source-ip-address"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    s3.delete_object(Bucket=unique, Key="dir/a b.txt")
    [message] = receive(sqs, url)
    event = json.loads(message["Body"])
    assert event["detail-type"] == "Object Deleted"
    detail = event["detail"]
    assert detail["object"]["key"] == "dir/a b.txt" and "size" not in detail["object"]
    assert (detail["reason"], detail["deletion-type"]) == ("DeleteObject", "Permanently Deleted")


def test_versioned_delete_creates_a_delete_marker_event(server, unique):
    s3, sqs, events = server.client("s3"), server.client("sqs"), server.client("events")
    s3.create_bucket(Bucket=unique)
    s3.put_bucket_versioning(Bucket=unique, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={"EventBridgeConfiguration": {}})
    url, arn = queue(sqs, unique)
    events.put_rule(Name=unique, EventPattern=json.dumps({"source": ["aws.s3"], "resources": [f"arn:aws:s3:::{unique}"],
                                                          "detail": {"deletion-type": [{"exists": True}]}}))
    events.put_targets(Rule=unique, Targets=[{"Id": "q", "Arn": arn}])
    version = s3.put_object(Bucket=unique, Key="k", Body=b"x")["VersionId"]
    marker = s3.delete_object(Bucket=unique, Key="k")["VersionId"]
    [message] = receive(sqs, url)
    detail = json.loads(message["Body"])["detail"]
    assert detail["deletion-type"] == "Delete Marker Created" and detail["object"]["version-id"] == marker
    assert marker != version


def test_no_eventbridge_configuration_sends_nothing(server, unique):
    s3, sqs, events = server.client("s3"), server.client("sqs"), server.client("events")
    s3.create_bucket(Bucket=unique)
    url, arn = queue(sqs, unique)
    events.put_rule(Name=unique, EventPattern=json.dumps({"source": ["aws.s3"], "detail": {"bucket": {"name": [unique]}}}))
    events.put_targets(Rule=unique, Targets=[{"Id": "q", "Arn": arn}])
    s3.put_object(Bucket=unique, Key="k", Body=b"x")
    # the control: a bucket that has the configuration delivers, and after it nothing else arrived
    s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={"EventBridgeConfiguration": {}})
    s3.put_object(Bucket=unique, Key="second", Body=b"x")
    got = receive(sqs, url)
    assert [json.loads(m["Body"])["detail"]["object"]["key"] for m in got] == ["second"]
