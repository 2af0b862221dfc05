"""Every test talks to a real pocketcloud server over HTTP with real clients.

One ephemeral server per test process (pytest-xdist workers get one each), on a free port.
Tests use unique names so they do not depend on order.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A pocketcloud process started with `python -m pocketcloud start`."""

    def __init__(self, *extra: str, data_dir: Path | None = None, env: dict | None = None):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.extra = list(extra)
        self.data_dir = data_dir
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "Server":
        argv = [sys.executable, "-m", "pocketcloud", "start", "--port", str(self.port), *self.extra]
        if self.data_dir is not None:
            argv += ["--data-dir", str(self.data_dir)]
        else:
            argv.append("--ephemeral")
        # The log goes to a file: a pipe nobody reads would block the server once it filled.
        self.log = tempfile.NamedTemporaryFile(prefix="pocketcloud-test-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_text()}")
            try:
                self.admin("/_pocketcloud/health")
                return self
            except urllib.error.HTTPError as exc:  # it answers, but not well: fail now
                raise RuntimeError(f"health check failed: {exc.code} {exc.read()[:2000]!r}") from None
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def log_text(self) -> str:
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")[-5000:]

    def admin(self, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.endpoint + path, data=data, method="GET" if body is None else "POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def client(self, service: str, region: str = "us-east-1", key: str = "test", secret: str = "test", **config):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}, **config),
        )

    def kill(self, sig=9) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
            os.unlink(self.log.name)


@pytest.fixture(scope="session")
def server():
    srv = Server().start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def strict_server():
    """A server that verifies every signature (--enforce-signatures)."""
    srv = Server("--enforce-signatures").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def bare_server():
    """A server answering only STS and EC2 (--services): every other operation is NotImplemented,
    which names the operation a request reached; the foundation's routing, codec and signature
    tests read that answer."""
    srv = Server("--services", "sts,ec2").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def bare_strict_server():
    """bare_server, verifying every signature."""
    srv = Server("--services", "sts,ec2", "--enforce-signatures").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def own_server():
    """A server of the test module's own, for tests that move its virtual clock (which the
    shared server's other tests must not see)."""
    srv = Server().start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def enforcing_server():
    """A server of the test module's own that enforces signatures and IAM policies
    (--enforce-iam --enforce-signatures). A module takes it as `strict = enforcing_server`."""
    srv = Server("--enforce-iam", "--enforce-signatures").start()
    yield srv
    srv.stop()


@pytest.fixture
def bucket(server, unique):
    """A new S3 bucket on the shared server."""
    server.client("s3").create_bucket(Bucket=unique)
    return unique


def queue_arn(sqs, url: str) -> str:
    """An SQS queue's ARN (notification targets, subscriptions, redrive policies name it)."""
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def aws_error(exc) -> tuple[str, int]:
    """(AWS error code, HTTP status) of a botocore ClientError caught by pytest.raises."""
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def kill_during_burst(srv: Server, write, at_least: int, workers: int = 4) -> list:
    """Run `write(client_worker, n)` from `workers` threads until `at_least` writes are
    acknowledged, then SIGKILL the server mid-burst. Returns what `write` returned for each
    acknowledged write (a write that raised was never acknowledged: its thread stops)."""
    acknowledged: list = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(worker: int):
        n = 0
        while not stop.is_set() and n < 2000:
            try:
                done = write(worker, n)
            except Exception:
                return  # the server died mid-request: never acknowledged
            with lock:
                acknowledged.append(done)
            n += 1

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    deadline = time.time() + 20
    while len(acknowledged) < at_least and time.time() < deadline:
        time.sleep(0.01)
    srv.kill(signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acknowledged) >= at_least
    return acknowledged


@pytest.fixture
def unique():
    return "t" + uuid.uuid4().hex[:12]


# The codec conformance coverage table, printed at the end of every run that includes it.
from codec.report import pytest_runtest_logreport, pytest_terminal_summary  # noqa: E402,F401
