"""SQS queues: create/get/list/delete, attributes with AWS's defaults and ranges, tags,
policies and permissions, purge, URLs that work when fetched."""

import json
import urllib.parse
import urllib.request

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def sqs(server):
    return server.client("sqs")


def error_of(exc) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_queue_has_aws_defaults_and_url_on_the_request_host(server, sqs, unique):
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    assert url == f"{server.endpoint}/000000000000/{unique}"
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "30"
    assert attrs["MessageRetentionPeriod"] == "345600"
    assert attrs["MaximumMessageSize"] == "1048576"
    assert attrs["DelaySeconds"] == "0"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "0"
    assert attrs["SqsManagedSseEnabled"] == "true"
    assert attrs["QueueArn"] == f"arn:aws:sqs:us-east-1:000000000000:{unique}"
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert "FifoQueue" not in attrs
    assert sqs.get_queue_url(QueueName=unique)["QueueUrl"] == url


def test_create_queue_is_idempotent_but_refuses_different_attributes(sqs, unique):
    url = sqs.create_queue(QueueName=unique, Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    assert sqs.create_queue(QueueName=unique, Attributes={"VisibilityTimeout": "45"})["QueueUrl"] == url
    assert sqs.create_queue(QueueName=unique)["QueueUrl"] == url
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=unique, Attributes={"VisibilityTimeout": "46"})
    assert error_of(exc) == ("QueueAlreadyExists", 400)


@pytest.mark.parametrize("name,value", [
    ("VisibilityTimeout", "43201"), ("VisibilityTimeout", "-1"), ("MessageRetentionPeriod", "59"),
    ("MessageRetentionPeriod", "1209601"), ("MaximumMessageSize", "1023"), ("MaximumMessageSize", "1048577"),
    ("DelaySeconds", "901"), ("ReceiveMessageWaitTimeSeconds", "21"), ("VisibilityTimeout", "abc"),
])
def test_attribute_ranges(sqs, unique, name, value):
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=unique, Attributes={name: value})
    assert error_of(exc) == ("InvalidAttributeValue", 400)


def test_attribute_range_edges_are_accepted(sqs, unique):
    url = sqs.create_queue(QueueName=unique, Attributes={
        "VisibilityTimeout": "43200", "MessageRetentionPeriod": "1209600", "MaximumMessageSize": "1024",
        "DelaySeconds": "900", "ReceiveMessageWaitTimeSeconds": "20"})["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MaximumMessageSize", "DelaySeconds"])
    assert attrs["Attributes"] == {"MaximumMessageSize": "1024", "DelaySeconds": "900"}


def test_unknown_attribute_names(sqs, unique):
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=unique, Attributes={"Colour": "blue"})
    assert error_of(exc) == ("InvalidAttributeName", 400)
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    with pytest.raises(ClientError) as exc:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["FifoQueue"])
    assert error_of(exc) == ("InvalidAttributeName", 400)


@pytest.mark.parametrize("name", ["has space", "x" * 81, "dot.name", ""])
def test_invalid_queue_names(sqs, name):
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=name)
    assert error_of(exc) == ("InvalidParameterValue", 400)


def test_fifo_names_and_attributes(sqs, unique):
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=unique + ".fifo")  # .fifo name without FifoQueue=true
    assert error_of(exc) == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=unique, Attributes={"FifoQueue": "true"})
    assert error_of(exc) == ("InvalidParameterValue", 400)
    for attributes in ({"ContentBasedDeduplication": "true"}, {"FifoQueue": "false"}):
        with pytest.raises(ClientError) as exc:  # FIFO attributes are unknown to standard queues
            sqs.create_queue(QueueName=unique, Attributes=attributes)
        assert error_of(exc) == ("InvalidAttributeName", 400)
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=unique + ".fifo", Attributes={"FifoQueue": "true",
                                                                 "FifoThroughputLimit": "perMessageGroupId"})
    assert error_of(exc) == ("InvalidAttributeValue", 400)
    url = sqs.create_queue(QueueName=unique + ".fifo", Attributes={
        "FifoQueue": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["DeduplicationScope"] == "messageGroup"
    assert attrs["FifoThroughputLimit"] == "perMessageGroupId"
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "false"})
    assert error_of(exc) == ("InvalidAttributeValue", 400)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"ContentBasedDeduplication": "true"})
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ContentBasedDeduplication"])["Attributes"] \
        == {"ContentBasedDeduplication": "true"}


