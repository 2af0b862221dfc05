"""S3 event notifications are durable: the event of an acknowledged write reaches its queue even
when the server is killed between the acknowledgement and the delivery (at least once, as S3)."""

import json

from conftest import Server, kill_during_burst, queue_arn


def _received_keys(sqs, url, wanted: set, rounds: int = 60) -> set:
    """Object keys of the S3 events in the queue (read until `wanted` are all seen, or the queue
    stays empty for a few rounds); messages are deleted as they are read."""
    keys, empty = set(), 0
    for _ in range(rounds):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        for message in messages:
            body = json.loads(message["Body"])
            for record in body.get("Records", []):
                keys.add(record["s3"]["object"]["key"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        empty = 0 if messages else empty + 1
        if wanted <= keys or empty >= 5:
            break
    return keys


def test_events_of_acknowledged_puts_survive_a_sigkill(tmp_path, unique):
    srv = Server(data_dir=tmp_path).start()
    try:
        sqs, s3 = srv.client("sqs"), srv.client("s3")
        url = sqs.create_queue(QueueName=unique)["QueueUrl"]
        arn = queue_arn(sqs, url)
        s3.create_bucket(Bucket=unique)
        s3.create_bucket(Bucket=unique + "-quiet")  # no notifications: written the usual way
        s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        clients = [srv.client("s3") for _ in range(4)]

        def put(worker: int, n: int) -> str:
            key = f"w{worker}/{n}"
            clients[worker].put_object(Bucket=unique if n % 4 else unique + "-quiet", Key=key, Body=b"x")
            return key if n % 4 else None

        acknowledged = {key for key in kill_during_burst(srv, put, at_least=120) if key}
        srv = Server(data_dir=tmp_path).start()
        sqs, s3 = srv.client("sqs"), srv.client("s3")
        assert acknowledged <= {o["Key"] for o in s3.list_objects_v2(Bucket=unique)["Contents"]}
        missing = acknowledged - _received_keys(sqs, url, acknowledged)
        assert not missing
        s3.put_object(Bucket=unique, Key="after-restart", Body=b"y")
        assert "after-restart" in _received_keys(sqs, url, {"after-restart"})
    finally:
        srv.stop()
