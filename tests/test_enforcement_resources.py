"""Resource policies taking part in --enforce-iam decisions (with --enforce-signatures): S3 bucket
policies (another account, a user named directly, a deny that binds the root user, public
reads), SQS queue policies and SNS topic policies across accounts."""

from __future__ import annotations

import json

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import aws_error, enforcing_server
from test_enforcement import allow, doc, make_user
from test_sts import session_client, trust

OWNER, OTHER = "111111111111", "222222222222"


# A server enforcing signatures and IAM policies, this module's own (conftest).
strict = enforcing_server


def statement(effect, principal, action, resource):
    return {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource}


def test_bucket_policy_granting_another_account(strict, unique):
    s3 = strict.client("s3", key=OWNER)
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="shared.txt", Body=b"hello")
    s3.put_bucket_policy(Bucket=unique, Policy=doc(statement(
        "Allow", {"AWS": f"arn:aws:iam::{OTHER}:root"}, ["s3:GetObject", "s3:ListBucket"],
        [f"arn:aws:s3:::{unique}", f"arn:aws:s3:::{unique}/*"])))
    reader = make_user(strict, unique, managed=["arn:aws:iam::aws:policy/AmazonS3FullAccess"], account_key=OTHER)
    assert reader("s3").get_object(Bucket=unique, Key="shared.txt")["Body"].read() == b"hello"
    assert [o["Key"] for o in reader("s3").list_objects_v2(Bucket=unique)["Contents"]] == ["shared.txt"]
    # The bucket policy does not grant writes: the other account's full S3 access is not enough.
    with pytest.raises(ClientError) as exc:
        reader("s3").put_object(Bucket=unique, Key="mine.txt", Body=b"x")
    assert aws_error(exc) == ("AccessDenied", 403)
    assert "no resource-based policy allows the s3:PutObject action" in exc.value.response["Error"]["Message"]
    # A user of the other account without an identity policy gets nothing from the account grant.
    bare = make_user(strict, unique + "b", account_key=OTHER)
    with pytest.raises(ClientError) as exc:
        bare("s3").get_object(Bucket=unique, Key="shared.txt")
    assert aws_error(exc) == ("AccessDenied", 403)
    # A third account is not named at all.
    stranger = make_user(strict, unique, managed=["arn:aws:iam::aws:policy/AmazonS3FullAccess"],
                         account_key="333333333333")
    with pytest.raises(ClientError) as exc:
        stranger("s3").get_object(Bucket=unique, Key="shared.txt")
    assert aws_error(exc) == ("AccessDenied", 403)


def test_bucket_policy_naming_a_user_of_the_same_account(strict, unique):
    s3 = strict.client("s3", key=OWNER)
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="k", Body=b"v")
    user = make_user(strict, unique, account_key=OWNER)
    with pytest.raises(ClientError) as exc:
        user("s3").get_object(Bucket=unique, Key="k")
    assert aws_error(exc) == ("AccessDenied", 403)
    s3.put_bucket_policy(Bucket=unique, Policy=doc(statement(
        "Allow", {"AWS": f"arn:aws:iam::{OWNER}:user/{unique}"}, "s3:GetObject", f"arn:aws:s3:::{unique}/*")))
    assert user("s3").get_object(Bucket=unique, Key="k")["Body"].read() == b"v"


def test_bucket_policy_deny_binds_even_the_root_user(strict, unique):
    s3 = strict.client("s3", key=OWNER)
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="keep", Body=b"v")
    s3.put_bucket_policy(Bucket=unique, Policy=doc(statement("Deny", "*", "s3:DeleteObject",
                                                             f"arn:aws:s3:::{unique}/*")))
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=unique, Key="keep")
    assert aws_error(exc) == ("AccessDenied", 403)
    assert exc.value.response["Error"]["Message"].endswith("with an explicit deny in a resource-based policy")
    s3.delete_bucket_policy(Bucket=unique)
    s3.delete_object(Bucket=unique, Key="keep")