def test_set_attributes_and_sse(sqs, unique):
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "5", "KmsMasterKeyId": "alias/aws/sqs"})
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "5"
    assert attrs["KmsMasterKeyId"] == "alias/aws/sqs"
    assert attrs["KmsDataKeyReusePeriodSeconds"] == "300"
    assert attrs["SqsManagedSseEnabled"] == "false"
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsDataKeyReusePeriodSeconds": "59"})
    assert error_of(exc) == ("InvalidAttributeValue", 400)


def test_list_queues_prefix_and_pagination(sqs, unique):
    urls = [sqs.create_queue(QueueName=f"{unique}-{i}")["QueueUrl"] for i in range(5)]
    sqs.create_queue(QueueName=f"other{unique}")
    assert sorted(sqs.list_queues(QueueNamePrefix=unique)["QueueUrls"]) == sorted(urls)
    seen, token = [], None
    while True:
        kwargs = {"QueueNamePrefix": unique, "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = sqs.list_queues(**kwargs)
        assert len(page["QueueUrls"]) <= 2
        seen += page["QueueUrls"]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sorted(urls)
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="nothing-" + unique)


def test_queues_are_per_region_and_account(server, sqs, unique):
    sqs.create_queue(QueueName=unique)
    with pytest.raises(ClientError) as exc:
        server.client("sqs", region="eu-west-1").get_queue_url(QueueName=unique)
    assert error_of(exc) == ("AWS.SimpleQueueService.NonExistentQueue", 400)
    with pytest.raises(ClientError) as exc:
        server.client("sqs", key="111111111111").get_queue_url(QueueName=unique)
    assert error_of(exc) == ("AWS.SimpleQueueService.NonExistentQueue", 400)


def test_delete_queue_then_recreate_waits_60_seconds(server, sqs, unique):
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="old")
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x")
    assert error_of(exc) == ("AWS.SimpleQueueService.NonExistentQueue", 400)
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=unique)
    assert error_of(exc) == ("AWS.SimpleQueueService.QueueDeletedRecently", 400)
    server.admin("/_pocketcloud/clock", {"advance": "61s"})
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_bad_queue_url(sqs):
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl="http://127.0.0.1/not-a-queue-url", MessageBody="x")
    assert error_of(exc) == ("InvalidAddress", 404)


def test_tags(sqs, unique):
    url = sqs.create_queue(QueueName=unique, tags={"team": "a"})["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev", "team": "b"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "b", "env": "dev"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "env"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)
    with pytest.raises(ClientError) as exc:
        sqs.tag_queue(QueueUrl=url, Tags={f"k{i}": "v" for i in range(51)})
    assert error_of(exc) == ("InvalidParameterValue", 400)


