"""SNS to Lambda: the function really runs with AWS's SNS event (Records[0].Sns, signed), and
a subscription whose function is gone sends the message to its dead-letter queue."""

from __future__ import annotations

import json

from test_lambda_features import RECORDER, lines, wait_for
from test_lambda import create
from test_sns_http import verify_signature
from conftest import queue_arn


def test_publish_invokes_the_function_with_the_sns_event(server, unique, tmp_path):
    sns, lam = server.client("sns"), server.client("lambda")
    out = tmp_path / "events"
    function = create(lam, unique, RECORDER, Environment={"Variables": {"OUT": str(out)}})["FunctionArn"]
    topic = sns.create_topic(Name=unique)["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function)["SubscriptionArn"]
    message_id = sns.publish(TopicArn=topic, Message="to lambda", Subject="hi", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "test"}})["MessageId"]
    [event] = wait_for(lambda: lines(out))
    [record] = event["Records"]
    assert (record["EventSource"], record["EventVersion"], record["EventSubscriptionArn"]) == \
        ("aws:sns", "1.0", sub)
    note = record["Sns"]
    assert (note["Type"], note["MessageId"], note["TopicArn"], note["Subject"], note["Message"]) == \
        ("Notification", message_id, topic, "hi", "to lambda")
    assert note["MessageAttributes"] == {"kind": {"Type": "String", "Value": "test"}}
    assert note["UnsubscribeUrl"].endswith(sub.replace(":", "%3A"))
    # The Lambda event spells SigningCertUrl; a receiver verifies it as any notification.
    verify_signature({**note, "SigningCertURL": note["SigningCertUrl"]})


def test_a_deleted_function_dead_letters(server, unique, tmp_path):
    sns, lam, sqs = server.client("sns"), server.client("lambda"), server.client("sqs")
    function = create(lam, unique, RECORDER, Environment={"Variables": {"OUT": str(tmp_path / "x")}})["FunctionArn"]
    dlq = sqs.create_queue(QueueName=unique + "-dlq")["QueueUrl"]
    dlq_arn = queue_arn(sqs, dlq)
    topic = sns.create_topic(Name=unique)["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function,
                  Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
    lam.delete_function(FunctionName=unique)
    message_id = sns.publish(TopicArn=topic, Message="nobody home")["MessageId"]
    got = wait_for(lambda: sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"]).get("Messages"))
    assert json.loads(got[0]["Body"])["MessageId"] == message_id
    assert got[0]["MessageAttributes"]["ErrorCode"]["StringValue"] == "ResourceNotFoundException"