def test_public_read_by_bucket_policy(strict, unique):
    s3 = strict.client("s3", key=OWNER)
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="index.html", Body=b"<h1>hi</h1>")
    assert requests.get(f"{strict.endpoint}/{unique}/index.html").status_code == 403
    s3.delete_public_access_block(Bucket=unique)
    s3.put_bucket_policy(Bucket=unique, Policy=doc(statement("Allow", "*", "s3:GetObject",
                                                             f"arn:aws:s3:::{unique}/*")))
    response = requests.get(f"{strict.endpoint}/{unique}/index.html")
    assert response.status_code == 200 and response.content == b"<h1>hi</h1>"
    assert requests.put(f"{strict.endpoint}/{unique}/x", data=b"x").status_code == 403


def test_sqs_queue_policy_across_accounts(strict, unique):
    sqs = strict.client("sqs", key=OWNER)
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    arn = f"arn:aws:sqs:us-east-1:{OWNER}:{unique}"
    sender = make_user(strict, unique, inline=doc(allow("sqs:SendMessage")), account_key=OTHER)
    with pytest.raises(ClientError) as exc:
        sender("sqs").send_message(QueueUrl=url, MessageBody="hi")
    assert aws_error(exc) == ("AccessDenied", 403)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": doc(statement(
        "Allow", {"AWS": OTHER}, "sqs:SendMessage", arn))})
    sender("sqs").send_message(QueueUrl=url, MessageBody="hi")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "hi"


def test_sns_topic_policy_across_accounts(strict, unique):
    sns = strict.client("sns", key=OWNER)
    topic = sns.create_topic(Name=unique)["TopicArn"]
    publisher = make_user(strict, unique, inline=doc(allow("sns:Publish")), account_key=OTHER)
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [statement("Allow", {"AWS": f"arn:aws:iam::{OWNER}:root"},
                                                         "sns:Publish", topic)]}))
    with pytest.raises(ClientError) as exc:
        publisher("sns").publish(TopicArn=topic, Message="hi")
    assert aws_error(exc) == ("AuthorizationError", 403)
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [statement("Allow", {"AWS": OTHER}, "sns:Publish", topic)]}))
    assert publisher("sns").publish(TopicArn=topic, Message="hi")["MessageId"]


def test_lambda_resource_policy_across_accounts(strict, unique):
    import io
    import zipfile

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {'echo': event}\n")
    lam = strict.client("lambda", key=OWNER)
    arn = lam.create_function(FunctionName=unique, Runtime="python3.11", Role=f"arn:aws:iam::{OWNER}:role/r",
                              Handler="app.handler", Code={"ZipFile": code.getvalue()})["FunctionArn"]
    invoker = make_user(strict, unique, inline=doc(allow("lambda:InvokeFunction")), account_key=OTHER)
    with pytest.raises(ClientError) as exc:
        invoker("lambda").invoke(FunctionName=arn, Payload=b"{}")
    assert aws_error(exc) == ("AccessDeniedException", 403)
    lam.add_permission(FunctionName=unique, StatementId="other-account", Action="lambda:InvokeFunction",
                       Principal=OTHER)
    out = invoker("lambda").invoke(FunctionName=arn, Payload=json.dumps({"a": 1}).encode())
    assert json.loads(out["Payload"].read()) == {"echo": {"a": 1}}


def test_role_session_presigned_url(strict, unique):
    # A module-scoped server whose clock no other test moves: presigned URLs carry real time.
    s3 = strict.client("s3", key=OWNER)
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="k", Body=b"data")
    iam = strict.client("iam", key=OWNER)
    iam.create_role(RoleName=unique, AssumeRolePolicyDocument=trust({"AWS": OWNER}))
    iam.attach_role_policy(RoleName=unique, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    creds = strict.client("sts", key=OWNER).assume_role(RoleArn=f"arn:aws:iam::{OWNER}:role/{unique}",
                                                        RoleSessionName="presign")["Credentials"]
    session = session_client(strict, "s3", creds)
    url = session.generate_presigned_url("get_object", Params={"Bucket": unique, "Key": "k"}, ExpiresIn=300)
    assert "security-token=" in url.lower()  # SigV2 query authentication, as boto3 presigns S3 by default
    response = requests.get(url)
    assert response.status_code == 200 and response.content == b"data"
    # The role may read, not write, presigned or not.
    put_url = session.generate_presigned_url("put_object", Params={"Bucket": unique, "Key": "new"}, ExpiresIn=300)
    response = requests.put(put_url, data=b"x")
    assert response.status_code == 403 and "<Code>AccessDenied</Code>" in response.text
