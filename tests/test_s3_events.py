"""Event notifications delivered to SQS, SNS and Lambda in S3's message format."""

import hashlib
import json

import pytest
from botocore.exceptions import ClientError
from conftest import aws_error, queue_arn


def _messages(sqs, url, wanted, rounds=20):
    got = []
    for _ in range(rounds):
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            got.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if len(got) >= wanted:
            break
    return got


def test_sqs_notifications_with_filters(server, unique):
    s3, sqs = server.client("s3"), server.client("sqs")
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    arn = queue_arn(sqs, url)
    s3.create_bucket(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={"QueueConfigurations": [
            {"QueueArn": arn + "-missing", "Events": ["s3:ObjectCreated:*"]}]})
    assert aws_error(exc) == ("InvalidArgument", 400)
    s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={"QueueConfigurations": [
        {"Id": "images", "QueueArn": arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"],
         "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "img/"}, {"Name": "suffix", "Value": ".jpg"}]}}}]})
    test_event = _messages(sqs, url, 1)
    assert test_event[0]["Event"] == "s3:TestEvent" and test_event[0]["Bucket"] == unique
    s3.put_object(Bucket=unique, Key="img/cat photo.jpg", Body=b"meow")
    s3.put_object(Bucket=unique, Key="img/notes.txt", Body=b"skip")
    s3.put_object(Bucket=unique, Key="doc/a.jpg", Body=b"skip")
    s3.delete_object(Bucket=unique, Key="img/cat photo.jpg")
    events = _messages(sqs, url, 2)
    records = [e["Records"][0] for e in events]
    assert [r["eventName"] for r in records] == ["ObjectCreated:Put", "ObjectRemoved:Delete"]
    created = records[0]
    assert created["eventSource"] == "aws:s3" and created["eventVersion"] == "2.1"
    assert created["awsRegion"] == "us-east-1" and created["s3"]["configurationId"] == "images"
    assert created["s3"]["bucket"]["name"] == unique and created["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{unique}"
    assert created["s3"]["object"]["key"] == "img/cat+photo.jpg" and created["s3"]["object"]["size"] == 4
    assert created["s3"]["object"]["eTag"] == hashlib.md5(b"meow").hexdigest()


def test_sns_notifications_reach_subscribers(server, unique):
    s3, sns, sqs = server.client("s3"), server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    sqs_arn = queue_arn(sqs, url)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sqs_arn, Attributes={"RawMessageDelivery": "true"})
    s3.create_bucket(Bucket=unique)
    s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={"TopicConfigurations": [
        {"TopicArn": topic, "Events": ["s3:ObjectCreated:Put"]}]})
    s3.put_object(Bucket=unique, Key="k", Body=b"x")
    bodies = _messages(sqs, url, 2)
    names = [b.get("Event") or b["Records"][0]["eventName"] for b in bodies]
    assert names == ["s3:TestEvent", "ObjectCreated:Put"]


def test_lambda_notifications(server, unique, tmp_path):
    from test_lambda import create
    from test_lambda_features import RECORDER, lines, wait_for

    s3, lam = server.client("s3"), server.client("lambda")
    out = tmp_path / "events"
    create(lam, unique, RECORDER, Environment={"Variables": {"OUT": str(out)}})
    arn = lam.get_function(FunctionName=unique)["Configuration"]["FunctionArn"]
    s3.create_bucket(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn + "-missing", "Events": ["s3:ObjectCreated:*"]}]})
    assert aws_error(exc) == ("InvalidArgument", 400)
    s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={"LambdaFunctionConfigurations": [
        {"Id": "thumbs", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".png"}]}}}]})
    s3.put_object(Bucket=unique, Key="skip.txt", Body=b"no")
    s3.put_object(Bucket=unique, Key="pic.png", Body=b"png!")
    event = wait_for(lambda: lines(out))[0]
    record = event["Records"][0]
    assert record["eventName"] == "ObjectCreated:Put" and record["s3"]["object"]["key"] == "pic.png"
    assert record["s3"]["configurationId"] == "thumbs" and record["s3"]["object"]["size"] == 4
    assert len(lines(out)) == 1
