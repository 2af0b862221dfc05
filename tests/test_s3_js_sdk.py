"""S3 through the AWS SDK for JavaScript v3 (tests/js/sdk_calls.mjs): a checksummed body and an
aws-chunked stream with a trailing checksum are stored, also with signatures enforced."""

import pytest

from test_js_sdk import node  # noqa: F401  (the session fixture running node)


@pytest.mark.parametrize("case", ["s3-list-buckets", "s3-put-object-string", "s3-put-object-stream"])
def test_s3_calls_of_the_js_sdk(server, node, unique, case):  # noqa: F811
    # S3 is implemented: a checksummed body and an aws-chunked stream with a trailing checksum.
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    out = node(server.endpoint, case, unique)
    assert "error" not in out, out
    if case == "s3-put-object-stream":
        body = s3.get_object(Bucket=unique, Key="dir/hello world.txt")["Body"].read()
        assert body == b"a" * (70 * 1024) + b"b" * (30 * 1024)
    elif case == "s3-put-object-string":
        assert s3.get_object(Bucket=unique, Key="small.txt")["Body"].read() == b"hello pocketcloud"


def test_s3_stream_upload_with_enforced_signatures(strict_server, node, unique):  # noqa: F811
    strict_server.client("s3").create_bucket(Bucket=unique)
    out = node(strict_server.endpoint, "s3-put-object-stream", unique)
    assert "error" not in out, out
    head = strict_server.client("s3").head_object(Bucket=unique, Key="dir/hello world.txt")
    assert head["ContentLength"] == 100 * 1024
