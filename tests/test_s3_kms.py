"""SSE-KMS (notes §4): object bodies under KMS data keys, the AWS managed key, S3 Bucket Keys."""

import pytest
from botocore.exceptions import ClientError

from conftest import Server, aws_error


def test_sse_kms_with_a_customer_key(server, unique):
    s3, kms = server.client("s3"), server.client("kms")
    key = kms.create_key(Description="s3 objects")["KeyMetadata"]
    s3.create_bucket(Bucket=unique)
    put = s3.put_object(Bucket=unique, Key="secret", Body=b"kms protected", ServerSideEncryption="aws:kms",
                        SSEKMSKeyId=key["KeyId"])
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == key["Arn"]
    got = s3.get_object(Bucket=unique, Key="secret")
    assert got["Body"].read() == b"kms protected"
    assert got["ServerSideEncryption"] == "aws:kms" and got["SSEKMSKeyId"] == key["Arn"]
    # A disabled key cannot decrypt: the object is unreadable until it is enabled again.
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=unique, Key="secret")
    assert aws_error(exc)[0] in ("KMS.DisabledException", "DisabledException")
    kms.enable_key(KeyId=key["KeyId"])
    assert s3.get_object(Bucket=unique, Key="secret")["Body"].read() == b"kms protected"
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=unique, Key="x", Body=b"x", ServerSideEncryption="aws:kms",
                      SSEKMSKeyId="arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000")
    assert aws_error(exc)[1] == 400 and "NotFound" in aws_error(exc)[0]


def test_aws_managed_key_and_bucket_keys(server, unique):
    s3, kms = server.client("s3"), server.client("kms")
    s3.create_bucket(Bucket=unique)
    put = s3.put_object(Bucket=unique, Key="managed", Body=b"m", ServerSideEncryption="aws:kms")
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert put["SSEKMSKeyId"] == managed["Arn"] and managed["KeyManager"] == "AWS"
    s3.put_bucket_encryption(Bucket=unique, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]})
    first = s3.put_object(Bucket=unique, Key="a", Body=b"a" * 100000)
    second = s3.put_object(Bucket=unique, Key="b", Body=b"b")
    assert first["ServerSideEncryption"] == second["ServerSideEncryption"] == "aws:kms"
    assert first["BucketKeyEnabled"] is True and second["BucketKeyEnabled"] is True
    assert s3.get_object(Bucket=unique, Key="a")["Body"].read() == b"a" * 100000
    head = s3.head_object(Bucket=unique, Key="b")
    assert head["BucketKeyEnabled"] is True and head["SSEKMSKeyId"] == managed["Arn"]
    up = s3.create_multipart_upload(Bucket=unique, Key="multi")
    assert up["ServerSideEncryption"] == "aws:kms"
    etag = s3.upload_part(Bucket=unique, Key="multi", UploadId=up["UploadId"], PartNumber=1, Body=b"part")["ETag"]
    s3.complete_multipart_upload(Bucket=unique, Key="multi", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3.get_object(Bucket=unique, Key="multi")["Body"].read() == b"part"


def test_kms_bodies_are_not_plaintext_on_disk(tmp_path, unique):
    data = tmp_path / "data"
    srv = Server(data_dir=data).start()
    try:
        s3 = srv.client("s3")
        s3.create_bucket(Bucket=unique)
        body = b"KMS-PLAINTEXT-MARKER" * 5000
        s3.put_object(Bucket=unique, Key="k", Body=body, ServerSideEncryption="aws:kms")
        assert s3.get_object(Bucket=unique, Key="k")["Body"].read() == body
    finally:
        srv.stop()
    for path in (p for p in data.rglob("*") if p.is_file()):
        assert b"KMS-PLAINTEXT-MARKER" not in path.read_bytes(), path


def test_encryption_context_of_ones_own(server, unique):
    """x-amz-server-side-encryption-context: base64 JSON, handed to KMS with the object's ARN
    when its data key is made and again when it is unwrapped for a GET, and returned by the
    PUT; malformed, or asked of SSE-S3, it is InvalidArgument."""
    import base64
    import json

    s3, kms = server.client("s3"), server.client("kms")
    key = kms.create_key(Description="with context")["KeyMetadata"]
    s3.create_bucket(Bucket=unique)
    context = base64.b64encode(json.dumps({"project": "pocketcloud", "team": "s3"}).encode()).decode()
    put = s3.put_object(Bucket=unique, Key="ctx", Body=b"in context", ServerSideEncryption="aws:kms",
                        SSEKMSKeyId=key["KeyId"], SSEKMSEncryptionContext=context)
    sent = json.loads(base64.b64decode(put["SSEKMSEncryptionContext"]))
    assert sent == {"project": "pocketcloud", "team": "s3", "aws:s3:arn": f"arn:aws:s3:::{unique}/ctx"}
    assert s3.get_object(Bucket=unique, Key="ctx")["Body"].read() == b"in context"
    # The same context through a multipart upload: its parts are sealed under its data key.
    up = s3.create_multipart_upload(Bucket=unique, Key="mp", ServerSideEncryption="aws:kms",
                                    SSEKMSKeyId=key["KeyId"], SSEKMSEncryptionContext=context)
    part = s3.upload_part(Bucket=unique, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"part")
    s3.complete_multipart_upload(Bucket=unique, Key="mp", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert s3.get_object(Bucket=unique, Key="mp")["Body"].read() == b"part"
    for bad in ("not base64!", base64.b64encode(b"[1, 2]").decode(), base64.b64encode(b'{"n": 1}').decode()):
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket=unique, Key="bad", Body=b"x", ServerSideEncryption="aws:kms",
                          SSEKMSEncryptionContext=bad)
        assert aws_error(exc) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=unique, Key="bad", Body=b"x", ServerSideEncryption="AES256",
                      SSEKMSEncryptionContext=context)
    assert aws_error(exc) == ("InvalidArgument", 400)
