"""S3 objects (notes §4): put/get/head/delete/copy, ranges, conditions, metadata, tagging, checksums."""

import base64
import hashlib
import zlib
from datetime import datetime, timedelta, timezone

import pytest
import requests
from botocore.exceptions import ClientError
from awscrt.checksums import XXHash
from conftest import aws_error


def test_put_get_head_with_metadata_and_standard_headers(server, bucket):
    s3 = server.client("s3")
    body = b"hello pocketcloud"
    put = s3.put_object(Bucket=bucket, Key="docs/a.txt", Body=body, ContentType="text/plain",
                        Metadata={"Owner": "me", "note": "plain"}, CacheControl="max-age=60",
                        ContentDisposition="attachment", ContentLanguage="en")
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert put["ServerSideEncryption"] == "AES256"
    got = s3.get_object(Bucket=bucket, Key="docs/a.txt")
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/plain" and got["ContentLength"] == len(body)
    assert got["Metadata"] == {"owner": "me", "note": "plain"}
    assert got["CacheControl"] == "max-age=60" and got["ContentDisposition"] == "attachment"
    assert got["ContentLanguage"] == "en" and got["ETag"] == put["ETag"]
    head = s3.head_object(Bucket=bucket, Key="docs/a.txt")
    assert head["ContentLength"] == len(body) and head["ETag"] == put["ETag"]
    over = s3.get_object(Bucket=bucket, Key="docs/a.txt", ResponseContentType="application/json",
                         ResponseCacheControl="no-cache")
    assert over["ContentType"] == "application/json" and over["CacheControl"] == "no-cache"


def test_missing_keys_and_buckets(server, bucket):
    s3 = server.client("s3")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="nope")
    assert aws_error(exc) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="nope")
    assert aws_error(exc) == ("404", 404)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket + "-missing", Key="k", Body=b"")
    assert aws_error(exc) == ("NoSuchBucket", 404)
    # DELETE of a missing key succeeds, as in S3.
    assert s3.delete_object(Bucket=bucket, Key="nope")["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_keys_are_never_paths(server, bucket):
    s3 = server.client("s3")
    for key in ["../../etc/passwd", "/absolute/key", "a//b", "x/../y", "..", "ünï cödé+%20&?.txt"]:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert "../../etc/passwd" in keys and "/absolute/key" in keys and ".." in keys
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"")
    assert aws_error(exc) == ("KeyTooLongError", 400)


def test_range_gets(server, bucket):
    s3 = server.client("s3")
    body = bytes(range(256)) * 400  # 102400 bytes: stored in a file
    s3.put_object(Bucket=bucket, Key="r", Body=body)
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-19")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == f"bytes 10-19/{len(body)}" and got["Body"].read() == body[10:20]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-5")["Body"].read() == body[-5:]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=102390-")["Body"].read() == body[102390:]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=17-99999999")["Body"].read() == body[17:]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="r", Range=f"bytes={len(body)}-")
    assert aws_error(exc) == ("InvalidRange", 416)
    whole = s3.get_object(Bucket=bucket, Key="r", Range="bytes=9-3")  # invalid: ignored
    assert whole["ResponseMetadata"]["HTTPStatusCode"] == 200
    s3.put_object(Bucket=bucket, Key="small", Body=b"0123456789abcdef0123")  # inline
    assert s3.get_object(Bucket=bucket, Key="small", Range="bytes=15-17")["Body"].read() == b"f01"


def test_conditional_reads(server, bucket):
    s3 = server.client("s3")
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"v1")["ETag"]
    past = datetime.now(timezone.utc) - timedelta(days=1)
    future = datetime.now(timezone.utc) + timedelta(days=1)
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"v1"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0000"')
    assert aws_error(exc) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert aws_error(exc) == ("304", 304)
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=modified)
    assert aws_error(exc) == ("304", 304)
    # A date in the future is not a valid validator (RFC 7232): ignored.
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=future)["Body"].read() == b"v1"
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=past)["Body"].read() == b"v1"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=past)
    assert aws_error(exc) == ("PreconditionFailed", 412)
    # If-Match true wins over If-Unmodified-Since false.
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=past)["Body"].read() == b"v1"
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="c", IfMatch='"0000"')
    assert aws_error(exc) == ("412", 412)


