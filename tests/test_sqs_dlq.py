"""SQS dead-letter queues: RedrivePolicy moves messages for real after maxReceiveCount,
RedriveAllowPolicy, ListDeadLetterSourceQueues, message move tasks back to the source."""

import json

import pytest
from botocore.exceptions import ClientError
from conftest import aws_error, queue_arn


@pytest.fixture
def sqs(server):
    return server.client("sqs")


def arn_of(sqs, url):
    return queue_arn(sqs, url)


def with_dlq(sqs, name, max_receives=2, **dlq_attributes):
    dlq = sqs.create_queue(QueueName=name + "-dlq", Attributes=dlq_attributes)["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": max_receives})
    source = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy, "VisibilityTimeout": "10"})
    return source["QueueUrl"], dlq


def test_message_moves_to_dlq_after_max_receive_count(server, sqs, unique):
    source, dlq = with_dlq(sqs, unique, max_receives=2)
    sent = sqs.send_message(QueueUrl=source, MessageBody="poison")
    for _ in range(2):
        assert sqs.receive_message(QueueUrl=source)["Messages"][0]["MessageId"] == sent["MessageId"]
        server.admin("/_pocketcloud/clock", {"advance": "11s"})
    assert "Messages" not in sqs.receive_message(QueueUrl=source)
    moved = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"]
    assert [m["MessageId"] for m in moved] == [sent["MessageId"]]
    assert moved[0]["Body"] == "poison"
    assert moved[0]["Attributes"]["DeadLetterQueueSourceArn"] == arn_of(sqs, source)
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [source]


def test_redrive_policy_validation(sqs, unique):
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=unique, Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": f"arn:aws:sqs:us-east-1:000000000000:{unique}-missing", "maxReceiveCount": 3})})
    assert aws_error(exc) == ("InvalidParameterValue", 400)
    dlq = sqs.create_queue(QueueName=unique + "-dlq")["QueueUrl"]
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=unique, Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 1001})})
    assert aws_error(exc) == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as exc:  # a FIFO source needs a FIFO dead-letter queue
        sqs.create_queue(QueueName=unique + ".fifo", Attributes={"FifoQueue": "true", "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 3})})
    assert aws_error(exc) == ("InvalidParameterValue", 400)


def test_redrive_allow_policy(sqs, unique):
    deny = sqs.create_queue(QueueName=unique + "-deny", Attributes={
        "RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})})["QueueUrl"]
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=unique + "-a", Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": arn_of(sqs, deny), "maxReceiveCount": 3})})
    assert aws_error(exc) == ("InvalidParameterValue", 400)
    allowed_arn = f"arn:aws:sqs:us-east-1:000000000000:{unique}-b"
    by_queue = sqs.create_queue(QueueName=unique + "-byq", Attributes={"RedriveAllowPolicy": json.dumps(
        {"redrivePermission": "byQueue", "sourceQueueArns": [allowed_arn]})})["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, by_queue), "maxReceiveCount": 3})
    sqs.create_queue(QueueName=unique + "-b", Attributes={"RedrivePolicy": policy})
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=unique + "-c", Attributes={"RedrivePolicy": policy})
    assert aws_error(exc) == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=unique + "-bad", Attributes={"RedriveAllowPolicy": json.dumps(
            {"redrivePermission": "byQueue"})})
    assert aws_error(exc) == ("InvalidAttributeValue", 400)


def _dead_letters(server, sqs, unique, count):
    source, dlq = with_dlq(sqs, unique, max_receives=1)
    for i in range(count):
        sqs.send_message(QueueUrl=source, MessageBody=f"m{i}")
    sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)
    server.admin("/_pocketcloud/clock", {"advance": "11s"})
    assert "Messages" not in sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)
    attrs = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == str(count)
    return source, dlq


def test_move_task_returns_messages_to_their_source(server, sqs, unique):
    source, dlq = _dead_letters(server, sqs, unique, 3)
    handle = sqs.start_message_move_task(SourceArn=arn_of(sqs, dlq))["TaskHandle"]
    assert handle
    tasks = sqs.list_message_move_tasks(SourceArn=arn_of(sqs, dlq))["Results"]
    assert tasks[0]["Status"] == "COMPLETED"
    assert tasks[0]["ApproximateNumberOfMessagesMoved"] == 3
    back = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in back) == ["m0", "m1", "m2"]
    with pytest.raises(ClientError) as exc:
        sqs.cancel_message_move_task(TaskHandle=handle)
    assert aws_error(exc) == ("ResourceNotFoundException", 404)


def test_rate_limited_move_task_runs_on_the_clock_and_can_be_cancelled(server, sqs, unique):
    source, dlq = _dead_letters(server, sqs, unique, 5)
    target = sqs.create_queue(QueueName=unique + "-target")["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq)
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=arn_of(sqs, target),
                                         MaxNumberOfMessagesPerSecond=2)["TaskHandle"]
    with pytest.raises(ClientError) as exc:
        sqs.start_message_move_task(SourceArn=dlq_arn)
    assert aws_error(exc) == ("AWS.SimpleQueueService.UnsupportedOperation", 400)
    server.admin("/_pocketcloud/clock", {"advance": "1s"})
    running = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
    assert running["Status"] == "RUNNING" and running["TaskHandle"] == handle
    assert running["ApproximateNumberOfMessagesMoved"] == 2
    assert running["DestinationArn"] == arn_of(sqs, target)
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    assert moved == 2
    server.admin("/_pocketcloud/clock", {"advance": "5s"})
    assert sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]["Status"] == "CANCELLED"
    attrs = sqs.get_queue_attributes(QueueUrl=target, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "2"


def test_move_task_source_must_be_a_dead_letter_queue(sqs, unique):
    plain = sqs.create_queue(QueueName=unique)["QueueUrl"]
    with pytest.raises(ClientError) as exc:
        sqs.start_message_move_task(SourceArn=arn_of(sqs, plain))
    assert aws_error(exc) == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as exc:
        sqs.start_message_move_task(SourceArn=f"arn:aws:sqs:us-east-1:000000000000:{unique}-none")
    assert aws_error(exc) == ("ResourceNotFoundException", 404)


def test_fifo_redrive_moves_the_head_and_unblocks_its_group(server, sqs, unique):
    dlq = sqs.create_queue(QueueName=unique + "-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 1})
    source = sqs.create_queue(QueueName=unique + ".fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "10",
        "RedrivePolicy": policy})["QueueUrl"]
    for body in ("first", "second"):
        sqs.send_message(QueueUrl=source, MessageBody=body, MessageGroupId="g")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=source)["Messages"]] == ["first"]
    server.admin("/_pocketcloud/clock", {"advance": "11s"})
    # "first" has been received maxReceiveCount times: it moves, and "second" is next in line.
    again = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in again] == ["second"]
    moved = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in moved] == ["first"]
    assert moved[0]["Attributes"]["MessageGroupId"] == "g"
    sources = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=1)
    assert sources["queueUrls"] == [source] and "NextToken" not in sources
