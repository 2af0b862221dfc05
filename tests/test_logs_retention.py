"""Retention runs on the virtual clock: expired events disappear and their space is freed."""

from __future__ import annotations


from test_logs import virtual_now_ms


def test_retention_deletes_expired_events(own_server):
    logs = own_server.client("logs")
    logs.create_log_group(logGroupName="kept")
    logs.create_log_group(logGroupName="short")
    logs.put_retention_policy(logGroupName="short", retentionInDays=1)
    now = virtual_now_ms(own_server)
    for group in ("kept", "short"):
        logs.create_log_stream(logGroupName=group, logStreamName="s")
        logs.put_log_events(logGroupName=group, logStreamName="s",
                            logEvents=[{"timestamp": now - 1000, "message": "old"}])
    stored = logs.describe_log_groups(logGroupNamePrefix="short")["logGroups"][0]["storedBytes"]
    assert stored == len("old") + 26
    own_server.admin("/_pocketcloud/clock", {"advance": "20h"})
    logs.put_log_events(logGroupName="short", logStreamName="s",
                        logEvents=[{"timestamp": virtual_now_ms(own_server), "message": "new"}])
    own_server.admin("/_pocketcloud/clock", {"advance": "10h"})
    # 30 hours on: the first event is past the 1-day retention, the second is not.
    got = logs.get_log_events(logGroupName="short", logStreamName="s", startFromHead=True)["events"]
    assert [e["message"] for e in got] == ["new"]
    assert [e["message"] for e in logs.filter_log_events(logGroupName="short")["events"]] == ["new"]
    assert [e["message"] for e in logs.get_log_events(logGroupName="kept", logStreamName="s")["events"]] == ["old"]
    # The background sweep has freed the expired event's bytes.
    own_server.admin("/_pocketcloud/clock", {"advance": "12h"})
    group = logs.describe_log_groups(logGroupNamePrefix="short")["logGroups"][0]
    assert group["storedBytes"] == len("new") + 26