def test_conditional_writes(server, bucket):
    s3 = server.client("s3")
    s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    assert aws_error(exc) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"first"
    etag = s3.head_object(Bucket=bucket, Key="once")["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="once", Body=b"x", IfMatch='"abc"')
    assert aws_error(exc) == ("PreconditionFailed", 412)
    s3.put_object(Bucket=bucket, Key="once", Body=b"third", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"third"


def test_conditional_deletes(server, bucket):
    """DeleteObject with If-Match, and DeleteObjects entries with an ETag, delete only the
    version whose ETag matches ("*": any): else 412 PreconditionFailed and the object stays."""
    s3 = server.client("s3")
    etag = s3.put_object(Bucket=bucket, Key="guarded", Body=b"v1")["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=bucket, Key="guarded", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert aws_error(exc) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="guarded")["Body"].read() == b"v1"
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=bucket, Key="absent", IfMatch="*")
    assert aws_error(exc) == ("NoSuchKey", 404)
    s3.delete_object(Bucket=bucket, Key="guarded", IfMatch=etag)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="guarded")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    kept = s3.put_object(Bucket=bucket, Key="kept", Body=b"k")["ETag"]
    gone = s3.put_object(Bucket=bucket, Key="gone", Body=b"g")["ETag"]
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": "kept", "ETag": gone}, {"Key": "gone", "ETag": gone}, {"Key": "any", "ETag": "*"}]})
    assert [d["Key"] for d in out["Deleted"]] == ["gone"]
    assert sorted((e["Key"], e["Code"]) for e in out["Errors"]) == [("any", "NoSuchKey"),
                                                                    ("kept", "PreconditionFailed")]
    assert s3.head_object(Bucket=bucket, Key="kept")["ETag"] == kept
    s3.delete_object(Bucket=bucket, Key="kept", IfMatch="*")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_copy_object_directives_and_conditions(server, bucket):
    s3 = server.client("s3")
    s3.put_object(Bucket=bucket, Key="src", Body=b"copy me", ContentType="text/x", Metadata={"a": "1"},
                  Tagging="t=1")
    out = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert out["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"copy me").hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == b"copy me" and got["Metadata"] == {"a": "1"} and got["ContentType"] == "text/x"
    assert s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"] == [{"Key": "t", "Value": "1"}]
    s3.copy_object(Bucket=bucket, Key="dst2", CopySource=f"{bucket}/src", MetadataDirective="REPLACE",
                   Metadata={"b": "2"}, ContentType="text/y")
    got = s3.head_object(Bucket=bucket, Key="dst2")
    assert got["Metadata"] == {"b": "2"} and got["ContentType"] == "text/y"
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="src", CopySource=f"{bucket}/src")
    assert aws_error(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst3", CopySource=f"{bucket}/src", CopySourceIfMatch='"nope"')
    assert aws_error(exc) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst3", CopySource=f"{bucket}/missing")
    assert aws_error(exc) == ("NoSuchKey", 404)
    # Same object with REPLACE is allowed (how metadata is changed in place).
    s3.copy_object(Bucket=bucket, Key="src", CopySource=f"{bucket}/src", MetadataDirective="REPLACE",
                   Metadata={"c": "3"})
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {"c": "3"}


def test_delete_objects_batch(server, bucket):
    s3 = server.client("s3")
    for i in range(5):
        s3.put_object(Bucket=bucket, Key=f"d{i}", Body=b"x")
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"d{i}"} for i in range(3)] + [{"Key": "zz"}]})
    assert sorted(d["Key"] for d in out["Deleted"]) == ["d0", "d1", "d2", "zz"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["d3", "d4"]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d3"}], "Quiet": True})
    assert quiet.get("Deleted", []) == []


def test_object_tagging(server, bucket):
    s3 = server.client("s3")
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="a=1&b=two%20words")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "a", "Value": "1"},
                                                                       {"Key": "b", "Value": "two words"}]
    assert s3.get_object(Bucket=bucket, Key="t")["TagCount"] == 2
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "x", "Value": "y"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "x", "Value": "y"}]
    with pytest.raises(ClientError) as exc:
        s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": f"k{i}", "Value": "v"}
                                                                          for i in range(11)]})
    assert aws_error(exc) == ("BadRequest", 400)
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME", "SHA512", "XXHASH64",
                                       "XXHASH3", "XXHASH128"])
def test_additional_checksums(server, bucket, algorithm):
    s3 = server.client("s3")
    body = b"checksummed body " * 1000
    put = s3.put_object(Bucket=bucket, Key=algorithm, Body=body, ChecksumAlgorithm=algorithm)
    value = put["Checksum" + algorithm]
    got = s3.get_object(Bucket=bucket, Key=algorithm, ChecksumMode="ENABLED")
    assert got["Body"].read() == body and got["Checksum" + algorithm] == value
    expected = {
        "SHA256": lambda: hashlib.sha256(body).digest(),
        "SHA512": lambda: hashlib.sha512(body).digest(),
        "CRC32": lambda: zlib.crc32(body).to_bytes(4, "big"),
        "XXHASH64": lambda: XXHash.compute_xxhash64(body),
        "XXHASH3": lambda: XXHash.compute_xxhash3_64(body),
        "XXHASH128": lambda: XXHash.compute_xxhash3_128(body),
    }.get(algorithm)
    if expected is not None:
        assert value == base64.b64encode(expected()).decode()


