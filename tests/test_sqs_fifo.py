"""SQS FIFO queues: group ids required, exactly-once within the 5-minute deduplication window
(by id or by content), strict order per group, a group blocked while a message is in flight,
sequence numbers, high-throughput deduplication per group."""

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def sqs(server):
    return server.client("sqs")


def error_of(exc) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def fifo(sqs, name, **attributes):
    return sqs.create_queue(QueueName=name + ".fifo", Attributes={"FifoQueue": "true", **attributes})["QueueUrl"]


def test_group_id_and_deduplication_id_are_required(sqs, unique):
    url = fifo(sqs, unique)
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert error_of(exc) == ("MissingParameter", 400)
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert error_of(exc) == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d",
                         DelaySeconds=5)
    assert error_of(exc) == ("InvalidParameterValue", 400)
    standard = sqs.create_queue(QueueName=unique)["QueueUrl"]
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=standard, MessageBody="x", MessageDeduplicationId="d")
    assert error_of(exc) == ("InvalidParameterValue", 400)


def test_deduplication_window_is_five_minutes(server, sqs, unique):
    url = fifo(sqs, unique)
    first = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="d1")
    again = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="d1")
    assert again["MessageId"] == first["MessageId"]
    assert again["SequenceNumber"] == first["SequenceNumber"]
    server.admin("/_pocketcloud/clock", {"advance": "301s"})
    later = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="d1")
    assert later["MessageId"] != first["MessageId"]
    assert int(later["SequenceNumber"]) > int(first["SequenceNumber"])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    assert len(got) == 2


def test_content_based_deduplication(sqs, unique):
    url = fifo(sqs, unique, ContentBasedDeduplication="true")
    first = sqs.send_message(QueueUrl=url, MessageBody="same body", MessageGroupId="g")
    assert sqs.send_message(QueueUrl=url, MessageBody="same body", MessageGroupId="other")["MessageId"] \
        == first["MessageId"]
    assert sqs.send_message(QueueUrl=url, MessageBody="other body", MessageGroupId="g")["MessageId"] \
        != first["MessageId"]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in got] == ["same body", "other body"]
    assert got[0]["Attributes"]["MessageDeduplicationId"] and got[0]["Attributes"]["MessageGroupId"] == "g"


def test_deduplication_scope_message_group(sqs, unique):
    url = fifo(sqs, unique, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
    a = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g1", MessageDeduplicationId="d")
    b = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g2", MessageDeduplicationId="d")
    assert a["MessageId"] != b["MessageId"]


def test_strict_order_per_group_and_group_blocked_while_in_flight(server, sqs, unique):
    url = fifo(sqs, unique, ContentBasedDeduplication="true")
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"a{i}", MessageGroupId="A")
    sqs.send_message(QueueUrl=url, MessageBody="b0", MessageGroupId="B")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, AttributeNames=["SequenceNumber"])["Messages"]
    assert [m["Body"] for m in first] == ["a0"]
    # Group A is blocked while a0 is in flight; only group B can be served.
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in second] == ["b0"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    # a0 not deleted: after its visibility timeout it comes back first, still in order.
    server.admin("/_pocketcloud/clock", {"advance": "31s"})
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in again] == ["a0", "a1", "a2", "b0"]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    numbers = [int(m["Attributes"]["SequenceNumber"]) for m in again[:3]]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    for message in again:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_expired_receipt_handle_is_refused_on_fifo(server, sqs, unique):
    url = fifo(sqs, unique, ContentBasedDeduplication="true")
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    handle = sqs.receive_message(QueueUrl=url, VisibilityTimeout=10)["Messages"][0]["ReceiptHandle"]
    server.admin("/_pocketcloud/clock", {"advance": "11s"})
    with pytest.raises(ClientError) as exc:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert error_of(exc) == ("InvalidParameterValue", 400)
    fresh = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=fresh)


def test_fifo_batch_send_keeps_order(sqs, unique):
    url = fifo(sqs, unique)
    out = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": f"m{i}", "MessageGroupId": "g", "MessageDeduplicationId": f"d{i}"}
        for i in range(5)])
    assert len(out["Successful"]) == 5 and all("SequenceNumber" in e for e in out["Successful"])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == [f"m{i}" for i in range(5)]


def test_receive_request_attempt_id_returns_the_same_messages(server, sqs, unique):
    url = fifo(sqs, unique, ContentBasedDeduplication="true")
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId=f"g{i}")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="try-1")["Messages"]
    retry = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="try-1")["Messages"]
    assert [(m["Body"], m["ReceiptHandle"]) for m in retry] == [(m["Body"], m["ReceiptHandle"]) for m in first]
    other = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="try-2")["Messages"]
    assert [m["Body"] for m in other] == ["m2"]
