"""SNS state and pending HTTP retries survive a SIGKILL and restart; the signing key too."""

from __future__ import annotations

import json
import signal
import threading

from conftest import Server
from test_sns_http import Receiver, verify_signature


def test_topics_subscriptions_and_retries_survive_sigkill(tmp_path):
    receiver = Receiver()
    srv = Server(data_dir=tmp_path / "data").start()
    again = None
    try:
        sns = srv.client("sns")
        topic = sns.create_topic(Name="kept", Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url)
        sub = sns.confirm_subscription(TopicArn=topic, Token=json.loads(receiver.next()[2])["Token"])["SubscriptionArn"]
        receiver.fail = 1
        message_id = sns.publish(TopicArn=topic, Message="survive")["MessageId"]
        first = json.loads(receiver.next()[2])
        for _ in range(200):
            retries = srv.admin("/_pocketcloud/sns/retries")["retries"]
            if retries:
                break
            threading.Event().wait(0.05)
        assert [(r["SubscriptionArn"], r["MessageId"], r["Attempt"]) for r in retries] == [(sub, message_id, 1)]
        srv.kill(signal.SIGKILL)

        again = Server(data_dir=tmp_path / "data").start()
        sns = again.client("sns")
        assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "k", "Value": "v"}]
        assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["PendingConfirmation"] == "false"
        assert [r["MessageId"] for r in again.admin("/_pocketcloud/sns/retries")["retries"]] == [message_id]
        again.admin("/_pocketcloud/clock", {"advance": "20s"})  # the default policy: 20 s between tries
        retried = json.loads(receiver.next()[2])
        assert retried["MessageId"] == message_id
        # The same signing key and certificate after the restart.
        assert retried["SigningCertURL"].rsplit("/", 1)[1] == first["SigningCertURL"].rsplit("/", 1)[1]
        # (The body was signed before the crash, when the server listened on another port.)
        verify_signature({**retried, "SigningCertURL": again.endpoint + "/_aws/sns/" + first["SigningCertURL"].rsplit("/", 1)[1]})
    finally:
        srv.stop()
        if again is not None:
            again.stop()
        receiver.close()


def test_a_delivery_in_flight_at_sigkill_is_made_after_restart(tmp_path):
    receiver = Receiver()
    srv = Server(data_dir=tmp_path / "data").start()
    again = None
    try:
        sns = srv.client("sns")
        topic = sns.create_topic(Name="inflight")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url)
        sns.confirm_subscription(TopicArn=topic, Token=json.loads(receiver.next()[2])["Token"])
        receiver.hold = threading.Event()
        message_id = sns.publish(TopicArn=topic, Message="in flight")["MessageId"]
        assert json.loads(receiver.next()[2])["MessageId"] == message_id  # received, not yet answered
        srv.kill(signal.SIGKILL)
        receiver.hold.set()
        receiver.hold = None
        again = Server(data_dir=tmp_path / "data").start()
        assert json.loads(receiver.next()[2])["MessageId"] == message_id  # tried again, as AWS would
    finally:
        srv.stop()
        if again is not None:
            again.stop()
        receiver.close()
