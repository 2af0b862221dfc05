"""SNS to HTTP endpoints: a real POST with AWS's headers to a local http.server receiver, the
SubscriptionConfirmation handshake, signatures verified the way a receiver does (certificate
fetched from SigningCertURL), retries per the delivery policy on the virtual clock, and the
subscription's dead-letter queue once retries are exhausted."""

from __future__ import annotations

import base64
import json
import queue
import threading
from datetime import datetime
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from conftest import queue_arn


WAIT = 20  # seconds to wait for a delivery that must come (a bound, not a timing assertion)


class Receiver:
    """An HTTP endpoint recording what SNS posts; answers `fail` 500s before succeeding."""

    def __init__(self):
        self.received: queue.Queue = queue.Queue()
        self.fail = 0
        self.hold: threading.Event | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.put((self.path, {k.lower(): v for k, v in self.headers.items()}, body.decode()))
                if receiver.hold is not None:  # keep the sender waiting (a delivery in flight)
                    receiver.hold.wait(WAIT)
                status = 200
                if receiver.fail > 0:
                    receiver.fail -= 1
                    status = 500
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def next(self):
        return self.received.get(timeout=WAIT)

    def close(self):
        if self.hold is not None:
            self.hold.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def verify_signature(message: dict) -> None:
    """What a receiver does: fetch the certificate, rebuild the canonical string, verify."""
    with urllib.request.urlopen(message["SigningCertURL"], timeout=10) as resp:
        cert = x509.load_pem_x509_certificate(resp.read())
    if message["Type"] == "Notification":
        fields = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        fields = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    canonical = "".join(f"{f}\n{message[f]}\n" for f in fields if f in message).encode()
    digest = hashes.SHA256() if message["SignatureVersion"] == "2" else hashes.SHA1()
    cert.public_key().verify(base64.b64decode(message["Signature"]), canonical, padding.PKCS1v15(), digest)


def confirmed_subscription(sns, topic, receiver, **attributes) -> str:
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url + "/hook", Attributes=attributes)
    _, _, body = receiver.next()
    token = json.loads(body)["Token"]
    return sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]


