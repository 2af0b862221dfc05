"""Encryption at rest (notes §4): SSE-S3 by default, SSE-C, nothing readable in the data directory."""

import base64
import hashlib
import os
import sqlite3

import msgspec
import pytest
from botocore.exceptions import ClientError

from conftest import Server, aws_error


def test_no_plaintext_in_the_data_directory(tmp_path, unique):
    data = tmp_path / "data"
    srv = Server(data_dir=data).start()
    try:
        s3 = srv.client("s3")
        s3.create_bucket(Bucket=unique)
        marker = b"PLAINTEXT-MARKER-" + unique.encode()
        small = marker * 3
        large = marker * 50000  # ~1.5 MB: a file of its own
        s3.put_object(Bucket=unique, Key="small", Body=small)
        s3.put_object(Bucket=unique, Key="large", Body=large)
        up = s3.create_multipart_upload(Bucket=unique, Key="multi")["UploadId"]
        etag = s3.upload_part(Bucket=unique, Key="multi", UploadId=up, PartNumber=1, Body=large)["ETag"]
        s3.complete_multipart_upload(Bucket=unique, Key="multi", UploadId=up,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        assert s3.get_object(Bucket=unique, Key="large")["Body"].read() == large
        assert s3.head_object(Bucket=unique, Key="small")["ServerSideEncryption"] == "AES256"
        srv.kill()  # SIGKILL: what was acknowledged must survive
    finally:
        srv.stop()
    files = [p for p in data.rglob("*") if p.is_file()]
    assert any("blobs" in str(p) for p in files)
    for path in files:
        assert b"PLAINTEXT-MARKER" not in path.read_bytes(), path
    # Restarted on the same directory after the kill: everything is still readable.
    srv = Server(data_dir=data).start()
    try:
        s3 = srv.client("s3")
        assert s3.get_object(Bucket=unique, Key="small")["Body"].read() == small
        assert s3.get_object(Bucket=unique, Key="multi")["Body"].read() == large
        assert s3.get_object(Bucket=unique, Key="large", Range="bytes=17-40")["Body"].read() == large[17:41]
    finally:
        srv.stop()


def test_sse_c_customer_key(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    key = os.urandom(32)
    other = os.urandom(32)
    put = s3.put_object(Bucket=unique, Key="c", Body=b"customer encrypted", SSECustomerAlgorithm="AES256",
                        SSECustomerKey=key)
    assert put["SSECustomerAlgorithm"] == "AES256"
    assert put["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(key).digest()).decode()
    got = s3.get_object(Bucket=unique, Key="c", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    assert got["Body"].read() == b"customer encrypted"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=unique, Key="c")
    assert aws_error(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=unique, Key="c", SSECustomerAlgorithm="AES256", SSECustomerKey=other)
    assert aws_error(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=unique, Key="c")
    assert aws_error(exc) == ("400", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=unique, Key="c2", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=b"short")
    assert aws_error(exc) == ("InvalidArgument", 400)
    # Copy out of SSE-C needs the source key; the copy is SSE-S3.
    s3.copy_object(Bucket=unique, Key="plain", CopySource=f"{unique}/c", CopySourceSSECustomerAlgorithm="AES256",
                   CopySourceSSECustomerKey=key)
    assert s3.get_object(Bucket=unique, Key="plain")["Body"].read() == b"customer encrypted"
    # Multipart with SSE-C: every part brings the key.
    up = s3.create_multipart_upload(Bucket=unique, Key="m", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    etag = s3.upload_part(Bucket=unique, Key="m", UploadId=up["UploadId"], PartNumber=1, Body=b"part",
                          SSECustomerAlgorithm="AES256", SSECustomerKey=key)["ETag"]
    s3.complete_multipart_upload(Bucket=unique, Key="m", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    got = s3.get_object(Bucket=unique, Key="m", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    assert got["Body"].read() == b"part"


def test_bucket_default_encryption_configuration(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_encryption(Bucket=unique, ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "abc"}}]})
    assert aws_error(exc) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=unique, Key="k", Body=b"x", ServerSideEncryption="AES512")
    assert aws_error(exc) == ("InvalidArgument", 400)
    s3.delete_bucket_encryption(Bucket=unique)
    rule = s3.get_bucket_encryption(Bucket=unique)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.put_object(Bucket=unique, Key="k", Body=b"x")["ServerSideEncryption"] == "AES256"


def test_identical_small_bodies_never_seal_alike(tmp_path, unique):
    """Small bodies are sealed with AES-GCM in their rows: each needs a nonce of its own (the
    server draws them in batches), so the same body stored many times never gives the same bytes."""
    data = tmp_path / "data"
    srv = Server(data_dir=data).start()
    try:
        s3 = srv.client("s3")
        s3.create_bucket(Bucket=unique)
        for i in range(600):  # more than two draws of nonces
            s3.put_object(Bucket=unique, Key=f"same-{i}", Body=b"the same small body")
        assert s3.get_object(Bucket=unique, Key="same-599")["Body"].read() == b"the same small body"
    finally:
        srv.stop()
    db = sqlite3.connect(data / "state.db")
    try:
        rows = db.execute("SELECT meta FROM s3_objects WHERE bucket=?", (unique,)).fetchall()
    finally:
        db.close()
    sealed = [msgspec.msgpack.decode(row[0])["segments"][0]["inline"] for row in rows]
    assert len(sealed) == 600
    assert len({blob[:12] for blob in sealed}) == 600  # nonces
    assert len(set(sealed)) == 600
