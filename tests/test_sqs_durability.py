"""SQS durability: with persistence on, an acknowledged SendMessage survives a SIGKILL and a
restart, a deleted message does not come back, and queue state (attributes, FIFO
deduplication) is kept."""

import json

import pytest
from botocore.exceptions import ClientError
from conftest import Server, kill_during_burst, queue_arn


def test_acknowledged_messages_survive_sigkill_and_deleted_ones_stay_deleted(tmp_path):
    srv = Server(data_dir=tmp_path / "data").start()
    sqs = srv.client("sqs")
    url = sqs.create_queue(QueueName="durable", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    fifo = sqs.create_queue(QueueName="durable.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    sqs.send_message(QueueUrl=fifo, MessageBody="once", MessageGroupId="g", MessageDeduplicationId="d")
    deleted = set()
    for i in range(20):
        sqs.send_message(QueueUrl=url, MessageBody=f"gone-{i}")
    while len(deleted) < 20:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            deleted.add(message["Body"])

    clients = [srv.client("sqs") for _ in range(4)]

    def send(worker: int, n: int) -> str:
        body = f"kept-{worker}-{n}"
        clients[worker].send_message(QueueUrl=url, MessageBody=body)
        return body

    acknowledged = kill_during_burst(srv, send, at_least=200)

    again = Server(data_dir=tmp_path / "data").start()
    try:
        sqs = again.client("sqs")
        url = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
        found = []
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600).get("Messages")
            if not messages:
                break
            found += [m["Body"] for m in messages]
        assert set(acknowledged) <= set(found)
        assert not deleted & set(found)
        assert len(found) == len(set(found))
        fifo = sqs.get_queue_url(QueueName="durable.fifo")["QueueUrl"]
        sqs.send_message(QueueUrl=fifo, MessageBody="once", MessageGroupId="g", MessageDeduplicationId="d")
        assert len(sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]) == 1
    finally:
        again.stop()


def test_restart_keeps_in_flight_state_and_reset_forgets_everything(tmp_path):
    srv = Server(data_dir=tmp_path / "d").start()
    try:
        sqs = srv.client("sqs")
        url = sqs.create_queue(QueueName="kept", Attributes={"VisibilityTimeout": "600"})["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="in flight")
        handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    finally:
        srv.stop()
    again = Server(data_dir=tmp_path / "d").start()
    try:
        sqs = again.client("sqs")
        # Still in flight after the restart (its visibility timeout is persisted), and its
        # receipt handle still deletes it.
        assert "Messages" not in sqs.receive_message(QueueUrl=url)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
        sqs.send_message(QueueUrl=url, MessageBody="to be forgotten")
        again.admin("/_pocketcloud/reset", {})
        with pytest.raises(ClientError) as exc:
            sqs.get_queue_url(QueueName="kept")
        assert exc.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
        url = sqs.create_queue(QueueName="kept")["QueueUrl"]
        assert "Messages" not in sqs.receive_message(QueueUrl=url)
    finally:
        again.stop()


def test_running_move_task_resumes_after_restart(tmp_path):
    srv = Server(data_dir=tmp_path / "m").start()
    try:
        sqs = srv.client("sqs")
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        dlq_arn = queue_arn(sqs, dlq)
        source = sqs.create_queue(QueueName="src", Attributes={
            "VisibilityTimeout": "0", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                                                    "maxReceiveCount": 1})})["QueueUrl"]
        for i in range(4):
            sqs.send_message(QueueUrl=source, MessageBody=str(i))
        sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)
        assert "Messages" not in sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)  # all moved
        sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)
        srv.admin("/_pocketcloud/clock", {"advance": "1s"})
    finally:
        srv.stop()
    again = Server(data_dir=tmp_path / "m").start()
    try:
        sqs = again.client("sqs")
        assert sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]["Status"] == "RUNNING"
        again.admin("/_pocketcloud/clock", {"advance": "10s"})
        task = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
        assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 4)
        got = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)["Messages"]
        assert sorted(m["Body"] for m in got) == ["0", "1", "2", "3"]
    finally:
        again.stop()
