"""x-amz-expected-bucket-owner (and x-amz-source-expected-bucket-owner on copies): S3 refuses
a request whose bucket is owned by another account than the caller expects, with 403
AccessDenied, so that a client never writes to (or reads from) a bucket someone else created
under the name it expected."""

import pytest
from botocore.exceptions import ClientError

from conftest import aws_error

OWNER = "000000000000"  # the default account's (test/test credentials)
STRANGER = "111122223333"

REFUSED = {
    "put_object": lambda s3, b: s3.put_object(Bucket=b, Key="k", Body=b"x", ExpectedBucketOwner=STRANGER),
    "get_object": lambda s3, b: s3.get_object(Bucket=b, Key="k", ExpectedBucketOwner=STRANGER),
    "list_objects_v2": lambda s3, b: s3.list_objects_v2(Bucket=b, ExpectedBucketOwner=STRANGER),
    "delete_object": lambda s3, b: s3.delete_object(Bucket=b, Key="k", ExpectedBucketOwner=STRANGER),
    "get_bucket_versioning": lambda s3, b: s3.get_bucket_versioning(Bucket=b, ExpectedBucketOwner=STRANGER),
    "put_bucket_tagging": lambda s3, b: s3.put_bucket_tagging(
        Bucket=b, Tagging={"TagSet": [{"Key": "a", "Value": "b"}]}, ExpectedBucketOwner=STRANGER),
}


def test_the_owner_expected_is_served(server, bucket):
    s3 = server.client("s3")
    s3.put_object(Bucket=bucket, Key="k", Body=b"mine", ExpectedBucketOwner=OWNER)
    assert s3.get_object(Bucket=bucket, Key="k", ExpectedBucketOwner=OWNER)["Body"].read() == b"mine"
    s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=OWNER)
    assert s3.list_objects_v2(Bucket=bucket, ExpectedBucketOwner=OWNER)["KeyCount"] == 1


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_another_owner_is_refused_and_nothing_changes(server, bucket, name):
    s3 = server.client("s3")
    s3.put_object(Bucket=bucket, Key="k", Body=b"before")
    with pytest.raises(ClientError) as caught:
        REFUSED[name](s3, bucket)
    assert aws_error(caught) == ("AccessDenied", 403)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"before"
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_tagging(Bucket=bucket)
    assert aws_error(caught) == ("NoSuchTagSet", 404)


def test_head_bucket_of_another_owner_is_403(server, bucket):
    with pytest.raises(ClientError) as caught:
        server.client("s3").head_bucket(Bucket=bucket, ExpectedBucketOwner=STRANGER)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_copy_checks_the_source_owner_too(server, bucket, unique):
    s3 = server.client("s3")
    target = unique + "-to"
    s3.create_bucket(Bucket=target)
    s3.put_object(Bucket=bucket, Key="src", Body=b"source")
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=target, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                       ExpectedSourceBucketOwner=STRANGER)
    assert aws_error(caught) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket=target, Key="dst")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    s3.copy_object(Bucket=target, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                   ExpectedSourceBucketOwner=OWNER, ExpectedBucketOwner=OWNER)
    assert s3.get_object(Bucket=target, Key="dst")["Body"].read() == b"source"


def test_a_missing_bucket_is_still_no_such_bucket(server, unique):
    with pytest.raises(ClientError) as caught:
        server.client("s3").list_objects_v2(Bucket=unique, ExpectedBucketOwner=STRANGER)
    assert aws_error(caught) == ("NoSuchBucket", 404)
