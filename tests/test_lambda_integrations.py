"""Lambda with the other services: code from S3, SQS event source mappings, SNS subscriptions,
S3 notifications, SQS dead-letter queues and destinations."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import queue_arn
from test_lambda import ROLE, call, create, zipped
from test_lambda_features import RECORDER, lines, wait_for


@pytest.fixture
def lam(server):
    return server.client("lambda")


def test_code_from_s3(server, lam, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="v1.zip", Body=zipped({"app.py": "def handler(e, c):\n    return 's3-v1'\n"}))
    s3.put_object(Bucket=unique, Key="v2.zip", Body=zipped({"app.py": "def handler(e, c):\n    return 's3-v2'\n"}))
    lam.create_function(FunctionName=unique, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                        Code={"S3Bucket": unique, "S3Key": "v1.zip"})
    assert call(lam, unique)[1] == "s3-v1"
    lam.update_function_code(FunctionName=unique, S3Bucket=unique, S3Key="v2.zip")
    assert call(lam, unique)[1] == "s3-v2"
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName=unique + "x", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                            Code={"S3Bucket": unique, "S3Key": "missing.zip"})
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "NoSuchKey" in exc.value.response["Error"]["Message"]


PARTIAL = """
import json, os
def handler(event, context):
    failures = []
    with open(os.environ["OUT"], "a") as f:
        for record in event["Records"]:
            f.write(json.dumps(record) + "\\n")
            if record["body"] == "fail":
                failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""


def test_sqs_event_source_mapping_partial_batch_and_redrive(server, lam, unique, tmp_path):
    sqs = server.client("sqs")
    dlq_url = sqs.create_queue(QueueName=unique + "-dlq")["QueueUrl"]
    dlq_arn = queue_arn(sqs, dlq_url)
    url = sqs.create_queue(QueueName=unique, Attributes={
        "VisibilityTimeout": "30",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})})["QueueUrl"]
    arn = queue_arn(sqs, url)
    out = tmp_path / "records"
    create(lam, unique, PARTIAL, Environment={"Variables": {"OUT": str(out)}})
    for body in ("ok1", "ok2", "fail"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=unique, BatchSize=10,
                                              MaximumBatchingWindowInSeconds=1,
                                              FunctionResponseTypes=["ReportBatchItemFailures"])
    assert mapping["State"] == "Creating" and mapping["BatchSize"] == 10
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Enabled"

    first = wait_for(lambda: lines(out) if len(lines(out)) >= 3 else None)
    assert sorted(r["body"] for r in first) == ["fail", "ok1", "ok2"]
    record = first[0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == arn
    assert record["awsRegion"] == "us-east-1" and record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["receiptHandle"] and record["md5OfBody"]

    server.admin("/_pocketcloud/clock", {"advance": "31s"})  # the failed one becomes visible again
    retried = wait_for(lambda: lines(out)[3:] or None)
    assert [r["body"] for r in retried] == ["fail"] and retried[0]["attributes"]["ApproximateReceiveCount"] == "2"
    server.admin("/_pocketcloud/clock", {"advance": "31s"})  # past maxReceiveCount: SQS moves it to the DLQ
    moved = wait_for(lambda: sqs.receive_message(QueueUrl=dlq_url).get("Messages"))
    assert moved[0]["Body"] == "fail"
    assert sorted(r["body"] for r in lines(out)) == ["fail", "fail", "ok1", "ok2"]  # ok1/ok2 were deleted

    lam.delete_event_source_mapping(UUID=mapping["UUID"])
    with pytest.raises(ClientError) as exc:
        lam.get_event_source_mapping(UUID=mapping["UUID"])
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=unique, BatchSize=50)
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_sns_subscription_invokes_the_function(server, lam, unique, tmp_path):
    out = tmp_path / "events"
    function_arn = create(lam, unique, RECORDER, Environment={"Variables": {"OUT": str(out)}})["FunctionArn"]
    sns = server.client("sns")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function_arn)
    sns.publish(TopicArn=topic, Message="hello from sns", Subject="greeting")
    event = wait_for(lambda: lines(out))[0]
    record = event["Records"][0]
    assert record["EventSource"] == "aws:sns" and record["Sns"]["Message"] == "hello from sns"
    assert record["Sns"]["TopicArn"] == topic


