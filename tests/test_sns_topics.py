"""SNS topics: standard and FIFO, attributes, tags, permissions, data protection policy,
platform applications and endpoints, SMS settings; AWS's error codes throughout."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from conftest import aws_error, queue_arn


def test_create_get_list_delete_topic(server, unique):
    sns = server.client("sns")
    arn = sns.create_topic(Name=unique)["TopicArn"]
    assert arn == f"arn:aws:sns:us-east-1:000000000000:{unique}"
    assert sns.create_topic(Name=unique)["TopicArn"] == arn  # idempotent
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["TopicArn"] == arn and attrs["Owner"] == "000000000000"
    assert attrs["SubscriptionsConfirmed"] == "0" and attrs["SubscriptionsPending"] == "0"
    policy = json.loads(attrs["Policy"])
    assert policy["Statement"][0]["Resource"] == arn
    delivery = json.loads(attrs["EffectiveDeliveryPolicy"])
    assert delivery["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3
    assert "FifoTopic" not in attrs
    listed = [t["TopicArn"] for t in sns.get_paginator("list_topics").paginate().build_full_result()["Topics"]]
    assert arn in listed
    sns.delete_topic(TopicArn=arn)
    with pytest.raises(ClientError) as exc:
        sns.get_topic_attributes(TopicArn=arn)
    assert aws_error(exc) == ("NotFound", 404)
    sns.delete_topic(TopicArn=arn)  # deleting again succeeds, as on AWS


def test_list_topics_pages_by_100(unique):
    from conftest import Server

    server = Server().start()
    try:
        sns = server.client("sns", region="eu-west-1")
        for i in range(105):
            sns.create_topic(Name=f"{unique}-{i:03d}")
        first = sns.list_topics()
        assert len(first["Topics"]) == 100 and "NextToken" in first
        second = sns.list_topics(NextToken=first["NextToken"])
        assert len(second["Topics"]) == 5 and "NextToken" not in second
    finally:
        server.stop()


def test_topic_names_are_checked(server, unique):
    sns = server.client("sns")
    for bad in ("has space", "x" * 257, "bad/name"):
        with pytest.raises(ClientError) as exc:
            sns.create_topic(Name=bad)
        assert aws_error(exc) == ("InvalidParameter", 400)
    with pytest.raises(ClientError) as exc:  # a .fifo name needs FifoTopic=true
        sns.create_topic(Name=unique + ".fifo")
    assert aws_error(exc) == ("InvalidParameter", 400)
    with pytest.raises(ClientError) as exc:  # FifoTopic=true needs a .fifo name
        sns.create_topic(Name=unique, Attributes={"FifoTopic": "true"})
    assert aws_error(exc) == ("InvalidParameter", 400)


def test_fifo_topic_attributes(server, unique):
    sns = server.client("sns")
    arn = sns.create_topic(Name=unique + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["FifoTopic"] == "true" and attrs["ContentBasedDeduplication"] == "false"
    sns.set_topic_attributes(TopicArn=arn, AttributeName="ContentBasedDeduplication", AttributeValue="true")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["ContentBasedDeduplication"] == "true"
    with pytest.raises(ClientError) as exc:  # FifoTopic cannot change after creation
        sns.set_topic_attributes(TopicArn=arn, AttributeName="FifoTopic", AttributeValue="false")
    assert aws_error(exc) == ("InvalidParameter", 400)
    standard = sns.create_topic(Name=unique)["TopicArn"]
    with pytest.raises(ClientError) as exc:
        sns.set_topic_attributes(TopicArn=standard, AttributeName="ContentBasedDeduplication", AttributeValue="true")
    assert aws_error(exc) == ("InvalidParameter", 400)


def test_create_existing_topic_with_other_attributes_fails(server, unique):
    sns = server.client("sns")
    sns.create_topic(Name=unique, Attributes={"DisplayName": "one"})
    with pytest.raises(ClientError) as exc:
        sns.create_topic(Name=unique, Attributes={"DisplayName": "two"})
    assert aws_error(exc) == ("InvalidParameter", 400)


def test_set_topic_attributes(server, unique):
    sns = server.client("sns")
    arn = sns.create_topic(Name=unique)["TopicArn"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Shown")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="2")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue="alias/aws/sns")
    policy = {"http": {"defaultHealthyRetryPolicy": {"numRetries": 5, "minDelayTarget": 1, "maxDelayTarget": 30,
                                                     "backoffFunction": "exponential"}}}
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy))
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["DisplayName"] == "Shown" and attrs["SignatureVersion"] == "2"
    assert attrs["KmsMasterKeyId"] == "alias/aws/sns"
    effective = json.loads(attrs["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]
    assert effective["numRetries"] == 5 and effective["backoffFunction"] == "exponential"
    for name, value in (("SignatureVersion", "3"), ("Nope", "x"), ("Policy", "{not json"),
                        ("DeliveryPolicy", json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 101}}})),
                        ("DeliveryPolicy", json.dumps({"http": {"defaultHealthyRetryPolicy": {  # over an hour
                            "numRetries": 40, "minDelayTarget": 100, "maxDelayTarget": 100}}})),
                        ("TracingConfig", "Sometimes")):
        with pytest.raises(ClientError) as exc:
            sns.set_topic_attributes(TopicArn=arn, AttributeName=name, AttributeValue=value)
        assert aws_error(exc) == ("InvalidParameter", 400), name
    with pytest.raises(ClientError) as exc:
        sns.set_topic_attributes(TopicArn=arn + "x", AttributeName="DisplayName", AttributeValue="a")
    assert aws_error(exc) == ("NotFound", 404)


def test_tags(server, unique):
    sns = server.client("sns")
    arn = sns.create_topic(Name=unique, Tags=[{"Key": "team", "Value": "a"}])["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "b"}])
    tags = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert tags == [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "b"}]
    sns.untag_resource(ResourceArn=arn, TagKeys=["env"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "b"}]
    with pytest.raises(ClientError) as exc:
        sns.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert aws_error(exc) == ("TagLimitExceeded", 400)
    with pytest.raises(ClientError) as exc:
        sns.list_tags_for_resource(ResourceArn=arn + "-missing")
    assert aws_error(exc) == ("ResourceNotFound", 404)


def test_permissions_edit_the_policy(server, unique):
    sns = server.client("sns")
    arn = sns.create_topic(Name=unique)["TopicArn"]
    sns.add_permission(TopicArn=arn, Label="share", AWSAccountId=["111122223333"], ActionName=["Publish"])
    statements = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])["Statement"]
    shared = [s for s in statements if s["Sid"] == "share"][0]
    assert shared["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"} and shared["Action"] == "SNS:Publish"
    with pytest.raises(ClientError) as exc:
        sns.add_permission(TopicArn=arn, Label="share", AWSAccountId=["111122223333"], ActionName=["Publish"])
    assert aws_error(exc) == ("InvalidParameter", 400)
    sns.remove_permission(TopicArn=arn, Label="share")
    statements = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["__default_statement_ID"]
    custom = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                                                      "Action": "sns:Publish", "Resource": arn}]}
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(custom))
    assert json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"]) == custom


def test_data_protection_policy_is_stored(server, unique):
    sns = server.client("sns")
    policy = json.dumps({"Name": "p", "Description": "", "Version": "2021-06-01", "Statement": [
        {"Sid": "deny", "DataDirection": "Inbound", "Principal": ["*"],
         "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
         "Operation": {"Deny": {}}}]})
    arn = sns.create_topic(Name=unique, DataProtectionPolicy=policy)["TopicArn"]
    assert sns.get_data_protection_policy(ResourceArn=arn)["DataProtectionPolicy"] == policy
    other = sns.create_topic(Name=unique + "b")["TopicArn"]
    assert "DataProtectionPolicy" not in sns.get_data_protection_policy(ResourceArn=other)
    sns.put_data_protection_policy(ResourceArn=other, DataProtectionPolicy=policy)
    assert sns.get_data_protection_policy(ResourceArn=other)["DataProtectionPolicy"] == policy
    with pytest.raises(ClientError) as exc:
        sns.put_data_protection_policy(ResourceArn=other, DataProtectionPolicy="{broken")
    assert aws_error(exc) == ("InvalidParameter", 400)


def test_topics_are_per_region_and_account(server, unique):
    east = server.client("sns")
    west = server.client("sns", region="us-west-2")
    other = server.client("sns", key="111111111111")
    arn = east.create_topic(Name=unique)["TopicArn"]
    assert arn not in [t["TopicArn"] for t in west.list_topics()["Topics"]]
    assert arn not in [t["TopicArn"] for t in other.list_topics()["Topics"]]
    assert other.create_topic(Name=unique)["TopicArn"] == f"arn:aws:sns:us-east-1:111111111111:{unique}"


def test_platform_applications_and_endpoints(server, unique):
    sns = server.client("sns")
    app = sns.create_platform_application(Name=unique, Platform="GCM",
                                          Attributes={"PlatformCredential": "server-key"})["PlatformApplicationArn"]
    assert app == f"arn:aws:sns:us-east-1:000000000000:app/GCM/{unique}"
    assert "PlatformCredential" not in sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"]
    endpoint = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1",
                                            CustomUserData="user-7")["EndpointArn"]
    assert sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1",
                                        CustomUserData="user-7")["EndpointArn"] == endpoint
    attrs = sns.get_endpoint_attributes(EndpointArn=endpoint)["Attributes"]
    assert attrs == {"Enabled": "true", "Token": "device-1", "CustomUserData": "user-7"}
    listed = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]
    assert [e["EndpointArn"] for e in listed] == [endpoint]
    payload = json.dumps({"default": "plain", "GCM": json.dumps({"notification": {"title": "hi"}})})
    message_id = sns.publish(TargetArn=endpoint, Message=payload, MessageStructure="json")["MessageId"]
    sent = server.admin(f"/_pocketcloud/sns/outbox?endpoint={endpoint}")["messages"]
    assert [(m["MessageId"], m["Platform"], json.loads(m["Message"])) for m in sent] == [
        (message_id, "GCM", {"notification": {"title": "hi"}})]
    # Through a topic: the platform's payload too; a disabled endpoint's messages go to the DLQ.
    sqs = server.client("sqs")
    dlq = sqs.create_queue(QueueName=unique + "-dlq")["QueueUrl"]
    dlq_arn = queue_arn(sqs, dlq)
    topic = sns.create_topic(Name=unique)["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=endpoint,
                        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})["SubscriptionArn"]
    fanned = sns.publish(TopicArn=topic, Message=payload, MessageStructure="json")["MessageId"]
    sent = server.admin(f"/_pocketcloud/sns/outbox?subscription={sub}")["messages"]
    assert [(m["MessageId"], m["Token"], json.loads(m["Message"])) for m in sent] == [
        (fanned, "device-1", {"notification": {"title": "hi"}})]
    sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    dead_id = sns.publish(TopicArn=topic, Message="to a disabled device")["MessageId"]
    [dead] = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    assert dead["MessageAttributes"]["ErrorCode"]["StringValue"] == "EndpointDisabled"
    assert json.loads(dead["Body"])["MessageId"] == dead_id
    with pytest.raises(ClientError) as exc:
        sns.publish(TargetArn=endpoint, Message="x")
    assert aws_error(exc) == ("EndpointDisabled", 400)
    sns.delete_endpoint(EndpointArn=endpoint)
    with pytest.raises(ClientError) as exc:
        sns.get_endpoint_attributes(EndpointArn=endpoint)
    assert aws_error(exc) == ("NotFound", 404)
    with pytest.raises(ClientError) as exc:
        sns.create_platform_application(Name=unique, Platform="PIGEON", Attributes={"PlatformCredential": "x"})
    assert aws_error(exc) == ("InvalidParameter", 400)
    sns.delete_platform_application(PlatformApplicationArn=app)
    assert app not in [a["PlatformApplicationArn"] for a in sns.list_platform_applications()["PlatformApplications"]]


def test_sms_publish_and_settings(server, unique):
    sns = server.client("sns")
    number = "+1555" + str(int(unique[1:9], 16) % 10_000_000).zfill(7)
    message_id = sns.publish(PhoneNumber=number, Message="your code is 1234")["MessageId"]
    sent = server.admin(f"/_pocketcloud/sns/outbox?protocol=sms&endpoint=%2B{number[1:]}")["messages"]
    assert [(m["MessageId"], m["Message"]) for m in sent] == [(message_id, "your code is 1234")]
    with pytest.raises(ClientError) as exc:
        sns.publish(PhoneNumber="12", Message="x")
    assert aws_error(exc) == ("InvalidParameter", 400)
    sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional", "DefaultSenderID": "Pocket"})
    assert sns.get_sms_attributes(attributes=["DefaultSMSType"])["attributes"] == {"DefaultSMSType": "Transactional"}
    with pytest.raises(ClientError) as exc:
        sns.set_sms_attributes(attributes={"DefaultSMSType": "Loud"})
    assert aws_error(exc) == ("InvalidParameter", 400)
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is False


def test_other_accounts_need_the_topic_policy(server, unique):
    owner, other = server.client("sns"), server.client("sns", key="333333333333")
    arn = owner.create_topic(Name=unique)["TopicArn"]
    with pytest.raises(ClientError) as exc:
        other.publish(TopicArn=arn, Message="not yet")
    assert aws_error(exc) == ("AuthorizationError", 403)
    with pytest.raises(ClientError) as exc:
        other.subscribe(TopicArn=arn, Protocol="sms", Endpoint="+15550003333")
    assert aws_error(exc) == ("AuthorizationError", 403)
    owner.add_permission(TopicArn=arn, Label="let-publish", AWSAccountId=["333333333333"], ActionName=["Publish"])
    assert other.publish(TopicArn=arn, Message="allowed")["MessageId"]
    with pytest.raises(ClientError) as exc:  # only Publish was granted
        other.subscribe(TopicArn=arn, Protocol="sms", Endpoint="+15550003333")
    assert aws_error(exc) == ("AuthorizationError", 403)


def test_sms_sandbox_numbers_are_verified_with_the_code_sent(server, unique):
    sns = server.client("sns")
    number = "+1666" + str(int(unique[1:9], 16) % 10_000_000).zfill(7)
    sns.create_sms_sandbox_phone_number(PhoneNumber=number, LanguageCode="en-US")
    listed = sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"]
    assert {"PhoneNumber": number, "Status": "Pending"} in listed
    [sent] = server.admin(f"/_pocketcloud/sns/outbox?endpoint=%2B{number[1:]}")["messages"]
    with pytest.raises(ClientError) as exc:
        sns.verify_sms_sandbox_phone_number(PhoneNumber=number, OneTimePassword="not-it")
    assert aws_error(exc) == ("VerificationException", 400)
    sns.verify_sms_sandbox_phone_number(PhoneNumber=number, OneTimePassword=sent["OneTimePassword"])
    assert {"PhoneNumber": number, "Status": "Verified"} in sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"]
    sns.delete_sms_sandbox_phone_number(PhoneNumber=number)
    with pytest.raises(ClientError) as exc:
        sns.delete_sms_sandbox_phone_number(PhoneNumber=number)
    assert aws_error(exc) == ("ResourceNotFound", 404)
    assert sns.get_sms_sandbox_account_status()["IsInSandbox"] is False