def test_policy_and_permissions(sqs, unique):
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "s", "Effect": "Allow",
                         "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}]})
    url = sqs.create_queue(QueueName=unique, Attributes={"Policy": policy})["QueueUrl"]
    assert json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]) \
        == json.loads(policy)
    sqs.add_permission(QueueUrl=url, Label="share", AWSAccountIds=["111111111111"], Actions=["SendMessage"])
    statements = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
                            ["Attributes"]["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["s", "share"]
    assert statements[1]["Principal"] == {"AWS": ["arn:aws:iam::111111111111:root"]}
    with pytest.raises(ClientError) as exc:
        sqs.add_permission(QueueUrl=url, Label="share", AWSAccountIds=["111111111111"], Actions=["SendMessage"])
    assert error_of(exc) == ("InvalidParameterValue", 400)
    sqs.remove_permission(QueueUrl=url, Label="share")
    with pytest.raises(ClientError) as exc:
        sqs.remove_permission(QueueUrl=url, Label="share")
    assert error_of(exc) == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": "not json"})
    assert error_of(exc) == ("InvalidAttributeValue", 400)


def test_purge_removes_messages_and_refuses_a_second_purge_within_60_seconds(server, sqs, unique):
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    sqs.purge_queue(QueueUrl=url)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    with pytest.raises(ClientError) as exc:
        sqs.purge_queue(QueueUrl=url)
    assert error_of(exc) == ("AWS.SimpleQueueService.PurgeQueueInProgress", 403)
    server.admin("/_pocketcloud/clock", {"advance": "61s"})
    sqs.purge_queue(QueueUrl=url)


def test_queue_url_works_when_fetched(server, sqs, unique):
    """An old-style client posts the query protocol to the queue URL itself."""
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    data = urllib.parse.urlencode({"Action": "SendMessage", "MessageBody": "fetched", "Version": "2012-11-05"})
    with urllib.request.urlopen(urllib.request.Request(url, data=data.encode()), timeout=10) as resp:
        assert resp.status == 200
        assert b"<MD5OfMessageBody>" in resp.read()
    got = sqs.receive_message(QueueUrl=url)["Messages"]
    assert got[0]["Body"] == "fetched"


def test_queue_url_naming_its_region_in_the_host(server, unique):
    """AWS-style URLs (sqs.<region>.<domain>) find the queue of that region, whatever region
    the request is signed for; the path names account and queue."""
    west = server.client("sqs", region="eu-west-1")
    west.create_queue(QueueName=unique)
    url = f"http://sqs.eu-west-1.localhost:{server.port}/000000000000/{unique}"
    east = server.client("sqs", region="us-east-1")
    east.send_message(QueueUrl=url, MessageBody="to the west")
    west_url = west.get_queue_url(QueueName=unique)["QueueUrl"]
    assert west.receive_message(QueueUrl=west_url)["Messages"][0]["Body"] == "to the west"


def test_odd_inputs_get_aws_errors_not_500s(sqs, unique):
    import base64

    url = sqs.create_queue(QueueName=unique, Attributes={"Policy": json.dumps(
        {"Statement": {"Sid": "one", "Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "*"}})})["QueueUrl"]
    sqs.add_permission(QueueUrl=url, Label="two", AWSAccountIds=["111111111111"], Actions=["ReceiveMessage"])
    cases = [
        (lambda: sqs.cancel_message_move_task(TaskHandle="not-a-handle"), ("ResourceNotFoundException", 404)),
        (lambda: sqs.delete_message(QueueUrl=url, ReceiptHandle=base64.b64encode(b"a/b/c/d").decode()),
         ("ReceiptHandleIsInvalid", 404)),
        (lambda: sqs.list_queues(MaxResults=5, NextToken="%%%not base64"), ("InvalidParameterValue", 400)),
        (lambda: sqs.create_queue(QueueName=unique + "-x", Attributes={
            "RedrivePolicy": '{"deadLetterTargetArn": 5, "maxReceiveCount": "many"}'}), ("InvalidParameterValue", 400)),
        (lambda: sqs.start_message_move_task(SourceArn="arn:aws:s3:::bucket"), ("InvalidParameterValue", 400)),
        (lambda: sqs.list_message_move_tasks(SourceArn=f"arn:aws:sqs:us-east-1:000000000000:{unique}", MaxResults=11),
         ("InvalidParameterValue", 400)),
    ]
    for call, expected in cases:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == expected


def test_sse_kms_queue_needs_a_usable_key_once_per_reuse_period(server, sqs, unique):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    url = sqs.create_queue(QueueName=unique, Attributes={
        "KmsMasterKeyId": key, "KmsDataKeyReusePeriodSeconds": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="encrypted")
    kms.disable_key(KeyId=key)
    sqs.send_message(QueueUrl=url, MessageBody="same data key")  # within the reuse period
    server.admin("/_pocketcloud/clock", {"advance": "61s"})
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="new data key needed")
    assert error_of(exc) == ("KMS.DisabledException", 400)
    with pytest.raises(ClientError) as exc:
        sqs.receive_message(QueueUrl=url)
    assert error_of(exc) == ("KMS.DisabledException", 400)
    kms.enable_key(KeyId=key)
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 2
    managed = sqs.create_queue(QueueName=unique + "-managed", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})
    sqs.send_message(QueueUrl=managed["QueueUrl"], MessageBody="with the AWS managed key")
    missing = sqs.create_queue(QueueName=unique + "-missing", Attributes={"KmsMasterKeyId": "alias/no-such-key"})
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=missing["QueueUrl"], MessageBody="x")
    assert error_of(exc) == ("KMS.NotFoundException", 400)
