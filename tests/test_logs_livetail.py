"""StartLiveTail: the events ingested while a session is open arrive on its response stream."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from test_logs import virtual_now_ms


def test_live_tail_streams_new_matching_events(server, unique):
    # StartLiveTail's endpoint has a host prefix (stream-logs.); a local endpoint takes none.
    logs = server.client("logs", inject_host_prefix=False)
    logs.create_log_group(logGroupName=unique)
    for stream in ("web-1", "worker"):
        logs.create_log_stream(logGroupName=unique, logStreamName=stream)
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{unique}"
    response = logs.start_live_tail(logGroupIdentifiers=[arn], logStreamNamePrefixes=["web"],
                                    logEventFilterPattern="ERROR")
    events = iter(response["responseStream"])
    start = next(events)["sessionStart"]
    assert start["logGroupIdentifiers"] == [arn] and start["logStreamNamePrefixes"] == ["web"]
    assert start["logEventFilterPattern"] == "ERROR" and start["sessionId"]
    now = virtual_now_ms(server)
    logs.put_log_events(logGroupName=unique, logStreamName="web-1",
                        logEvents=[{"timestamp": now, "message": "ERROR one"}, {"timestamp": now, "message": "INFO"}])
    logs.put_log_events(logGroupName=unique, logStreamName="worker",
                        logEvents=[{"timestamp": now, "message": "ERROR elsewhere"}])
    received = []
    for _ in range(5):   # one update a second; the first ones may be empty
        update = next(events)["sessionUpdate"]
        assert update["sessionMetadata"] == {"sampled": False}
        received += update["sessionResults"]
        if received:
            break
    response["responseStream"].close()
    assert [(e["logStreamName"], e["message"], e["logGroupIdentifier"]) for e in received] == [
        ("web-1", "ERROR one", arn)]
    assert received[0]["timestamp"] == now


def test_live_tail_errors(server, unique):
    logs = server.client("logs", inject_host_prefix=False)
    missing = f"arn:aws:logs:us-east-1:000000000000:log-group:{unique}"
    with pytest.raises(ClientError) as exc:
        logs.start_live_tail(logGroupIdentifiers=[missing])
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    logs.create_log_group(logGroupName=unique)
    with pytest.raises(ClientError) as exc:
        logs.start_live_tail(logGroupIdentifiers=[missing], logStreamNames=["a"], logStreamNamePrefixes=["b"])
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
