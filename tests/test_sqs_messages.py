"""SQS messages: send/receive/delete, batches, attributes and the MD5 digests boto3 verifies,
size limits, visibility timeouts, delays, retention and long polling on the virtual clock."""

import hashlib
import struct
import threading

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def sqs(server):
    return server.client("sqs")


def error_of(exc) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def advance(server, duration: str) -> None:
    server.admin("/_pocketcloud/clock", {"advance": duration})


def attribute_md5(attributes: dict) -> str:
    """AWS's documented encoding, written out independently of the server's."""
    out = b""
    for name in sorted(attributes):
        value = attributes[name]
        out += struct.pack(">I", len(name.encode())) + name.encode()
        out += struct.pack(">I", len(value["DataType"])) + value["DataType"].encode()
        if "BinaryValue" in value:
            out += b"\x02" + struct.pack(">I", len(value["BinaryValue"])) + value["BinaryValue"]
        else:
            out += b"\x01" + struct.pack(">I", len(value["StringValue"].encode())) + value["StringValue"].encode()
    return hashlib.md5(out).hexdigest()


def test_send_receive_delete_with_attributes_and_digests(sqs, unique):
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    attributes = {"colour": {"DataType": "String", "StringValue": "blue ✓"},
                  "count": {"DataType": "Number", "StringValue": "42"},
                  "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
                  "custom": {"DataType": "String.custom", "StringValue": "c"}}
    trace = {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="héllo", MessageAttributes=attributes,
                            MessageSystemAttributes=trace)
    assert sent["MD5OfMessageBody"] == hashlib.md5("héllo".encode()).hexdigest()
    assert sent["MD5OfMessageAttributes"] == attribute_md5(attributes)
    assert sent["MD5OfMessageSystemAttributes"] == attribute_md5(trace)
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])
    message = got["Messages"][0]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "héllo"
    assert message["MessageAttributes"] == attributes
    assert message["MD5OfMessageAttributes"] == attribute_md5(attributes)
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    assert message["Attributes"]["SenderId"] == "000000000000"
    assert message["Attributes"]["AWSTraceHeader"] == trace["AWSTraceHeader"]["StringValue"]
    assert int(message["Attributes"]["SentTimestamp"]) > 0
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])  # deleting again succeeds
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_selected_message_attributes_have_their_own_digest(sqs, unique):
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    attributes = {"a.one": {"DataType": "String", "StringValue": "1"}, "a.two": {"DataType": "String", "StringValue": "2"},
                  "b": {"DataType": "String", "StringValue": "3"}, "ab": {"DataType": "String", "StringValue": "4"}}
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)
    message = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["a.*"])["Messages"][0]
    chosen = {k: v for k, v in attributes.items() if k.startswith("a.")}
    assert message["MessageAttributes"] == chosen
    assert message["MD5OfMessageAttributes"] == attribute_md5(chosen)


@pytest.mark.parametrize("attributes", [
    {"AWS.reserved": {"DataType": "String", "StringValue": "x"}},
    {"bad name!": {"DataType": "String", "StringValue": "x"}},
    {"n": {"DataType": "Number", "StringValue": "not a number"}},
    {"n": {"DataType": "Colour", "StringValue": "x"}},
    {"n": {"DataType": "String", "StringValue": ""}},
    {f"a{i}": {"DataType": "String", "StringValue": "x"} for i in range(11)},
])
def test_invalid_message_attributes(sqs, unique, attributes):
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)
    assert error_of(exc) == ("InvalidParameterValue", 400)


def test_size_limit_counts_body_and_attributes(sqs, unique):
    url = sqs.create_queue(QueueName=unique, Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert error_of(exc) == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1000,
                         MessageAttributes={"name": {"DataType": "String", "StringValue": "y" * 30}})
    assert error_of(exc) == ("InvalidParameterValue", 400)


def test_default_limit_is_one_mebibyte(sqs, unique):
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_576)
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_577)
    assert error_of(exc) == ("InvalidParameterValue", 400)


def test_invalid_body_characters_and_empty_body(sqs, unique):
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="bad \x01 char")
    assert error_of(exc) == ("InvalidMessageContents", 400)
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="")
    assert error_of(exc) == ("MissingParameter", 400)


def test_visibility_timeout_returns_an_unacknowledged_message(server, sqs, unique):
    url = sqs.create_queue(QueueName=unique, Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="again")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
    advance(server, "29s")
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    advance(server, "2s")
    second = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert second["MessageId"] == first["MessageId"]
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    # The first receive's handle is stale: accepted, but the message stays.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=0)
    third = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert third["MessageId"] == first["MessageId"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_change_visibility_rules(server, sqs, unique):
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = sqs.receive_message(QueueUrl=url, VisibilityTimeout=10)["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=100)
    advance(server, "50s")
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    with pytest.raises(ClientError) as exc:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43200)
    assert error_of(exc) == ("InvalidParameterValue", 400)  # beyond 12 hours since the receive
    advance(server, "51s")
    with pytest.raises(ClientError) as exc:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=10)
    assert error_of(exc) == ("AWS.SimpleQueueService.MessageNotInflight", 400)
    with pytest.raises(ClientError) as exc:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="garbage", VisibilityTimeout=10)
    assert error_of(exc) == ("ReceiptHandleIsInvalid", 404)
    with pytest.raises(ClientError) as exc:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")
    assert error_of(exc) == ("ReceiptHandleIsInvalid", 404)


