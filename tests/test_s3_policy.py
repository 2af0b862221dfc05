"""Bucket policies decide (with --enforce-iam): S3 keeps the policy, the IAM engine evaluates it
together with the caller's identity policies."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import aws_error, enforcing_server
from test_enforcement import allow, deny, doc, make_user


# A server enforcing signatures and IAM policies, this module's own (conftest).
strict = enforcing_server


def test_bucket_policy_grants_and_denies(strict, unique):
    s3 = strict.client("s3")
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="shared/a.txt", Body=b"shared")
    s3.put_object(Bucket=unique, Key="private/b.txt", Body=b"private")
    reader = make_user(strict, unique + "-reader")
    with pytest.raises(ClientError) as exc:
        reader("s3").get_object(Bucket=unique, Key="shared/a.txt")
    assert aws_error(exc) == ("AccessDenied", 403)
    user_arn = f"arn:aws:iam::000000000000:user/{unique}-reader"
    s3.put_bucket_policy(Bucket=unique, Policy=doc(
        {**allow("s3:GetObject", f"arn:aws:s3:::{unique}/*"), "Principal": {"AWS": user_arn}},
        {**deny("s3:GetObject", f"arn:aws:s3:::{unique}/private/*"), "Principal": {"AWS": user_arn}}))
    assert json.loads(s3.get_bucket_policy(Bucket=unique)["Policy"])["Statement"][0]["Effect"] == "Allow"
    assert reader("s3").get_object(Bucket=unique, Key="shared/a.txt")["Body"].read() == b"shared"
    with pytest.raises(ClientError) as exc:
        reader("s3").get_object(Bucket=unique, Key="private/b.txt")
    assert aws_error(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        reader("s3").put_object(Bucket=unique, Key="shared/new.txt", Body=b"x")
    assert aws_error(exc) == ("AccessDenied", 403)
    s3.delete_bucket_policy(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        reader("s3").get_object(Bucket=unique, Key="shared/a.txt")
    assert aws_error(exc) == ("AccessDenied", 403)
