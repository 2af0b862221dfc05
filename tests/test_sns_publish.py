"""Publish and PublishBatch: AWS's limits and errors (size, subject, structure, attributes,
batch rules) and the per-entry results of a batch."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from conftest import aws_error, queue_arn


@pytest.fixture
def topic(server, unique):
    return server.client("sns").create_topic(Name=unique)["TopicArn"]


def test_message_size_limit(server, topic):
    sns = server.client("sns")
    assert sns.publish(TopicArn=topic, Message="x" * (256 * 1024))["MessageId"]
    with pytest.raises(ClientError) as exc:
        sns.publish(TopicArn=topic, Message="x" * (256 * 1024 + 1))
    assert aws_error(exc) == ("InvalidParameter", 400)
    with pytest.raises(ClientError) as exc:  # attributes count towards the limit
        sns.publish(TopicArn=topic, Message="x" * (256 * 1024 - 10),
                    MessageAttributes={"attr": {"DataType": "String", "StringValue": "y" * 20}})
    assert aws_error(exc) == ("InvalidParameter", 400)


@pytest.mark.parametrize("params", [
    {"Message": ""},
    {"Message": "x", "Subject": "line\nbreak"},
    {"Message": "x", "Subject": "s" * 101},
    {"Message": "x", "Subject": ""},
    {"Message": "not json", "MessageStructure": "json"},
    {"Message": json.dumps({"sqs": "no default"}), "MessageStructure": "json"},
    {"Message": "x", "MessageStructure": "xml"},
])
def test_invalid_publish_parameters(server, topic, params):
    with pytest.raises(ClientError) as exc:
        server.client("sns").publish(TopicArn=topic, **params)
    assert aws_error(exc) == ("InvalidParameter", 400)


@pytest.mark.parametrize("attributes", [
    {"a": {"DataType": "Integer", "StringValue": "1"}},
    {"a": {"DataType": "String", "StringValue": ""}},
    {"a": {"DataType": "Number", "StringValue": "twelve"}},
    {"a": {"DataType": "Binary", "BinaryValue": b""}},
    {"a": {"DataType": "String.Array", "StringValue": "not an array"}},
    {"a": {"DataType": "String.Array", "StringValue": json.dumps([{"nested": 1}])}},
    {"AWS.reserved": {"DataType": "String", "StringValue": "v"}},
    {"bad name!": {"DataType": "String", "StringValue": "v"}},
])
def test_invalid_message_attributes(server, topic, attributes):
    with pytest.raises(ClientError) as exc:
        server.client("sns").publish(TopicArn=topic, Message="x", MessageAttributes=attributes)
    assert aws_error(exc) == ("ParameterValueInvalid", 400)


def test_custom_attribute_types_are_accepted(server, topic):
    sns = server.client("sns")
    assert sns.publish(TopicArn=topic, Message="x", MessageAttributes={
        "a": {"DataType": "String.custom", "StringValue": "v"},
        "b": {"DataType": "Number.float", "StringValue": "-1.5e3"},
        "c": {"DataType": "String.Array", "StringValue": json.dumps(["x", 1, True, None])},
    })["MessageId"]


def test_sms_and_push_settings_are_not_reserved_names(server, topic):
    assert server.client("sns").publish(PhoneNumber="+15550002222", Message="code 1", MessageAttributes={
        "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "Pocket"},
        "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
        "AWS.MM.SMS.OriginationNumber": {"DataType": "String", "StringValue": "+15550000000"},
    })["MessageId"]
    sent = server.admin("/_pocketcloud/sns/outbox?endpoint=%2B15550002222")["messages"][-1]
    assert sent["MessageAttributes"]["AWS.SNS.SMS.SenderID"] == "Pocket"


def test_publish_targets(server, topic):
    sns = server.client("sns")
    with pytest.raises(ClientError) as exc:
        sns.publish(Message="nowhere")
    assert aws_error(exc) == ("InvalidParameter", 400)
    with pytest.raises(ClientError) as exc:
        sns.publish(TopicArn=topic, PhoneNumber="+15550001111", Message="two targets")
    assert aws_error(exc) == ("InvalidParameter", 400)
    with pytest.raises(ClientError) as exc:
        sns.publish(TopicArn=topic + "-missing", Message="x")
    assert aws_error(exc) == ("NotFound", 404)
    with pytest.raises(ClientError) as exc:
        sns.publish(TopicArn="not-an-arn", Message="x")
    assert aws_error(exc) == ("InvalidParameter", 400)
    assert sns.publish(TargetArn=topic, Message="TargetArn may name a topic")["MessageId"]


def test_publish_batch(server, unique, topic):
    sns, sqs = server.client("sns"), server.client("sqs")
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    arn = queue_arn(sqs, url)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    result = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "ok-1", "Message": "one"},
        {"Id": "bad", "Message": "two", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "x"}}},
        {"Id": "ok_2", "Message": "three", "Subject": "s"},
    ])
    assert [s["Id"] for s in result["Successful"]] == ["ok-1", "ok_2"]
    assert all(s["MessageId"] for s in result["Successful"])
    assert result["Failed"] == [{"Id": "bad", "Code": "ParameterValueInvalid", "SenderFault": True,
                                 "Message": "Could not cast message attribute 'n' value to number."}]
    bodies = sorted(m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"])
    assert bodies == ["one", "three"]


@pytest.mark.parametrize("entries,code", [
    ([], "EmptyBatchRequest"),
    ([{"Id": str(i), "Message": "m"} for i in range(11)], "TooManyEntriesInBatchRequest"),
    ([{"Id": "a", "Message": "m"}, {"Id": "a", "Message": "n"}], "BatchEntryIdsNotDistinct"),
    ([{"Id": "bad id!", "Message": "m"}], "InvalidBatchEntryId"),
    ([{"Id": "a", "Message": "x" * 200_000}, {"Id": "b", "Message": "x" * 100_000}], "BatchRequestTooLong"),
])
def test_publish_batch_request_errors(server, topic, entries, code):
    with pytest.raises(ClientError) as exc:
        server.client("sns").publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
    assert aws_error(exc) == (code, 400)


def test_publish_batch_fifo(server, unique):
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name=unique + ".fifo", Attributes={"FifoTopic": "true",
                                                               "ContentBasedDeduplication": "true"})["TopicArn"]
    url = sqs.create_queue(QueueName=unique + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    arn = queue_arn(sqs, url)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    result = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": f"e{i}", "Message": f"m{i}", "MessageGroupId": "g"} for i in range(3)
    ] + [{"Id": "nogroup", "Message": "m"}])
    assert [s["Id"] for s in result["Successful"]] == ["e0", "e1", "e2"]
    assert all(s["SequenceNumber"] for s in result["Successful"])
    assert [(f["Id"], f["Code"]) for f in result["Failed"]] == [("nogroup", "InvalidParameter")]
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    assert bodies == ["m0", "m1", "m2"]


def test_aws_cli_smoke(server, unique):
    import os
    import subprocess
    import sys

    aws_cli = [sys.executable, "-m", "awscli"]  # the test extra's AWS CLI, wherever its script is
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1"}
    out = subprocess.run([*aws_cli, "--endpoint-url", server.endpoint, "sns", "create-topic", "--name", unique],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    arn = json.loads(out.stdout)["TopicArn"]
    out = subprocess.run([*aws_cli, "--endpoint-url", server.endpoint, "sns", "publish", "--topic-arn", arn,
                          "--message", "from the cli"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0 and json.loads(out.stdout)["MessageId"]