def test_confirmation_handshake_and_signed_notification(own_server, unique, receiver):
    sns = own_server.client("sns")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url + "/hook")["SubscriptionArn"] == \
        "pending confirmation"
    path, headers, body = receiver.next()
    assert path == "/hook"
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == topic
    assert headers["user-agent"] == "Amazon Simple Notification Service Agent"
    confirmation = json.loads(body)
    assert confirmation["Type"] == "SubscriptionConfirmation" and confirmation["TopicArn"] == topic
    assert headers["x-amz-sns-message-id"] == confirmation["MessageId"]
    verify_signature(confirmation)
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in listed] == ["PendingConfirmation"]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsPending"] == "1"

    # The receiver confirms by fetching the SubscribeURL, as an AWS receiver would.
    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=10) as resp:
        answer = resp.read().decode()
    assert "<SubscriptionArn>" + topic in answer
    sub = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]["SubscriptionArn"]
    assert sub.startswith(topic + ":")

    message_id = sns.publish(TopicArn=topic, Message="hello", Subject="greeting",
                             MessageAttributes={"n": {"DataType": "Number", "StringValue": "7"},
                                                "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})["MessageId"]
    _, headers, body = receiver.next()
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-message-id"] == message_id
    assert headers["x-amz-sns-subscription-arn"] == sub
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    note = json.loads(body)
    assert list(note) == ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
                          "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes"]
    assert (note["Message"], note["Subject"], note["SignatureVersion"]) == ("hello", "greeting", "1")
    assert note["MessageAttributes"] == {"n": {"Type": "Number", "Value": "7"},
                                         "b": {"Type": "Binary", "Value": "AAE="}}
    verify_signature(note)
    tampered = {**note, "Message": "hello!"}
    with pytest.raises(Exception):
        verify_signature(tampered)


def test_signature_version_2_and_raw_delivery(own_server, unique, receiver):
    sns = own_server.client("sns")
    topic = sns.create_topic(Name=unique, Attributes={"SignatureVersion": "2"})["TopicArn"]
    sub = confirmed_subscription(sns, topic, receiver)
    sns.publish(TopicArn=topic, Message="v2")
    _, _, body = receiver.next()
    note = json.loads(body)
    assert note["SignatureVersion"] == "2" and "Subject" not in note
    verify_signature(note)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
    sns.publish(TopicArn=topic, Message="raw body")
    _, headers, body = receiver.next()
    assert body == "raw body" and headers["x-amz-sns-rawdelivery"] == "true"


def test_request_policy_sets_the_content_type(own_server, unique, receiver):
    sns = own_server.client("sns")
    policy = {"http": {"defaultRequestPolicy": {"headerContentType": "application/json"}}}
    topic = sns.create_topic(Name=unique, Attributes={"DeliveryPolicy": json.dumps(policy)})["TopicArn"]
    confirmed_subscription(sns, topic, receiver)
    sns.publish(TopicArn=topic, Message="typed")
    _, headers, body = receiver.next()
    assert headers["content-type"] == "application/json" and json.loads(body)["Message"] == "typed"


def test_confirm_with_a_bad_or_expired_token(own_server, unique, receiver):
    sns = own_server.client("sns")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url)
    token = json.loads(receiver.next()[2])["Token"]
    with pytest.raises(ClientError) as exc:
        sns.confirm_subscription(TopicArn=topic, Token="0" * len(token))
    assert exc.value.response["Error"]["Code"] == "InvalidParameter"
    own_server.admin("/_pocketcloud/clock", {"advance": "3d1s"})
    with pytest.raises(ClientError) as exc:  # tokens are valid for three days
        sns.confirm_subscription(TopicArn=topic, Token=token)
    assert exc.value.response["Error"]["Code"] == "InvalidParameter"


def wait_for_retry(server, sub: str, attempt: int) -> dict:
    """The pending retry of a subscription, once the server has scheduled it."""
    for _ in range(200):
        found = [r for r in server.admin(f"/_pocketcloud/sns/retries?subscription={sub}")["retries"]
                 if r["Attempt"] == attempt]
        if found:
            return found[0]
        threading.Event().wait(0.05)
    raise AssertionError(f"no retry {attempt} was scheduled")


def test_retries_follow_the_delivery_policy_then_dead_letter(own_server, unique, receiver):
    sns, sqs = own_server.client("sns"), own_server.client("sqs")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    dlq = sqs.create_queue(QueueName=unique + "-dlq")["QueueUrl"]
    dlq_arn = queue_arn(sqs, dlq)
    policy = {"healthyRetryPolicy": {"numRetries": 2, "minDelayTarget": 5, "maxDelayTarget": 5,
                                     "backoffFunction": "linear"}}
    sub = confirmed_subscription(sns, topic, receiver, DeliveryPolicy=json.dumps(policy),
                                 RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn}))
    effective = json.loads(sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["EffectiveDeliveryPolicy"])
    assert effective["healthyRetryPolicy"]["numRetries"] == 2

    # One failure, then success: the retry comes when the clock reaches the policy's delay.
    receiver.fail = 1
    message_id = sns.publish(TopicArn=topic, Message="retry me")["MessageId"]
    assert json.loads(receiver.next()[2])["MessageId"] == message_id
    retry = wait_for_retry(own_server, sub, 1)
    now = datetime.fromisoformat(own_server.admin("/_pocketcloud/clock")["now"].replace("Z", "+00:00")).timestamp()
    assert retry["MessageId"] == message_id and 4 < retry["Due"] - now <= 5
    assert receiver.received.empty()
    own_server.admin("/_pocketcloud/clock", {"advance": "5s"})
    assert json.loads(receiver.next()[2])["MessageId"] == message_id

    # Always failing: 1 attempt + 2 retries, then the message goes to the dead-letter queue.
    receiver.fail = 3
    message_id = sns.publish(TopicArn=topic, Message="doomed")["MessageId"]
    receiver.next()
    for attempt in (1, 2):
        wait_for_retry(own_server, sub, attempt)
        own_server.admin("/_pocketcloud/clock", {"advance": "5s"})
        receiver.next()
    got = []
    for _ in range(100):
        got = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"], WaitTimeSeconds=1).get("Messages", [])
        if got:
            break
    assert len(got) == 1
    dead = json.loads(got[0]["Body"])
    assert (dead["MessageId"], dead["Message"]) == (message_id, "doomed")
    assert got[0]["MessageAttributes"]["RequestID"]["StringValue"] == message_id
    assert receiver.received.empty()


