"""Subscription filter policies: every documented operator, on message attributes and on the
message body (nested keys), and InvalidParameter for policies AWS refuses. Delivery is observed
in SQS queues subscribed with raw message delivery."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from conftest import queue_arn


@pytest.fixture
def fanout(server, unique):
    """subscribe(policy, scope) -> queue url; publish(body, **attrs); received(url) -> bodies."""
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    count = [0]

    class Fanout:
        def subscribe(self, policy, scope=None):
            count[0] += 1
            url = sqs.create_queue(QueueName=f"{unique}-{count[0]}")["QueueUrl"]
            arn = queue_arn(sqs, url)
            attributes = {"RawMessageDelivery": "true", "FilterPolicy": json.dumps(policy)}
            if scope:
                attributes["FilterPolicyScope"] = scope
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)
            return url

        def publish(self, body="m", **attributes):
            encoded = {}
            for name, value in attributes.items():
                if isinstance(value, list):
                    encoded[name] = {"DataType": "String.Array", "StringValue": json.dumps(value)}
                elif isinstance(value, (int, float)):
                    encoded[name] = {"DataType": "Number", "StringValue": str(value)}
                else:
                    encoded[name] = {"DataType": "String", "StringValue": value}
            sns.publish(TopicArn=topic, Message=body, MessageAttributes=encoded)

        def received(self, url):
            bodies = []
            while True:
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not got:
                    return sorted(bodies)
                bodies += [m["Body"] for m in got]
                sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])

    return Fanout()


def test_attribute_operators(fanout):
    cases = {
        "exact": {"color": ["red", "blue"]},
        "prefix": {"color": [{"prefix": "gr"}]},
        "suffix": {"color": [{"suffix": "ue"}]},
        "ignore_case": {"color": [{"equals-ignore-case": "RED"}]},
        "anything_but": {"color": [{"anything-but": "red"}]},
        "anything_but_list": {"color": [{"anything-but": ["red", "blue"]}]},
        "anything_but_prefix": {"color": [{"anything-but": {"prefix": "gr"}}]},
        "exists": {"color": [{"exists": True}]},
        "not_exists": {"color": [{"exists": False}]},
        "and": {"color": ["red"], "size": ["L"]},
    }
    urls = {name: fanout.subscribe(policy) for name, policy in cases.items()}
    fanout.publish("red-L", color="red", size="L")
    fanout.publish("blue", color="blue")
    fanout.publish("green", color="green")
    fanout.publish("none")
    got = {name: fanout.received(url) for name, url in urls.items()}
    assert got == {
        "exact": ["blue", "red-L"],
        "prefix": ["green"],
        "suffix": ["blue"],
        "ignore_case": ["red-L"],
        "anything_but": ["blue", "green"],
        "anything_but_list": ["green"],
        "anything_but_prefix": ["blue", "red-L"],
        "exists": ["blue", "green", "red-L"],
        "not_exists": ["none"],
        "and": ["red-L"],
    }


def test_numeric_and_cidr_and_arrays(fanout):
    cases = {
        "equals": {"price": [{"numeric": ["=", 100]}]},
        "exact_number": {"price": [100]},
        "range": {"price": [{"numeric": [">", 0, "<=", 100]}]},
        "below": {"price": [{"numeric": ["<", 10]}]},
        "anything_but_number": {"price": [{"anything-but": [100]}]},
        "cidr": {"ip": [{"cidr": "10.0.0.0/24"}]},
        "cidr6": {"ip": [{"cidr": "2001:db8::/32"}]},
        "array": {"tags": ["b"]},
    }
    urls = {name: fanout.subscribe(policy) for name, policy in cases.items()}
    fanout.publish("p100", price=100)
    fanout.publish("p5", price=5.5)
    fanout.publish("p500", price=500)
    fanout.publish("ip-in", ip="10.0.0.7")
    fanout.publish("ip-out", ip="10.0.1.7")
    fanout.publish("ip6", ip="2001:db8::1")
    fanout.publish("arr", tags=["a", "b"])
    fanout.publish("arr-no", tags=["c"])
    got = {name: fanout.received(url) for name, url in urls.items()}
    assert got == {
        "equals": ["p100"], "exact_number": ["p100"], "range": ["p100", "p5"], "below": ["p5"],
        "anything_but_number": ["p5", "p500"], "cidr": ["ip-in"], "cidr6": ["ip6"], "array": ["arr"],
    }


def test_or_operator(fanout):
    url = fanout.subscribe({"source": ["aws.cloudwatch"], "$or": [{"metric": ["CPU"]}, {"namespace": ["AWS/EC2"]}]})
    fanout.publish("cpu", source="aws.cloudwatch", metric="CPU")
    fanout.publish("ec2", source="aws.cloudwatch", namespace="AWS/EC2")
    fanout.publish("neither", source="aws.cloudwatch", metric="Disk")
    fanout.publish("other-source", source="aws.s3", metric="CPU")
    assert fanout.received(url) == ["cpu", "ec2"]


def test_message_body_scope_with_nested_keys(fanout):
    url = fanout.subscribe({"order": {"status": ["paid"], "total": [{"numeric": [">=", 50]}]},
                            "customer": {"tier": [{"anything-but": "free"}]}, "note": [None]}, scope="MessageBody")
    def body(name, status, total, tier, note=None):
        return json.dumps({"name": name, "order": {"status": status, "total": total}, "customer": {"tier": tier},
                           "note": note})
    fanout.publish(body("yes", "paid", 70, "gold"))
    fanout.publish(body("cheap", "paid", 10, "gold"))
    fanout.publish(body("free", "paid", 70, "free"))
    fanout.publish(body("noted", "paid", 70, "gold", note="x"))
    fanout.publish("not json at all")
    assert [json.loads(b)["name"] for b in fanout.received(url)] == ["yes"]
    arrays = fanout.subscribe({"items": {"sku": [{"prefix": "A-"}]}}, scope="MessageBody")
    fanout.publish(json.dumps({"items": [{"sku": "B-1"}, {"sku": "A-2"}]}))
    fanout.publish(json.dumps({"items": [{"sku": "B-1"}]}))
    assert [json.loads(b)["items"][-1]["sku"] for b in fanout.received(arrays)] == ["A-2"]


def test_filter_policy_can_be_changed_and_removed(server, unique, fanout):
    sns = server.client("sns")
    url = fanout.subscribe({"color": ["red"]})
    fanout.publish("blue", color="blue")
    assert fanout.received(url) == []
    topic = sns.list_topics()["Topics"]
    sub = [s for t in topic if t["TopicArn"].endswith(":" + unique)
           for s in sns.list_subscriptions_by_topic(TopicArn=t["TopicArn"])["Subscriptions"]][0]["SubscriptionArn"]
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps({"color": ["blue"]}))
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert json.loads(attrs["FilterPolicy"]) == {"color": ["blue"]} and attrs["FilterPolicyScope"] == "MessageAttributes"
    fanout.publish("blue2", color="blue")
    assert fanout.received(url) == ["blue2"]
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue="")
    fanout.publish("any")
    assert fanout.received(url) == ["any"]


INVALID = [
    ("not json", None),
    ("[1, 2]", None),
    (json.dumps({"a": "not-a-list"}), None),
    (json.dumps({"a": []}), None),
    (json.dumps({k: ["x"] for k in "abcdef"}), None),  # more than 5 keys
    (json.dumps({"a": list(range(13)), "b": list(range(12))}), None),  # 156 combinations > 150
    (json.dumps({"a": [{"numeric": [">", "ten"]}]}), None),
    (json.dumps({"a": [{"numeric": ["<", 5, ">", 1]}]}), None),
    (json.dumps({"a": [{"numeric": [">", 10, "<", 5]}]}), None),
    (json.dumps({"a": [{"numeric": ["!=", 5]}]}), None),
    (json.dumps({"a": [{"exists": "yes"}]}), None),
    (json.dumps({"a": [{"cidr": "10.0.0.1"}]}), None),
    (json.dumps({"a": [{"cidr": "10.0.0.300/24"}]}), None),
    (json.dumps({"a": [{"prefix": 5}]}), None),
    (json.dumps({"a": [{"unknown-op": "x"}]}), None),
    (json.dumps({"a": [{"anything-but": {"wildcard": "x"}}]}), None),
    (json.dumps({"a": [None]}), None),  # null only in the MessageBody scope
    (json.dumps({"a": {"b": ["x"]}}), None),  # nesting only in the MessageBody scope
    (json.dumps({"$or": [{"a": ["x"]}]}), None),  # $or needs two alternatives
    (json.dumps({"a": {"b": ["x"]}, "c": {"d": {"e": ["x"]}}, "f": ["x"], "g": ["x"], "h": ["x"], "i": ["x"]}),
     "MessageBody"),
]


@pytest.mark.parametrize("policy,scope", INVALID)
def test_invalid_policies_are_refused(server, unique, policy, scope):
    sns = server.client("sns")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    queue_arn = f"arn:aws:sqs:us-east-1:000000000000:{unique}"
    attributes = {"FilterPolicy": policy}
    if scope:
        attributes["FilterPolicyScope"] = scope
    with pytest.raises(ClientError) as exc:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes)
    assert exc.value.response["Error"]["Code"] == "InvalidParameter"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "FilterPolicy" in exc.value.response["Error"]["Message"]


def test_scope_change_revalidates_policy(server, unique):
    sns = server.client("sns")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:us-east-1:000000000000:{unique}",
                        Attributes={"FilterPolicyScope": "MessageBody",
                                    "FilterPolicy": json.dumps({"a": {"b": ["x"]}})})["SubscriptionArn"]
    with pytest.raises(ClientError) as exc:  # the nested policy is not valid for attributes
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicyScope",
                                        AttributeValue="MessageAttributes")
    assert exc.value.response["Error"]["Code"] == "InvalidParameter"
    with pytest.raises(ClientError) as exc:
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="Body")
    assert exc.value.response["Error"]["Code"] == "InvalidParameter"
