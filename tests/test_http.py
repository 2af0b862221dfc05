"""HTTP/1.1 as SDKs use it: keep-alive, Expect: 100-continue, chunked bodies, AWS CLI v1."""

import http.client
import json
import os
import subprocess
import sys

FORM = "Action=GetCallerIdentity&Version=2011-06-15"
AUTH = ("AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)
HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": AUTH,
           "X-Amz-Date": "20260101T000000Z"}


def test_keep_alive_serves_many_requests_on_one_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        for _ in range(20):
            conn.request("POST", "/", body=FORM, headers=HEADERS)
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 200
            assert b"<Account>000000000000</Account>" in body
        assert conn.sock is not None  # the same socket served all twenty
    finally:
        conn.close()


def test_expect_100_continue(server):
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                      f"Content-Type: application/x-www-form-urlencoded\r\nAuthorization: {AUTH}\r\n"
                      "X-Amz-Date: 20260101T000000Z\r\n"
                      f"Content-Length: {len(FORM)}\r\n\r\n").encode())
        interim = sock.recv(1024)
        assert interim.startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(FORM.encode())
        data = b""
        while b"</GetCallerIdentityResponse>" not in data:
            chunk = sock.recv(65536)
            assert chunk
            data += chunk
    assert data.startswith(b"HTTP/1.1 200")


def test_chunked_request_body(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        def parts():
            yield FORM[:10].encode()
            yield FORM[10:].encode()

        conn.request("POST", "/", body=parts(), headers=HEADERS, encode_chunked=True)
        resp = conn.getresponse()
        assert resp.status == 200
        assert b"GetCallerIdentityResult" in resp.read()
    finally:
        conn.close()


def test_aws_cli_against_the_endpoint(bare_server):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "ap-northeast-2"}
    cmd = [sys.executable, "-m", "awscli", "--endpoint-url", bare_server.endpoint, "--output", "json"]
    ident = subprocess.run(cmd + ["sts", "get-caller-identity"], capture_output=True, text=True, env=env, timeout=60)
    assert ident.returncode == 0, ident.stderr
    assert json.loads(ident.stdout)["Account"] == "000000000000"
    zones = subprocess.run(cmd + ["ec2", "describe-availability-zones"], capture_output=True, text=True,
                           env=env, timeout=60)
    assert zones.returncode == 0, zones.stderr
    assert [z["ZoneName"] for z in json.loads(zones.stdout)["AvailabilityZones"]][:1] == ["ap-northeast-2a"]
    failed = subprocess.run(cmd + ["iam", "list-organizations-features"], capture_output=True, text=True, env=env,
                            timeout=60)
    assert failed.returncode != 0
    assert "NotImplemented" in failed.stderr
