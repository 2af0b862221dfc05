"""The AWS CLI against S3: aws s3 cp/sync/ls/rb/mb and aws s3api."""

import json
import os
import subprocess



def _aws(server, *args, check=True):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
           "AWS_PAGER": ""}
    done = subprocess.run(["aws", "--endpoint-url", server.endpoint, *args], env=env, capture_output=True, text=True,
                          timeout=120)
    if check and done.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed: {done.stderr}")
    return done


def test_mb_cp_ls_sync_rb(server, unique, tmp_path):
    _aws(server, "s3", "mb", f"s3://{unique}")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.txt").write_text("beta")
    big = os.urandom(9 * 1024 * 1024)  # above the CLI's multipart threshold
    (src / "big.bin").write_bytes(big)
    _aws(server, "s3", "cp", str(src / "a.txt"), f"s3://{unique}/single/a.txt")
    assert server.client("s3").get_object(Bucket=unique, Key="single/a.txt")["Body"].read() == b"alpha"
    _aws(server, "s3", "sync", str(src), f"s3://{unique}/tree")
    listing = _aws(server, "s3", "ls", "--recursive", f"s3://{unique}/tree/").stdout
    assert "tree/a.txt" in listing and "tree/sub/b.txt" in listing and "tree/big.bin" in listing
    head = json.loads(_aws(server, "s3api", "head-object", "--bucket", unique, "--key", "tree/big.bin").stdout)
    assert head["ContentLength"] == len(big) and head["ETag"].strip('"').endswith("-2")
    out = tmp_path / "out"
    _aws(server, "s3", "sync", f"s3://{unique}/tree", str(out))
    assert (out / "big.bin").read_bytes() == big and (out / "sub" / "b.txt").read_text() == "beta"
    # A second sync has nothing to do.
    again = _aws(server, "s3", "sync", str(src), f"s3://{unique}/tree").stdout
    assert "upload:" not in again
    buckets = _aws(server, "s3", "ls").stdout
    assert unique in buckets
    refused = _aws(server, "s3", "rb", f"s3://{unique}", check=False)
    assert refused.returncode != 0 and "BucketNotEmpty" in refused.stderr
    _aws(server, "s3", "rb", "--force", f"s3://{unique}")
    assert unique not in _aws(server, "s3", "ls").stdout


def test_s3api_calls(server, unique, tmp_path):
    _aws(server, "s3api", "create-bucket", "--bucket", unique)
    body = tmp_path / "body.txt"
    body.write_text("from s3api")
    put = json.loads(_aws(server, "s3api", "put-object", "--bucket", unique, "--key", "k", "--body", str(body),
                          "--metadata", "color=blue").stdout)
    assert put["ETag"]
    target = tmp_path / "got.txt"
    got = json.loads(_aws(server, "s3api", "get-object", "--bucket", unique, "--key", "k", str(target)).stdout)
    assert got["Metadata"] == {"color": "blue"} and target.read_text() == "from s3api"
    listed = json.loads(_aws(server, "s3api", "list-objects-v2", "--bucket", unique).stdout)
    assert [o["Key"] for o in listed["Contents"]] == ["k"]
    missing = _aws(server, "s3api", "get-object", "--bucket", unique, "--key", "nope", str(target), check=False)
    assert missing.returncode != 0 and "NoSuchKey" in missing.stderr
    _aws(server, "s3api", "put-bucket-versioning", "--bucket", unique, "--versioning-configuration", "Status=Enabled")
    assert server.client("s3").get_bucket_versioning(Bucket=unique)["Status"] == "Enabled"


def test_cli_presign(unique, tmp_path):
    import requests

    from conftest import Server

    # A server of its own: the URL is signed with the real time, and the shared server's
    # virtual clock may have been moved ahead by other tests.
    server = Server().start()
    try:
        _presign(server, unique, tmp_path, requests)
    finally:
        server.stop()


def _presign(server, unique, tmp_path, requests):
    _aws(server, "s3", "mb", f"s3://{unique}")
    (tmp_path / "p.txt").write_text("presigned")
    _aws(server, "s3", "cp", str(tmp_path / "p.txt"), f"s3://{unique}/p.txt")
    url = _aws(server, "s3", "presign", f"s3://{unique}/p.txt", "--expires-in", "60").stdout.strip()
    got = requests.get(url)
    assert got.status_code == 200 and got.text == "presigned"
