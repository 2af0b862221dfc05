"""SNS to SQS: the JSON envelope as AWS lays it out, raw delivery with message attributes,
fan-out, queues in other accounts and regions, FIFO topics to FIFO queues in order with
deduplication, the subscription's dead-letter queue, and message structure per protocol."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from conftest import queue_arn


def make_queue(sqs, name, **attributes):
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = queue_arn(sqs, url)
    return url, arn


def drain(sqs, url, **kwargs):
    out = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, **kwargs).get("Messages", [])
        if not got:
            return out
        out += got
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_envelope_as_aws_formats_it(server, unique):
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    url, arn = make_queue(sqs, unique)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
    assert sub.startswith(topic + ":")
    message_id = sns.publish(TopicArn=topic, Message="hi", Subject="subj",
                             MessageAttributes={"color": {"DataType": "String", "StringValue": "red"}})["MessageId"]
    [message] = drain(sqs, url)
    body = message["Body"]
    assert body.startswith('{\n  "Type" : "Notification",\n  "MessageId" : "')
    doc = json.loads(body)
    assert list(doc) == ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
                         "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes"]
    assert (doc["MessageId"], doc["TopicArn"], doc["Message"], doc["Subject"]) == (message_id, topic, "hi", "subj")
    assert doc["MessageAttributes"] == {"color": {"Type": "String", "Value": "red"}}
    assert doc["Timestamp"].endswith("Z") and len(doc["Timestamp"]) == 24
    assert doc["UnsubscribeURL"].endswith("SubscriptionArn=" + sub.replace(":", "%3A"))


def test_raw_delivery_carries_message_attributes(server, unique):
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    url, arn = make_queue(sqs, unique)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="raw", MessageAttributes={
        "s": {"DataType": "String", "StringValue": "v"}, "n": {"DataType": "Number", "StringValue": "1.5"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x01\x02"}})
    [message] = drain(sqs, url, MessageAttributeNames=["All"])
    assert message["Body"] == "raw"
    assert message["MessageAttributes"] == {
        "s": {"DataType": "String", "StringValue": "v"}, "n": {"DataType": "Number", "StringValue": "1.5"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x01\x02"}}


def test_fan_out_and_unsubscribe(server, unique):
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    queues = [make_queue(sqs, f"{unique}-{i}") for i in range(3)]
    subs = [sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"] for _, arn in queues]
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queues[0][1])["SubscriptionArn"] == subs[0]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "3"
    sns.publish(TopicArn=topic, Message="all")
    assert [len(drain(sqs, url)) for url, _ in queues] == [1, 1, 1]
    sns.unsubscribe(SubscriptionArn=subs[1])
    sns.publish(TopicArn=topic, Message="two")
    assert [len(drain(sqs, url)) for url, _ in queues] == [1, 0, 1]
    with pytest.raises(ClientError) as exc:
        sns.unsubscribe(SubscriptionArn=subs[1])
    assert exc.value.response["Error"]["Code"] == "NotFound"
    sns.delete_topic(TopicArn=topic)
    with pytest.raises(ClientError) as exc:
        sns.get_subscription_attributes(SubscriptionArn=subs[0])
    assert exc.value.response["Error"]["Code"] == "NotFound"


def test_queues_in_other_regions_and_accounts(server, unique):
    sns = server.client("sns")
    west = server.client("sqs", region="eu-west-1")
    other = server.client("sqs", key="222222222222")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    west_url, west_arn = make_queue(west, unique)
    other_url, other_arn = make_queue(other, unique)
    assert ":eu-west-1:" in west_arn and ":222222222222:" in other_arn
    for arn in (west_arn, other_arn):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="far")
    assert [m["Body"] for m in drain(west, west_url)] == ["far"]
    assert [m["Body"] for m in drain(other, other_url)] == ["far"]


def test_fifo_topic_to_fifo_queue_in_order_with_dedup(server, unique):
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name=unique + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    url, arn = make_queue(sqs, unique + ".fifo", FifoQueue="true")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    results = [sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g", MessageDeduplicationId=f"d{i}")
               for i in range(5)]
    repeat = sns.publish(TopicArn=topic, Message="m0 again", MessageGroupId="g", MessageDeduplicationId="d0")
    assert repeat["MessageId"] == results[0]["MessageId"]
    assert repeat["SequenceNumber"] == results[0]["SequenceNumber"]
    sequence = [int(r["SequenceNumber"]) for r in results]
    assert sequence == sorted(sequence) and len(set(sequence)) == 5
    got = drain(sqs, url, AttributeNames=["All"])
    assert [m["Body"] for m in got] == [f"m{i}" for i in range(5)]
    assert {m["Attributes"]["MessageGroupId"] for m in got} == {"g"}
    assert [m["Attributes"]["MessageDeduplicationId"] for m in got] == [f"d{i}" for i in range(5)]
    # Five minutes later the deduplication id may be used again.
    server.admin("/_pocketcloud/clock", {"advance": "5m1s"})
    again = sns.publish(TopicArn=topic, Message="m0 later", MessageGroupId="g", MessageDeduplicationId="d0")
    assert again["MessageId"] != results[0]["MessageId"]


def test_fifo_rules(server, unique):
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name=unique + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    standard = sns.create_topic(Name=unique)["TopicArn"]
    _, fifo_queue = make_queue(sqs, unique + ".fifo", FifoQueue="true")
    cases = [
        (dict(TopicArn=topic, Message="x"), "InvalidParameter"),  # no MessageGroupId
        (dict(TopicArn=topic, Message="x", MessageGroupId="g"), "InvalidParameter"),  # no dedup id, no CBD
        (dict(TopicArn=standard, Message="x", MessageDeduplicationId="d"), "InvalidParameter"),
    ]
    for params, code in cases:
        with pytest.raises(ClientError) as exc:
            sns.publish(**params)
        assert exc.value.response["Error"]["Code"] == code, params
    with pytest.raises(ClientError) as exc:  # FIFO topics deliver to SQS only
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint="http://127.0.0.1:1/")
    assert exc.value.response["Error"]["Code"] == "InvalidParameter"
    with pytest.raises(ClientError) as exc:  # a FIFO queue cannot follow a standard topic
        sns.subscribe(TopicArn=standard, Protocol="sqs", Endpoint=fifo_queue)
    assert exc.value.response["Error"]["Code"] == "InvalidParameter"
    sns.set_topic_attributes(TopicArn=topic, AttributeName="ContentBasedDeduplication", AttributeValue="true")
    first = sns.publish(TopicArn=topic, Message="same body", MessageGroupId="g")
    assert sns.publish(TopicArn=topic, Message="same body", MessageGroupId="g2")["MessageId"] == first["MessageId"]


def test_dead_letter_queue_when_the_queue_is_gone(server, unique):
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    url, arn = make_queue(sqs, unique)
    dlq, dlq_arn = make_queue(sqs, unique + "-dlq")
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})["SubscriptionArn"]
    assert json.loads(sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["RedrivePolicy"]) == \
        {"deadLetterTargetArn": dlq_arn}
    sqs.delete_queue(QueueUrl=url)
    message_id = sns.publish(TopicArn=topic, Message="lost?")["MessageId"]
    [dead] = drain(sqs, dlq, MessageAttributeNames=["All"])
    doc = json.loads(dead["Body"])
    assert (doc["MessageId"], doc["Message"]) == (message_id, "lost?")
    assert dead["MessageAttributes"]["RequestID"]["StringValue"] == message_id
    assert dead["MessageAttributes"]["ErrorCode"]["StringValue"]
    for target in ("not-an-arn", dlq_arn.replace("us-east-1", "eu-west-1"), dlq_arn.replace("000000000000", "1" * 12),
                   dlq_arn + ".fifo"):
        with pytest.raises(ClientError) as exc:  # an ARN, same account and region, same kind as the topic
            sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy",
                                            AttributeValue=json.dumps({"deadLetterTargetArn": target}))
        assert exc.value.response["Error"]["Code"] == "InvalidParameter", target


def test_message_structure_per_protocol(server, unique):
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    url, arn = make_queue(sqs, unique)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15550001234")
    sns.publish(TopicArn=topic, MessageStructure="json",
                Message=json.dumps({"default": "for everyone", "sqs": "for queues"}))
    assert [m["Body"] for m in drain(sqs, url)] == ["for queues"]
    sent = server.admin(f"/_pocketcloud/sns/outbox?topic={topic}")["messages"]
    assert [m["Message"] for m in sent] == ["for everyone"]


def test_subscription_attributes_and_listing(server, unique):
    sns = server.client("sns")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    queue = f"arn:aws:sqs:us-east-1:000000000000:{unique}"
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)["SubscriptionArn"]
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["Protocol"] == "sqs" and attrs["Endpoint"] == queue and attrs["RawMessageDelivery"] == "false"
    assert attrs["PendingConfirmation"] == "false" and attrs["TopicArn"] == topic
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="True")
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["RawMessageDelivery"] == "true"
    listed = sns.list_subscriptions()["Subscriptions"]
    assert {"SubscriptionArn": sub, "Owner": "000000000000", "Protocol": "sqs", "Endpoint": queue,
            "TopicArn": topic} in listed
    errors = [
        (dict(TopicArn=topic, Protocol="carrier-pigeon", Endpoint="x"), "InvalidParameter"),
        (dict(TopicArn=topic, Protocol="sqs", Endpoint="not-an-arn"), "InvalidParameter"),
        (dict(TopicArn=topic, Protocol="http", Endpoint="ftp://x"), "InvalidParameter"),
        (dict(TopicArn=topic, Protocol="email", Endpoint="nobody"), "InvalidParameter"),
        (dict(TopicArn=topic, Protocol="email", Endpoint="a@b.c", Attributes={"RawMessageDelivery": "true"}),
         "InvalidParameter"),
        (dict(TopicArn=topic + "-gone", Protocol="sqs", Endpoint=queue), "NotFound"),
        (dict(TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "false"}),
         "InvalidParameter"),  # exists with other attributes
    ]
    for params, code in errors:
        with pytest.raises(ClientError) as exc:
            sns.subscribe(**params)
        assert exc.value.response["Error"]["Code"] == code, params
    with pytest.raises(ClientError) as exc:
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="Protocol", AttributeValue="http")
    assert exc.value.response["Error"]["Code"] == "InvalidParameter"


def test_email_and_email_json_outbox_with_confirmation(server, unique):
    sns = server.client("sns")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    email, email_json = f"{unique}@example.com", f"{unique}-json@example.com"
    for protocol, endpoint in (("email", email), ("email-json", email_json)):
        assert sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint)["SubscriptionArn"] == \
            "pending confirmation"
    sns.publish(TopicArn=topic, Message="before confirmation")
    confirmations = server.admin(f"/_pocketcloud/sns/outbox?topic={topic}")["messages"]
    assert [m["Type"] for m in confirmations] == ["SubscriptionConfirmation"] * 2
    for mail in confirmations:
        sns.confirm_subscription(TopicArn=topic, Token=mail["Token"])
    sns.publish(TopicArn=topic, Message="after", Subject="news")
    plain = server.admin(f"/_pocketcloud/sns/outbox?endpoint={email}")["messages"][-1]
    assert (plain["Message"], plain["Subject"]) == ("after", "news")
    doc = json.loads(server.admin(f"/_pocketcloud/sns/outbox?endpoint={email_json}")["messages"][-1]["Message"])
    assert (doc["Type"], doc["Message"], doc["Subject"]) == ("Notification", "after", "news")
