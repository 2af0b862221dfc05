"""CloudWatch Logs through the AWS CLI, and events surviving a killed server."""

from __future__ import annotations

import json
import os
import subprocess

from conftest import Server

from test_logs import virtual_now_ms


def aws(server, *args, service: str = "logs") -> dict:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run(["aws", "--endpoint-url", server.endpoint, "--output", "json", service, *args],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def test_aws_cli_smoke(server, unique):
    now = virtual_now_ms(server)
    aws(server, "create-log-group", "--log-group-name", unique)
    aws(server, "put-retention-policy", "--log-group-name", unique, "--retention-in-days", "30")
    aws(server, "create-log-stream", "--log-group-name", unique, "--log-stream-name", "s1")
    aws(server, "put-log-events", "--log-group-name", unique, "--log-stream-name", "s1", "--log-events",
        f"timestamp={now},message=ERROR boom", f"timestamp={now + 1},message=INFO fine")
    groups = aws(server, "describe-log-groups", "--log-group-name-prefix", unique)["logGroups"]
    assert groups[0]["retentionInDays"] == 30
    found = aws(server, "filter-log-events", "--log-group-name", unique, "--filter-pattern", "ERROR")
    assert [e["message"] for e in found["events"]] == ["ERROR boom"]
    got = aws(server, "get-log-events", "--log-group-name", unique, "--log-stream-name", "s1", "--start-from-head")
    assert [e["message"] for e in got["events"]] == ["ERROR boom", "INFO fine"]


def test_events_survive_a_killed_server(tmp_path):
    srv = Server(data_dir=tmp_path).start()
    try:
        logs = srv.client("logs")
        logs.create_log_group(logGroupName="durable")
        logs.create_log_stream(logGroupName="durable", logStreamName="s")
        logs.put_log_events(logGroupName="durable", logStreamName="s",
                            logEvents=[{"timestamp": virtual_now_ms(srv), "message": "kept"}])
        srv.kill()
        srv = Server(data_dir=tmp_path).start()
        logs = srv.client("logs")
        assert [e["message"] for e in logs.get_log_events(logGroupName="durable", logStreamName="s")["events"]] == [
            "kept"]
    finally:
        srv.stop()