def test_delays_per_queue_and_per_message(server, sqs, unique):
    url = sqs.create_queue(QueueName=unique, Attributes={"DelaySeconds": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="queue delay")
    sqs.send_message(QueueUrl=url, MessageBody="now", DelaySeconds=0)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=120)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesDelayed"]) == ("1", "2")
    now = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in now] == ["now"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=now[0]["ReceiptHandle"])
    advance(server, "61s")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                   VisibilityTimeout=600)["Messages"]] == ["queue delay"]
    advance(server, "60s")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["later"]
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
    assert error_of(exc) == ("InvalidParameterValue", 400)


def test_messages_vanish_at_their_retention_period(server, sqs, unique):
    url = sqs.create_queue(QueueName=unique, Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="short-lived")
    advance(server, "59s")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "1"
    advance(server, "2s")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "0"
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_receive_parameter_ranges(sqs, unique):
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    for kwargs in ({"MaxNumberOfMessages": 11}, {"MaxNumberOfMessages": 0}, {"WaitTimeSeconds": 21},
                   {"VisibilityTimeout": 43201}):
        with pytest.raises(ClientError) as exc:
            sqs.receive_message(QueueUrl=url, **kwargs)
        assert error_of(exc) == ("InvalidParameterValue", 400), kwargs


def _receive_in_thread(server, url, **kwargs):
    result = {}

    def run():
        result["got"] = server.client("sqs").receive_message(QueueUrl=url, **kwargs)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def test_long_poll_returns_when_a_message_arrives(server, sqs, unique):
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    thread, result = _receive_in_thread(server, url, WaitTimeSeconds=20)
    # The waiting receive is registered once the queue reports it (no sleep): send right away;
    # whichever comes first, the receive must return the message, not an empty answer.
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    thread.join(25)
    assert [m["Body"] for m in result["got"]["Messages"]] == ["wake up"]


def test_long_poll_wakes_when_the_clock_makes_a_message_visible(server, sqs, unique):
    url = sqs.create_queue(QueueName=unique, Attributes={"ReceiveMessageWaitTimeSeconds": "20"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=600)
    thread, result = _receive_in_thread(server, url)
    advance(server, "601s")
    thread.join(25)
    assert [m["Body"] for m in result["got"]["Messages"]] == ["delayed"]


def test_send_batch_limits_and_partial_failures(sqs, unique):
    url = sqs.create_queue(QueueName=unique, Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    out = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "x" * 2000},
        {"Id": "c", "MessageBody": "three", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}])
    assert sorted(e["Id"] for e in out["Successful"]) == ["a", "c"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in out["Failed"]] == [("b", "InvalidParameterValue", True)]
    ok = {e["Id"]: e for e in out["Successful"]}
    assert ok["a"]["MD5OfMessageBody"] == hashlib.md5(b"one").hexdigest()
    cases = [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
        ([{"Id": str(i), "MessageBody": "x"} for i in range(11)], "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
        ([{"Id": "same", "MessageBody": "x"}, {"Id": "same", "MessageBody": "y"}],
         "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"),
        ([{"Id": "bad id!", "MessageBody": "x"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
        ([{"Id": str(i), "MessageBody": "x" * 200_000} for i in range(6)], "AWS.SimpleQueueService.BatchRequestTooLong"),
    ]
    for entries, code in cases:
        with pytest.raises(ClientError) as exc:
            sqs.send_message_batch(QueueUrl=url, Entries=entries)
        assert error_of(exc) == (code, 400)


def test_delete_and_visibility_batches(sqs, unique):
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(4)])
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in messages) == ["0", "1", "2", "3"]
    out = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "a", "ReceiptHandle": messages[0]["ReceiptHandle"], "VisibilityTimeout": 0},
        {"Id": "b", "ReceiptHandle": "garbage", "VisibilityTimeout": 0}])
    assert [e["Id"] for e in out["Successful"]] == ["a"]
    assert [(f["Id"], f["Code"]) for f in out["Failed"]] == [("b", "ReceiptHandleIsInvalid")]
    again = sqs.receive_message(QueueUrl=url)["Messages"][0]
    out = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "x", "ReceiptHandle": again["ReceiptHandle"]}] + [
        {"Id": f"m{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages[1:])])
    assert len(out["Successful"]) == 4 and out.get("Failed", []) == []
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