def test_md5_checksum_sent_by_value(server, bucket):
    """x-amz-checksum-md5 (no SDK computes it: the value is sent) is checked and kept."""
    s3 = server.client("s3")
    body = b"md5 checksummed"
    value = base64.b64encode(hashlib.md5(body).digest()).decode()
    assert s3.put_object(Bucket=bucket, Key="m", Body=body, ChecksumMD5=value)["ChecksumMD5"] == value
    assert s3.head_object(Bucket=bucket, Key="m", ChecksumMode="ENABLED")["ChecksumMD5"] == value
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="m2", Body=body, ChecksumMD5=base64.b64encode(b"\0" * 16).decode())
    assert aws_error(exc) == ("BadDigest", 400)


def test_wrong_checksum_and_md5_refused(server, bucket):
    s3 = server.client("s3")
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"data", ChecksumSHA256=wrong)
    assert aws_error(exc) == ("BadDigest", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"data", ContentMD5=base64.b64encode(b"0" * 16).decode())
    assert aws_error(exc) == ("BadDigest", 400)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="bad")
    assert aws_error(exc) == ("NoSuchKey", 404)


def test_default_crc64nvme_when_no_checksum_sent(server, bucket):
    url = f"{server.endpoint}/{bucket}/plain"
    assert requests.put(url, data=b"no checksum here").status_code == 200
    got = server.client("s3").head_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")
    assert "ChecksumCRC64NVME" in got and got["ChecksumType"] == "FULL_OBJECT"


def test_entity_too_large_declared(server, bucket):
    url = f"{server.endpoint}/{bucket}/huge"
    import socket
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(f"PUT /{bucket}/huge HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {5 * 1024 ** 3 + 1}\r\n\r\n"
                     .encode())
        sock.settimeout(10)
        answer = b""
        while b"</Error>" not in answer:
            piece = sock.recv(65536)
            if not piece:
                break
            answer += piece
    assert answer.startswith(b"HTTP/1.1 400") and b"<Code>EntityTooLarge</Code>" in answer, url


def test_storage_class_validation(server, bucket):
    s3 = server.client("s3")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", StorageClass="COLD")
    assert aws_error(exc) == ("InvalidStorageClass", 400)
    for cls in ["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR"]:
        s3.put_object(Bucket=bucket, Key=cls, Body=b"x", StorageClass=cls)
        assert s3.head_object(Bucket=bucket, Key=cls)["StorageClass"] == cls
        assert s3.get_object(Bucket=bucket, Key=cls)["Body"].read() == b"x"


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_large_bodies_stream_with_flat_memory(server, bucket):
    """256 MiB up and down through one connection: the server never holds the body."""
    import http.client
    import os

    size, chunk = 256 * 1024 * 1024, os.urandom(1024 * 1024)
    before = _rss_mb(server.proc.pid)
    peak = before
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    conn.putrequest("PUT", f"/{bucket}/large.bin")
    conn.putheader("Content-Length", str(size))
    conn.endheaders()
    for i in range(size // len(chunk)):
        conn.send(chunk)
        if i % 32 == 0:
            peak = max(peak, _rss_mb(server.proc.pid))
    answer = conn.getresponse()
    assert answer.status == 200, answer.read()
    answer.read()
    conn.request("GET", f"/{bucket}/large.bin")
    answer = conn.getresponse()
    assert answer.status == 200 and int(answer.headers["Content-Length"]) == size
    got, digest, expected = 0, hashlib.md5(), hashlib.md5()
    for _ in range(size // len(chunk)):
        expected.update(chunk)
    while True:
        piece = answer.read(1024 * 1024)
        if not piece:
            break
        digest.update(piece)
        got += len(piece)
        if got % (32 * 1024 * 1024) < 1024 * 1024:
            peak = max(peak, _rss_mb(server.proc.pid))
    conn.close()
    assert got == size and digest.digest() == expected.digest()
    assert peak - before < 64, f"RSS grew from {before:.0f} MB to {peak:.0f} MB"


def test_object_attributes(server, bucket):
    s3 = server.client("s3")
    put = s3.put_object(Bucket=bucket, Key="attrs", Body=b"12345", ChecksumAlgorithm="SHA256",
                        StorageClass="STANDARD_IA")
    got = s3.get_object_attributes(Bucket=bucket, Key="attrs",
                                   ObjectAttributes=["ETag", "ObjectSize", "StorageClass", "Checksum"])
    assert got["ETag"] == put["ETag"].strip('"') and got["ObjectSize"] == 5
    assert got["StorageClass"] == "STANDARD_IA" and got["Checksum"]["ChecksumSHA256"] == put["ChecksumSHA256"]
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket, Key="missing", ObjectAttributes=["ETag"])
    assert aws_error(exc) == ("NoSuchKey", 404)