def test_s3_notification_invokes_the_function(server, lam, unique, tmp_path):
    out = tmp_path / "events"
    function_arn = create(lam, unique, RECORDER, Environment={"Variables": {"OUT": str(out)}})["FunctionArn"]
    lam.add_permission(FunctionName=unique, StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{unique}")
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_object(Bucket=unique, Key="photo.jpg", Body=b"data")
    record = wait_for(lambda: [r for e in lines(out) for r in e.get("Records", []) if "s3" in r])
    assert record[0]["eventSource"] == "aws:s3" and record[0]["s3"]["object"]["key"] == "photo.jpg"
    assert record[0]["eventName"].startswith("ObjectCreated:")


def test_async_failure_to_dead_letter_queue_and_sqs_destination(server, lam, unique, tmp_path):
    sqs = server.client("sqs")
    dlq_url = sqs.create_queue(QueueName=unique + "-dlq")["QueueUrl"]
    dlq_arn = queue_arn(sqs, dlq_url)
    dest_url = sqs.create_queue(QueueName=unique + "-dest")["QueueUrl"]
    dest_arn = queue_arn(sqs, dest_url)
    create(lam, unique, RECORDER, Environment={"Variables": {"OUT": str(tmp_path / "x"), "FAIL": "1"}},
           DeadLetterConfig={"TargetArn": dlq_arn})
    lam.put_function_event_invoke_config(FunctionName=unique, MaximumRetryAttempts=0,
                                         DestinationConfig={"OnFailure": {"Destination": dest_arn}})
    lam.invoke(FunctionName=unique, InvocationType="Event", Payload=b'{"doomed": true}')
    dead = wait_for(lambda: sqs.receive_message(QueueUrl=dlq_url, MessageAttributeNames=["All"]).get("Messages"))
    assert json.loads(dead[0]["Body"]) == {"doomed": True}
    assert dead[0]["MessageAttributes"]["ErrorMessage"]["StringValue"] == "failing on purpose"
    assert dead[0]["MessageAttributes"]["RequestID"]["StringValue"]
    record = json.loads(wait_for(lambda: sqs.receive_message(QueueUrl=dest_url).get("Messages"))[0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"] == {"doomed": True}


def test_sqs_event_source_mapping_filter_criteria(server, lam, unique, tmp_path):
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    arn = queue_arn(sqs, url)
    out = tmp_path / "records"
    create(lam, unique, PARTIAL, Environment={"Variables": {"OUT": str(out)}})
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=unique,
                                        FilterCriteria={"Filters": [{"Pattern": "not json"}]})
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"
    for body in ('{"kind": "noise"}', '{"kind": "order", "total": 12}', "plain text"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=unique, BatchSize=10,
                                    MaximumBatchingWindowInSeconds=1, FilterCriteria={"Filters": [
                                        {"Pattern": json.dumps({"body": {"kind": ["order"], "total": [{"numeric": [">", 10]}]}})}]})
    delivered = wait_for(lambda: lines(out))
    assert [json.loads(r["body"]) for r in delivered] == [{"kind": "order", "total": 12}]

    def drained():
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        return attributes["ApproximateNumberOfMessages"] == "0" and attributes["ApproximateNumberOfMessagesNotVisible"] == "0"

    wait_for(drained)  # filtered-out messages are deleted too, as AWS does


def test_sqs_pollers_resume_after_a_restart(tmp_path, unique):
    from conftest import Server

    out = tmp_path / "records"
    first = Server(data_dir=tmp_path / "data").start()
    try:
        sqs, lam = first.client("sqs"), first.client("lambda")
        url = sqs.create_queue(QueueName=unique)["QueueUrl"]
        arn = queue_arn(sqs, url)
        create(lam, unique, PARTIAL, Environment={"Variables": {"OUT": str(out)}})
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=unique, BatchSize=1)
    finally:
        first.kill()
    second = Server(data_dir=tmp_path / "data").start()
    try:
        second.client("sqs").send_message(QueueUrl=url, MessageBody="after restart")
        assert [r["body"] for r in wait_for(lambda: lines(out))] == ["after restart"]
    finally:
        second.stop()
