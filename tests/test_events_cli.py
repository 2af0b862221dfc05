"""EventBridge through the AWS CLI, and acknowledged events surviving a killed server."""

from __future__ import annotations

import json
import signal

from conftest import Server
from test_events_delivery import queue, receive
from test_logs_cli import aws as cli


def aws(server, *args) -> dict:
    return cli(server, *args, service="events")


def test_aws_cli_smoke(server, unique):
    sqs = server.client("sqs")
    url, arn = queue(sqs, unique)
    aws(server, "put-rule", "--name", unique, "--event-pattern", json.dumps({"source": [unique]}))
    aws(server, "put-targets", "--rule", unique, "--targets", f"Id=q,Arn={arn}")
    out = aws(server, "put-events", "--entries", json.dumps([{"Source": unique, "DetailType": "cli",
                                                             "Detail": json.dumps({"from": "cli"})}]))
    assert out["FailedEntryCount"] == 0
    [message] = receive(sqs, url)
    assert json.loads(message["Body"])["detail"] == {"from": "cli"}
    rules = aws(server, "list-rules", "--name-prefix", unique)["Rules"]
    assert [r["Name"] for r in rules] == [unique]
    result = aws(server, "test-event-pattern", "--event-pattern", json.dumps({"source": [{"prefix": "a"}]}),
                 "--event", json.dumps({"id": "1", "account": "000000000000", "source": "abc", "time": "2026-01-01T00:00:00Z",
                                        "region": "us-east-1", "resources": [], "detail-type": "x", "detail": {}}))
    assert result["Result"] is True


def test_acknowledged_events_survive_a_killed_server(tmp_path, unique):
    srv = Server(data_dir=tmp_path).start()
    try:
        events, sqs = srv.client("events"), srv.client("sqs")
        url, arn = queue(sqs, unique)
        events.put_rule(Name=unique, EventPattern=json.dumps({"source": [unique]}))
        events.put_targets(Rule=unique, Targets=[{"Id": "q", "Arn": arn}])
        ids = []
        for i in range(5):
            out = events.put_events(Entries=[{"Source": unique, "DetailType": "t", "Detail": json.dumps({"i": i})}])
            ids.append(out["Entries"][0]["EventId"])
        srv.kill(signal.SIGKILL)
    finally:
        srv.stop()
    again = Server(data_dir=tmp_path).start()
    try:
        got = receive(again.client("sqs"), url, 5)
        assert sorted(json.loads(m["Body"])["id"] for m in got) == sorted(ids)
    finally:
        again.stop()
