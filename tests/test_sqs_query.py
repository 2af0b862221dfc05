"""SQS over the query protocol (Action=...&Version=2012-11-05, XML answers), as older SDKs,
tools and scripts still speak it: raw form requests signed with SigV4, and the AWS CLI."""

import hashlib
import json
import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NS = {"q": "http://queue.amazonaws.com/doc/2012-11-05/"}


def query(server, params: dict, url: str | None = None) -> tuple[int, ET.Element]:
    """POST a signed query-protocol request; (status, parsed XML)."""
    body = urllib.parse.urlencode({**params, "Version": "2012-11-05"})
    request = AWSRequest("POST", url or server.endpoint + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(request.url, data=body.encode(), headers=dict(request.headers), method="POST")
    try:
        with urllib.request.urlopen(prepared, timeout=10) as resp:
            return resp.status, ET.fromstring(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, ET.fromstring(exc.read())


def text(root: ET.Element, path: str) -> str | None:
    found = root.find(path, NS)
    return None if found is None else found.text


def create(server, name: str, **attributes) -> str:
    params = {"Action": "CreateQueue", "QueueName": name}
    for i, (key, value) in enumerate(attributes.items(), 1):
        params[f"Attribute.{i}.Name"] = key
        params[f"Attribute.{i}.Value"] = value
    status, root = query(server, params)
    assert status == 200, ET.tostring(root)
    return text(root, "q:CreateQueueResult/q:QueueUrl")


def test_create_send_receive_delete_in_query_protocol(server, unique):
    url = create(server, unique, VisibilityTimeout="45")
    assert url.endswith(f"/000000000000/{unique}")
    status, root = query(server, {"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "All"})
    attrs = {a.find("q:Name", NS).text: a.find("q:Value", NS).text
             for a in root.findall("q:GetQueueAttributesResult/q:Attribute", NS)}
    assert attrs["VisibilityTimeout"] == "45" and attrs["QueueArn"].endswith(unique)
    status, root = query(server, {
        "Action": "SendMessage", "QueueUrl": url, "MessageBody": "über",
        "MessageAttribute.1.Name": "colour", "MessageAttribute.1.Value.DataType": "String",
        "MessageAttribute.1.Value.StringValue": "blue"})
    assert status == 200
    assert text(root, "q:SendMessageResult/q:MD5OfMessageBody") == hashlib.md5("über".encode()).hexdigest()
    assert text(root, "q:SendMessageResult/q:MD5OfMessageAttributes") is not None
    assert text(root, "q:ResponseMetadata/q:RequestId")
    status, root = query(server, {"Action": "ReceiveMessage", "QueueUrl": url, "AttributeName.1": "All",
                                  "MessageAttributeName.1": "All", "MaxNumberOfMessages": "10"})
    messages = root.findall("q:ReceiveMessageResult/q:Message", NS)
    assert len(messages) == 1
    message = messages[0]
    assert text(message, "q:Body") == "über"
    system = {a.find("q:Name", NS).text: a.find("q:Value", NS).text for a in message.findall("q:Attribute", NS)}
    assert system["ApproximateReceiveCount"] == "1"
    attribute = message.find("q:MessageAttribute", NS)
    assert text(attribute, "q:Name") == "colour"
    assert text(attribute, "q:Value/q:StringValue") == "blue"
    assert text(attribute, "q:Value/q:DataType") == "String"
    status, root = query(server, {"Action": "DeleteMessage", "QueueUrl": url,
                                  "ReceiptHandle": text(message, "q:ReceiptHandle")})
    assert status == 200 and root.tag == "{%s}DeleteMessageResponse" % NS["q"]
    status, root = query(server, {"Action": "ReceiveMessage", "QueueUrl": url})
    assert root.findall("q:ReceiveMessageResult/q:Message", NS) == []


def test_boto3_and_query_see_the_same_queue(server, unique):
    url = create(server, unique)
    query(server, {"Action": "SendMessage", "QueueUrl": url, "MessageBody": "from query"})
    got = server.client("sqs").receive_message(QueueUrl=url)["Messages"]
    assert got[0]["Body"] == "from query"


def test_batches_tags_and_listing_in_query_protocol(server, unique):
    url = create(server, unique)
    status, root = query(server, {
        "Action": "SendMessageBatch", "QueueUrl": url,
        "SendMessageBatchRequestEntry.1.Id": "a", "SendMessageBatchRequestEntry.1.MessageBody": "one",
        "SendMessageBatchRequestEntry.2.Id": "b", "SendMessageBatchRequestEntry.2.MessageBody": "two",
        "SendMessageBatchRequestEntry.2.DelaySeconds": "901"})
    assert status == 200
    assert [text(e, "q:Id") for e in root.findall("q:SendMessageBatchResult/q:SendMessageBatchResultEntry", NS)] \
        == ["a"]
    failed = root.findall("q:SendMessageBatchResult/q:BatchResultErrorEntry", NS)
    assert [(text(e, "q:Id"), text(e, "q:Code"), text(e, "q:SenderFault")) for e in failed] \
        == [("b", "InvalidParameterValue", "true")]
    query(server, {"Action": "TagQueue", "QueueUrl": url, "Tag.1.Key": "team", "Tag.1.Value": "blue"})
    status, root = query(server, {"Action": "ListQueueTags", "QueueUrl": url})
    tags = {text(t, "q:Key"): text(t, "q:Value") for t in root.findall("q:ListQueueTagsResult/q:Tag", NS)}
    assert tags == {"team": "blue"}
    status, root = query(server, {"Action": "ListQueues", "QueueNamePrefix": unique})
    assert [u.text for u in root.findall("q:ListQueuesResult/q:QueueUrl", NS)] == [url]


def test_errors_in_query_protocol(server, unique):
    status, root = query(server, {"Action": "GetQueueUrl", "QueueName": "missing-" + unique})
    assert status == 400
    assert text(root, "q:Error/q:Code") == "AWS.SimpleQueueService.NonExistentQueue"
    assert text(root, "q:Error/q:Type") == "Sender"
    url = create(server, unique)
    entries = {}
    for i in range(1, 12):
        entries[f"SendMessageBatchRequestEntry.{i}.Id"] = f"e{i}"
        entries[f"SendMessageBatchRequestEntry.{i}.MessageBody"] = "x"
    status, root = query(server, {"Action": "SendMessageBatch", "QueueUrl": url, **entries})
    assert (status, text(root, "q:Error/q:Code")) == (400, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
    status, root = query(server, {"Action": "SendMessage", "QueueUrl": url})
    assert (status, text(root, "q:Error/q:Code")) == (400, "MissingParameter")
    status, root = query(server, {"Action": "CreateQueue", "QueueName": unique + "x",
                                  "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "99999"})
    assert (status, text(root, "q:Error/q:Code")) == (400, "InvalidAttributeValue")


def test_query_request_posted_to_the_queue_url(server, unique):
    url = create(server, unique)
    status, root = query(server, {"Action": "SendMessage", "MessageBody": "via path"}, url=url)
    assert status == 200
    status, root = query(server, {"Action": "ReceiveMessage"}, url=url)
    assert text(root, "q:ReceiveMessageResult/q:Message/q:Body") == "via path"


def test_aws_cli_smoke(server, unique):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1"}

    def aws(*args):
        out = subprocess.run(["aws", "--endpoint-url", server.endpoint, "sqs", *args, "--output", "json"],
                             capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else {}

    url = aws("create-queue", "--queue-name", unique)["QueueUrl"]
    aws("send-message", "--queue-url", url, "--message-body", "from the cli")
    got = aws("receive-message", "--queue-url", url)["Messages"]
    assert got[0]["Body"] == "from the cli"

