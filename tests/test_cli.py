"""The pocketcloud command as a user runs it."""

import os
import socket
import subprocess
import sys
import time

import boto3
from conftest import Server, free_port


def run(*args, env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "pocketcloud", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def test_foreground_banner_names_endpoint_data_version_and_services(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pocketcloud", "start", "--port", str(port),
                             "--data-dir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        lines = []
        while not lines or not lines[-1].startswith("  services"):  # the banner's last line
            lines.append(proc.stdout.readline())
            assert lines[-1] and len(lines) < 20, lines
        text = "".join(lines)
        assert f"http://127.0.0.1:{port}" in text
        assert str(tmp_path) in text
        assert "pocketcloud 0." in text
        assert "sts" in text and "s3" in text and "lambda" in text
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


def test_port_taken_gives_a_clear_message(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = run("start", "--port", str(port), "--ephemeral")
    assert result.returncode == 2
    assert "already in use" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_detach_status_time_reset_stop(tmp_path):
    port = str(free_port())
    env = {"POCKETCLOUD_PORT": port, "POCKETCLOUD_DATA_DIR": str(tmp_path / "state")}
    started = run("start", "--detach", env=env)
    assert started.returncode == 0, started.stderr
    assert f"http://127.0.0.1:{port}" in started.stdout
    try:
        status = run("status", env=env)
        assert status.returncode == 0
        assert "running" in status.stdout
        shown = run("time", "show", env=env)
        assert "virtual time" in shown.stdout
        advanced = run("time", "advance", "30d", env=env)
        assert advanced.returncode == 0
        assert "+2592000 s" in advanced.stdout
        bad = run("time", "advance", "soon", env=env)
        assert bad.returncode == 2 and "bad duration" in bad.stderr
        set_to = run("time", "set", "2031-01-01T00:00:00Z", env=env)
        assert set_to.returncode == 0 and "2031-01-01T00:00:00" in set_to.stdout
        ec2 = boto3.client("ec2", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        ec2.create_key_pair(KeyName="before-reset", KeyType="ed25519")
        assert run("reset", env=env).returncode == 0
        assert ec2.describe_key_pairs()["KeyPairs"] == []
    finally:
        stopped = run("stop", env=env)
    assert stopped.returncode == 0
    assert run("status", env=env).returncode == 1


def test_virtual_clock_via_admin_api(server):
    before = server.admin("/_pocketcloud/clock")
    after = server.admin("/_pocketcloud/clock", {"advance": "1h"})
    assert after["offset_seconds"] - before["offset_seconds"] == 3600


def test_environment_variables_configure_the_server(tmp_path):
    port = free_port()
    env = {**os.environ, "POCKETCLOUD_PORT": str(port), "POCKETCLOUD_EPHEMERAL": "1",
           "POCKETCLOUD_LOG_LEVEL": "warning"}
    proc = subprocess.Popen([sys.executable, "-m", "pocketcloud", "start"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        srv = Server()
        srv.port, srv.endpoint = port, f"http://127.0.0.1:{port}"
        deadline = time.time() + 20
        while True:
            try:
                health = srv.admin("/_pocketcloud/health")
                break
            except OSError:
                assert time.time() < deadline
                time.sleep(0.05)
        assert health["ephemeral"] is True
        assert health["data_dir"] is None
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


def test_one_data_directory_serves_one_server(tmp_path):
    first = Server(data_dir=tmp_path / "shared").start()
    try:
        second = run("start", "--port", str(free_port()), "--data-dir", str(tmp_path / "shared"))
        assert second.returncode == 2
        assert "is in use by pocketcloud pid" in second.stderr
        assert "Traceback" not in second.stderr
        assert first.client("sts").get_caller_identity()["Account"] == "000000000000"
    finally:
        first.stop()
    # once the first has stopped, the directory is free again
    again = Server(data_dir=tmp_path / "shared").start()
    again.stop()
