"""Large object bodies on their way to disk (services/s3/blobs.py): streamed through a worker
thread while they arrive, so these check what must hold whatever the timing: every byte hashed
and stored in order, concurrent uploads kept apart, and a body cut short or refused leaving
nothing behind (no object, no file)."""

import base64
import hashlib
import http.client
import os
import socket
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from conftest import Server, aws_error

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def disk_server(tmp_path_factory):
    """A server with a data directory of its own, so the tests can look at its files."""
    data = tmp_path_factory.mktemp("bodies")
    srv = Server(data_dir=data).start()
    srv.blobs = data / "s3" / "blobs"
    yield srv
    srv.stop()


def _files(srv: Server) -> set:
    return {p for p in srv.blobs.rglob("*") if p.is_file()}


def _settle(srv: Server, expected: set, deadline: float = 10.0) -> set:
    """The body files once the server's background unlinks are done (they run in a thread after
    the answer): polls until the set is `expected` or the deadline passes, and returns it."""
    limit = time.monotonic() + deadline
    while True:
        files = _files(srv)
        if files == expected or time.monotonic() > limit:
            return files
        time.sleep(0.02)


def test_large_bodies_hashed_and_stored_in_order(disk_server, unique):
    s3 = disk_server.client("s3")
    s3.create_bucket(Bucket=unique)
    # Past the worker's queue limits several times over, with a tail that is no whole chunk.
    body = os.urandom(21 * MIB + 12345)
    put = s3.put_object(Bucket=unique, Key="big", Body=body, ChecksumAlgorithm="SHA256")
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert put["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    got = s3.get_object(Bucket=unique, Key="big", ChecksumMode="ENABLED")
    assert got["Body"].read() == body and got["ChecksumSHA256"] == put["ChecksumSHA256"]
    ranged = s3.get_object(Bucket=unique, Key="big", Range="bytes=9437180-9437200")["Body"].read()
    assert ranged == body[9437180:9437201]


def test_concurrent_uploads_stay_apart(disk_server, unique):
    s3 = disk_server.client("s3")
    s3.create_bucket(Bucket=unique)
    bodies = {f"k{i}": os.urandom(5 * MIB + i * 4099) for i in range(6)}

    def upload(key):
        return s3.put_object(Bucket=unique, Key=key, Body=bodies[key])["ETag"]

    with ThreadPoolExecutor(6) as pool:
        etags = dict(zip(bodies, pool.map(upload, bodies)))
    for key, body in bodies.items():
        assert etags[key] == f'"{hashlib.md5(body).hexdigest()}"'
        assert s3.get_object(Bucket=unique, Key=key)["Body"].read() == body


def test_body_cut_short_stores_nothing(disk_server, unique):
    """A client that goes away mid-body: S3 stores nothing (its answer, IncompleteBody, can no
    longer be delivered), and the partial file is removed. (The server once stored the part it
    had received as the whole object.)"""
    s3 = disk_server.client("s3")
    s3.create_bucket(Bucket=unique)
    before = _files(disk_server)
    conn = socket.create_connection(("127.0.0.1", disk_server.port))
    conn.sendall(f"PUT /{unique}/cut HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {8 * MIB}\r\n\r\n".encode())
    conn.sendall(os.urandom(3 * MIB))
    limit = time.monotonic() + 10
    while not any((disk_server.blobs / "tmp").iterdir()) and time.monotonic() < limit:
        time.sleep(0.02)  # until the upload's temp file exists: the server is storing the body
    assert any((disk_server.blobs / "tmp").iterdir())
    conn.close()
    assert _settle(disk_server, before) == before  # the temp file goes once the server sees the end
    # The server has seen the end of that request: the partial body was not stored.
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=unique, Key="cut")
    assert aws_error(exc) == ("404", 404)
    assert unique not in str(s3.list_objects_v2(Bucket=unique).get("Contents", []))


def test_small_body_cut_short_stores_nothing(disk_server, unique):
    """The same for a body small enough to be read whole (up to 64 KiB): the part received is
    not stored as the object."""
    s3 = disk_server.client("s3")
    s3.create_bucket(Bucket=unique)
    conn = socket.create_connection(("127.0.0.1", disk_server.port))
    conn.sendall(f"PUT /{unique}/cut HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 60000\r\n\r\n".encode())
    conn.sendall(b"x" * 30000)
    time.sleep(0.2)  # the server has the head and half the body
    conn.close()
    # A complete PUT sent after the cut one is stored; the cut one, once the server has seen its
    # end, never is.
    s3.put_object(Bucket=unique, Key="whole", Body=b"y" * 30000)
    limit = time.monotonic() + 2
    while time.monotonic() < limit:
        with pytest.raises(ClientError) as exc:
            s3.head_object(Bucket=unique, Key="cut")
        assert aws_error(exc) == ("404", 404)
        time.sleep(0.1)
    assert s3.head_object(Bucket=unique, Key="whole")["ContentLength"] == 30000


def test_refused_large_bodies_leave_no_file(disk_server, unique):
    s3 = disk_server.client("s3")
    s3.create_bucket(Bucket=unique)
    before = _files(disk_server)
    body = os.urandom(3 * MIB + 7)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=unique, Key="md5", Body=body, ContentMD5=base64.b64encode(b"0" * 16).decode())
    assert aws_error(exc) == ("BadDigest", 400)
    wrong_crc = base64.b64encode((zlib.crc32(body) ^ 1).to_bytes(4, "big")).decode()
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=unique, Key="crc", Body=body, ChecksumCRC32=wrong_crc)
    assert aws_error(exc) == ("BadDigest", 400)
    assert _settle(disk_server, before) == before
    for key in ("md5", "crc"):
        with pytest.raises(ClientError) as exc:
            s3.head_object(Bucket=unique, Key=key)
        assert aws_error(exc) == ("404", 404)
    # The same key then takes a whole body, and only its file remains.
    s3.put_object(Bucket=unique, Key="md5", Body=body)
    assert s3.get_object(Bucket=unique, Key="md5")["Body"].read() == body
    assert len(_files(disk_server) - before) == 1


def test_expect_continue_large_body(disk_server, unique):
    """A client that waits for "100 Continue" before sending its body (as the AWS CLI and SDKs
    do for large uploads): the body is asked for once the upload starts, and stored whole."""
    s3 = disk_server.client("s3")
    s3.create_bucket(Bucket=unique)
    body = os.urandom(2 * MIB + 3)
    conn = http.client.HTTPConnection("127.0.0.1", disk_server.port, timeout=30)
    conn.putrequest("PUT", f"/{unique}/continued")
    conn.putheader("Content-Length", str(len(body)))
    conn.putheader("Expect", "100-continue")
    conn.endheaders()
    sock = conn.sock
    sock.settimeout(30)
    interim = sock.recv(64)
    assert interim.startswith(b"HTTP/1.1 100"), interim
    sock.sendall(body)
    answer = conn.getresponse()
    assert answer.status == 200, answer.read()
    assert answer.headers["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    conn.close()
    assert s3.get_object(Bucket=unique, Key="continued")["Body"].read() == body
