"""Other services publishing to SNS in-process: S3 event notifications reach a topic and, through
it, an SQS queue."""

from __future__ import annotations

import json

from test_lambda_features import wait_for
from conftest import queue_arn


def test_s3_event_notification_through_a_topic_to_a_queue(server, unique):
    s3, sns, sqs = server.client("s3"), server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    sqs_arn = queue_arn(sqs, url)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sqs_arn)
    s3.create_bucket(Bucket=unique)
    s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={"TopicConfigurations": [
        {"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_object(Bucket=unique, Key="report.csv", Body=b"a,b\n")
    notes = []

    def object_records():  # the queue also gets the s3:TestEvent sent when the configuration is set
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            notes.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return [r for n in notes for r in json.loads(n["Message"]).get("Records", [])]

    records = wait_for(object_records)
    assert [(r["eventSource"], r["s3"]["bucket"]["name"], r["s3"]["object"]["key"]) for r in records] == \
        [("aws:s3", unique, "report.csv")]
    assert all(n["Type"] == "Notification" and n["TopicArn"] == topic for n in notes)