def test_unsubscribe_sends_unsubscribe_confirmation(own_server, unique, receiver):
    sns = own_server.client("sns")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    sub = confirmed_subscription(sns, topic, receiver)
    sns.publish(TopicArn=topic, Message="one")
    note = json.loads(receiver.next()[2])
    # The receiver unsubscribes through the UnsubscribeURL of the notification.
    with urllib.request.urlopen(note["UnsubscribeURL"], timeout=10) as resp:
        assert resp.status == 200
    _, headers, body = receiver.next()
    assert headers["x-amz-sns-message-type"] == "UnsubscribeConfirmation"
    verify_signature(json.loads(body))
    with pytest.raises(ClientError) as exc:
        sns.get_subscription_attributes(SubscriptionArn=sub)
    assert exc.value.response["Error"]["Code"] == "NotFound"
    sns.publish(TopicArn=topic, Message="two")
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_subscribing_again_resends_the_confirmation(own_server, unique, receiver):
    sns = own_server.client("sns")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    first = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url, ReturnSubscriptionArn=True)
    token = json.loads(receiver.next()[2])["Token"]
    again = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url, ReturnSubscriptionArn=True)
    assert again["SubscriptionArn"] == first["SubscriptionArn"]
    resent = json.loads(receiver.next()[2])
    assert resent["Token"] == token
    # Confirmed by fetching the SubscribeURL: not an authenticated confirmation.
    with urllib.request.urlopen(resent["SubscribeURL"], timeout=10) as resp:
        assert resp.status == 200
    attrs = sns.get_subscription_attributes(SubscriptionArn=first["SubscriptionArn"])["Attributes"]
    assert attrs["PendingConfirmation"] == "false" and attrs["ConfirmationWasAuthenticated"] == "false"
    assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url)["SubscriptionArn"] == \
        first["SubscriptionArn"]
    assert receiver.received.empty()


def test_authenticate_on_unsubscribe(own_server, unique, receiver):
    sns = own_server.client("sns")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url)
    token = json.loads(receiver.next()[2])["Token"]
    sub = sns.confirm_subscription(TopicArn=topic, Token=token, AuthenticateOnUnsubscribe="true")["SubscriptionArn"]
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["ConfirmationWasAuthenticated"] == "true"
    sns.publish(TopicArn=topic, Message="m")
    note = json.loads(receiver.next()[2])
    with pytest.raises(urllib.error.HTTPError) as exc:  # the unauthenticated UnsubscribeURL is refused
        urllib.request.urlopen(note["UnsubscribeURL"], timeout=10)
    assert exc.value.code == 403 and b"<Code>AuthorizationError</Code>" in exc.value.read()
    sns.unsubscribe(SubscriptionArn=sub)  # the owner, authenticated, may
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_signing_certificate_is_served(own_server, unique):
    sns, sqs = own_server.client("sns"), own_server.client("sqs")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    arn = queue_arn(sqs, url)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="m")
    note = json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])
    verify_signature(note)
    assert note["SigningCertURL"].startswith(own_server.endpoint + "/_aws/sns/SimpleNotificationService-")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(own_server.endpoint + "/_aws/sns/SimpleNotificationService-other.pem", timeout=10)
    assert exc.value.code == 404
