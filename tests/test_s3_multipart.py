"""Multipart uploads (notes §4): parts, limits, errors, the -N ETag, part copies, listings."""

import base64
import hashlib

import pytest
from botocore.exceptions import ClientError
from conftest import aws_error

MIB = 1024 * 1024


def test_upload_complete_and_etag(server, bucket):
    s3 = server.client("s3")
    up = s3.create_multipart_upload(Bucket=bucket, Key="big", ContentType="video/mp4", Metadata={"m": "1"})
    parts = [b"a" * (5 * MIB), b"b" * (5 * MIB), b"tail"]
    etags = []
    for number, data in enumerate(parts, 1):
        out = s3.upload_part(Bucket=bucket, Key="big", UploadId=up["UploadId"], PartNumber=number, Body=data)
        assert out["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
        etags.append(out["ETag"])
    listed = s3.list_parts(Bucket=bucket, Key="big", UploadId=up["UploadId"])
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2, 3] and listed["Parts"][2]["Size"] == 4
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [u["UploadId"] for u in uploads] == [up["UploadId"]]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=up["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-3"
    assert done["ETag"] == f'"{expected}"'
    got = s3.get_object(Bucket=bucket, Key="big")
    assert got["ContentLength"] == 10 * MIB + 4 and got["ContentType"] == "video/mp4" and got["Metadata"] == {"m": "1"}
    assert hashlib.md5(got["Body"].read()).digest() == hashlib.md5(b"".join(parts)).digest()
    ranged = s3.get_object(Bucket=bucket, Key="big", Range=f"bytes={5 * MIB - 2}-{5 * MIB + 1}")["Body"].read()
    assert ranged == b"aabb"
    part2 = s3.get_object(Bucket=bucket, Key="big", PartNumber=3)
    assert part2["Body"].read() == b"tail" and part2["PartsCount"] == 3
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_expected_object_size_is_checked_at_completion(server, bucket):
    """x-amz-mp-object-size (MpuObjectSize): a completion whose parts do not add up to it is
    refused with InvalidRequest and the upload stays open; the right size completes it."""
    s3 = server.client("s3")
    up = s3.create_multipart_upload(Bucket=bucket, Key="sized")
    parts = [b"a" * (5 * MIB), b"tail"]
    etags = [s3.upload_part(Bucket=bucket, Key="sized", UploadId=up["UploadId"], PartNumber=n, Body=data)["ETag"]
             for n, data in enumerate(parts, 1)]
    listing = {"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]}
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(Bucket=bucket, Key="sized", UploadId=up["UploadId"], MultipartUpload=listing,
                                     MpuObjectSize=5 * MIB)
    assert aws_error(exc) == ("InvalidRequest", 400)
    assert [p["PartNumber"] for p in s3.list_parts(Bucket=bucket, Key="sized", UploadId=up["UploadId"])["Parts"]] == [1, 2]
    s3.complete_multipart_upload(Bucket=bucket, Key="sized", UploadId=up["UploadId"], MultipartUpload=listing,
                                 MpuObjectSize=5 * MIB + 4)
    assert s3.head_object(Bucket=bucket, Key="sized")["ContentLength"] == 5 * MIB + 4


def test_errors(server, bucket):
    s3 = server.client("s3")
    up = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=1, Body=b"small")["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=2, Body=b"small")["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=10001, Body=b"x")
    assert aws_error(exc) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert aws_error(exc) == ("EntityTooSmall", 400)
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]})
    assert aws_error(exc) == ("InvalidPartOrder", 400)
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": '"0123"'}]})
    assert aws_error(exc) == ("InvalidPart", 400)
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 3, "ETag": e1}]})
    assert aws_error(exc) == ("InvalidPart", 400)
    # A single small part is fine: the last part has no minimum.
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}]})
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"small"
    with pytest.raises(ClientError) as exc:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=1, Body=b"x")
    assert aws_error(exc) == ("NoSuchUpload", 404)


def test_abort(server, bucket):
    s3 = server.client("s3")
    up = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=1, Body=b"x" * 100000)
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=bucket)
    assert aws_error(exc) == ("BucketNotEmpty", 409)
    assert s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=up)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.list_parts(Bucket=bucket, Key="k", UploadId=up)
    assert aws_error(exc) == ("NoSuchUpload", 404)
    with pytest.raises(ClientError) as exc:
        s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=up)
    assert aws_error(exc) == ("NoSuchUpload", 404)
    s3.delete_bucket(Bucket=bucket)


def test_upload_part_copy(server, bucket):
    s3 = server.client("s3")
    source = bytes(range(256)) * 40000  # ~10 MB
    s3.put_object(Bucket=bucket, Key="src", Body=source)
    up = s3.create_multipart_upload(Bucket=bucket, Key="copy")["UploadId"]
    p1 = s3.upload_part_copy(Bucket=bucket, Key="copy", UploadId=up, PartNumber=1, CopySource=f"{bucket}/src",
                             CopySourceRange=f"bytes=0-{5 * MIB - 1}")
    p2 = s3.upload_part_copy(Bucket=bucket, Key="copy", UploadId=up, PartNumber=2,
                             CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes={5 * MIB}-{len(source) - 1}")
    with pytest.raises(ClientError) as exc:
        s3.upload_part_copy(Bucket=bucket, Key="copy", UploadId=up, PartNumber=3, CopySource=f"{bucket}/src",
                            CopySourceRange=f"bytes=0-{len(source)}")
    assert aws_error(exc) == ("InvalidRange", 416)
    s3.complete_multipart_upload(Bucket=bucket, Key="copy", UploadId=up, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == source


@pytest.mark.parametrize("algorithm,kind", [("CRC32", "COMPOSITE"), ("SHA256", "COMPOSITE"), ("CRC32C", "FULL_OBJECT"),
                                            ("CRC64NVME", "FULL_OBJECT"), ("SHA512", "COMPOSITE"),
                                            ("XXHASH64", "COMPOSITE")])
def test_multipart_checksums(server, bucket, algorithm, kind):
    s3 = server.client("s3")
    up = s3.create_multipart_upload(Bucket=bucket, Key="c", ChecksumAlgorithm=algorithm, ChecksumType=kind)
    assert up["ChecksumAlgorithm"] == algorithm and up["ChecksumType"] == kind
    parts = [b"p" * (5 * MIB), b"q" * 1000]
    done_parts = []
    for number, data in enumerate(parts, 1):
        out = s3.upload_part(Bucket=bucket, Key="c", UploadId=up["UploadId"], PartNumber=number, Body=data,
                             ChecksumAlgorithm=algorithm)
        done_parts.append({"PartNumber": number, "ETag": out["ETag"], "Checksum" + algorithm: out["Checksum" + algorithm]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="c", UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": done_parts})
    value = done["Checksum" + algorithm]
    if kind == "COMPOSITE":
        assert value.endswith("-2")
        if algorithm in ("SHA256", "SHA512"):
            digest = getattr(hashlib, algorithm.lower())
            inner = b"".join(digest(p).digest() for p in parts)
            assert value == base64.b64encode(digest(inner).digest()).decode() + "-2"
    else:
        whole = s3.put_object(Bucket=bucket, Key="whole", Body=b"".join(parts), ChecksumAlgorithm=algorithm)
        assert value == whole["Checksum" + algorithm]
    head = s3.head_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert head["Checksum" + algorithm] == value and head["ChecksumType"] == kind
