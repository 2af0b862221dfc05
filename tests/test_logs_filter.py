"""FilterLogEvents with AWS's filter pattern syntax, across streams, through boto3."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from test_logs import virtual_now_ms


APACHE = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" {status} {size}'


@pytest.fixture(scope="module")
def logs(server):
    return server.client("logs")


@pytest.fixture(scope="module")
def group(server, logs):
    """One group with three streams of text, JSON and space-delimited events."""
    name = "filter-" + str(virtual_now_ms(server))
    now = virtual_now_ms(server)
    logs.create_log_group(logGroupName=name)
    streams = {
        "app-1": ["INFO started", "ERROR disk full", "WARN slow request", "ERROR user not found Exiting"],
        "app-2": [json.dumps({"level": "ERROR", "latency": 250, "user": {"id": "u1"}, "tags": ["a", "b"]}),
                  json.dumps({"level": "INFO", "latency": 3, "user": {"id": None}}),
                  json.dumps({"level": "ERROR", "latency": 7, "ok": True})],
        "web": [APACHE.format(status=404, size=1534), APACHE.format(status=200, size=99),
                APACHE.format(status=503, size=2048)],
    }
    for index, (stream, messages) in enumerate(streams.items()):
        logs.create_log_stream(logGroupName=name, logStreamName=stream)
        logs.put_log_events(logGroupName=name, logStreamName=stream,
                            logEvents=[{"timestamp": now - 10_000 + index + 10 * i, "message": m}
                                       for i, m in enumerate(messages)])
    return {"name": name, "now": now}


def messages(logs, group, pattern, **kwargs):
    out = logs.filter_log_events(logGroupName=group["name"], filterPattern=pattern, **kwargs)
    return [e["message"] for e in out["events"]]


@pytest.mark.parametrize("pattern, expected", [
    ("ERROR", 4),
    ("ERROR disk", 1),
    ('"user not found"', 1),
    ("ERROR -Exiting", 3),
    ('"ERROR" - "Exiting"', 3),
    ('?"disk full" ?"slow request"', 2),
    ("?WARN ?disk", 2),
    ("%ERR[O]R%", 4),
    ("%^INFO%", 1),
    ("%disk|slow%", 2),
    ('{ $.level = %^ERR% }', 2),
    ("[..., size = %^15%]", 1),
    ('{ $.level = "ERROR" }', 2),
    ('{ $.level = "ERR*" && $.latency > 100 }', 1),
    ('{ $.latency < 10 || $.user.id = "u1" }', 3),
    ("{ $.user.id IS NULL }", 1),
    ("{ $.user NOT EXISTS }", 1),
    ("{ $.ok IS TRUE }", 1),
    ('{ $.tags[1] = "b" }', 1),
    ('{ $.level != "ERROR" }', 1),
    ("{ $.latency = * }", 3),
    ("{ $.level = ERR*R }", 0),
    ("{ $.level = *RO* }", 2),
    ("{ $.tags != 1 }", 0),
    ("{ $.latency < 10e3 && $.latency > +100 }", 1),
    ("[ip, user, username, timestamp, request, status_code = 4*, bytes]", 1),
    ("[ip, user, username, timestamp, request, status_code >= 400, bytes > 1000]", 2),
    ("[..., status_code = 200 || status_code = 503, size]", 2),
    ("[ip = 127.0.0.*, ...]", 3),
    ("", 10),
])
def test_filter_patterns(logs, group, pattern, expected):
    assert len(messages(logs, group, pattern)) == expected


def test_results_are_interleaved_by_time_with_stream_names(logs, group):
    out = logs.filter_log_events(logGroupName=group["name"])
    stamps = [e["timestamp"] for e in out["events"]]
    assert stamps == sorted(stamps)
    assert [e["logStreamName"] for e in out["events"][:3]] == ["app-1", "app-2", "web"]
    assert all(len(e["eventId"]) == 56 for e in out["events"])
    assert {s["logStreamName"] for s in out["searchedLogStreams"]} == {"app-1", "app-2", "web"}


def test_stream_selection_time_range_and_paging(logs, group):
    assert len(messages(logs, group, "", logStreamNamePrefix="app")) == 7
    assert len(messages(logs, group, "", logStreamNames=["web", "app-2"])) == 6
    start = group["now"] - 10_000
    assert messages(logs, group, "", startTime=start + 10, endTime=start + 12) == [
        "ERROR disk full", json.dumps({"level": "INFO", "latency": 3, "user": {"id": None}})]
    seen, token = [], None
    for _ in range(20):
        kwargs = {"nextToken": token} if token else {}
        out = logs.filter_log_events(logGroupName=group["name"], limit=3, **kwargs)
        seen += [e["eventId"] for e in out["events"]]
        token = out.get("nextToken")
        if not token:
            break
    assert len(seen) == 10 == len(set(seen))
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(logGroupName=group["name"], logStreamNames=["web"], logStreamNamePrefix="w")
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"


@pytest.mark.parametrize("pattern", ["{ $.a = }", "{ level = 1 }", "[a, b", "{ $.a === 1 }", "%something!%",
                                     "%(group)%", '{ $.a = %x% || $.b = %y% || $.c = %z% }'])
def test_invalid_patterns(logs, group, pattern):
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(logGroupName=group["name"], filterPattern=pattern)
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_missing_group(logs):
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(logGroupName="no-such-group-here")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
