"""Signed aws-chunked uploads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): every chunk's signature is
checked under --enforce-signatures, as S3 does."""

import hashlib
import hmac

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EMPTY = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _signed_chunked_put(endpoint: str, path: str, chunks: list[bytes], secret: str = "test"):
    """(headers, body) of a streaming-signed PUT: the seed signature by botocore, the chunk
    signatures chained from it as the SigV4 streaming spec defines."""
    decoded = sum(len(c) for c in chunks)
    request = AWSRequest(method="PUT", url=endpoint + path, headers={
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(decoded)})
    SigV4Auth(Credentials("test", secret), "s3", "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    auth = headers["Authorization"]
    seed = auth.split("Signature=")[1]
    amz_date = headers["X-Amz-Date"]
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), amz_date[:8]), "us-east-1"), "s3"), "aws4_request")
    previous, body = seed, b""
    for chunk in [*chunks, b""]:
        sts = f"AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{EMPTY}\n{hashlib.sha256(chunk).hexdigest()}"
        signature = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        body += f"{len(chunk):x};chunk-signature={signature}\r\n".encode() + chunk + b"\r\n"
        previous = signature
    return headers, body


def test_signed_chunks_are_verified(strict_server, unique):
    s3 = strict_server.client("s3")
    s3.create_bucket(Bucket=unique)
    chunks = [b"a" * 65536, b"b" * 1000]
    headers, body = _signed_chunked_put(strict_server.endpoint, f"/{unique}/signed", chunks)
    ok = requests.put(f"{strict_server.endpoint}/{unique}/signed", data=body, headers=headers)
    assert ok.status_code == 200, ok.text
    assert s3.get_object(Bucket=unique, Key="signed")["Body"].read() == b"".join(chunks)
    headers, body = _signed_chunked_put(strict_server.endpoint, f"/{unique}/tampered", chunks)
    tampered = body.replace(b"b" * 1000, b"c" * 1000)
    bad = requests.put(f"{strict_server.endpoint}/{unique}/tampered", data=tampered, headers=headers)
    assert bad.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in bad.text
    missing = s3.list_objects_v2(Bucket=unique, Prefix="tampered").get("KeyCount")
    assert missing == 0
