"""KMS behind S3 server-side encryption (notes §15): S3 asks KMS for data keys in-process."""

import pytest
from botocore.exceptions import ClientError


def test_sse_kms_with_aws_managed_and_customer_keys(server, unique):
    s3, kms = server.client("s3", region="eu-west-3"), server.client("kms", region="eu-west-3")
    s3.create_bucket(Bucket=unique, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    out = s3.put_object(Bucket=unique, Key="managed", Body=b"under aws/s3", ServerSideEncryption="aws:kms")
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS" and out["SSEKMSKeyId"] == managed["Arn"]
    assert s3.get_object(Bucket=unique, Key="managed")["Body"].read() == b"under aws/s3"

    key = kms.create_key(Description=f"{unique} objects")["KeyMetadata"]
    out = s3.put_object(Bucket=unique, Key="customer", Body=b"under my key", ServerSideEncryption="aws:kms",
                        SSEKMSKeyId=key["KeyId"])
    assert out["SSEKMSKeyId"] == key["Arn"]
    assert s3.get_object(Bucket=unique, Key="customer")["Body"].read() == b"under my key"
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=unique, Key="customer")
    # A disabled key stops S3 from decrypting (AWS names the error KMS.DisabledException).
    assert exc.value.response["Error"]["Code"] in ("KMS.DisabledException", "DisabledException")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    kms.enable_key(KeyId=key["KeyId"])
    assert s3.get_object(Bucket=unique, Key="customer")["Body"].read() == b"under my key"
