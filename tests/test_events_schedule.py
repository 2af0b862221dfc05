"""Scheduled rules fire on the virtual clock: each missed instant of a jump is delivered with its
own time, cron expressions fire at their minutes, disabled rules stay quiet, and rules, targets
and schedules survive a restart."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from conftest import Server
from test_events_delivery import ACCOUNT, queue, receive


def advance(server, amount: str) -> None:
    server.admin("/_pocketcloud/clock", {"advance": amount})


@pytest.fixture
def scheduled(server, unique):
    """make(expression, state) -> (queue url, rule arn); the rule goes away after the test, so
    later clock moves on this shared server do not keep firing it."""
    events, sqs = server.client("events"), server.client("sqs")
    made = []

    def make(expression: str, state: str = "ENABLED", name: str = unique):
        url, arn = queue(sqs, name)
        rule = events.put_rule(Name=name, ScheduleExpression=expression, State=state)["RuleArn"]
        events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
        made.append(name)
        return url, rule

    yield make
    for name in made:
        events.remove_targets(Rule=name, Ids=["q"])
        events.delete_rule(Name=name)


def take(sqs, url: str, count: int) -> list[dict]:
    """Receive and delete (a received message would come back once the clock moves past its
    visibility timeout)."""
    got = receive(sqs, url, count)
    for message in got:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return got


def _times(messages) -> list[datetime]:
    return sorted(datetime.fromisoformat(json.loads(m["Body"])["time"].replace("Z", "+00:00")) for m in messages)


def test_rate_rule_delivers_each_instant_of_a_jump(server, scheduled, unique):
    sqs = server.client("sqs")
    url, rule_arn = scheduled("rate(5 minutes)")
    advance(server, "10m")
    got = take(sqs, url, 2)
    assert len(got) == 2
    event = json.loads(got[0]["Body"])
    assert (event["version"], event["source"], event["detail-type"], event["account"], event["region"],
            event["resources"], event["detail"]) == ("0", "aws.events", "Scheduled Event", ACCOUNT, "us-east-1",
                                                     [rule_arn], {})
    first, second = _times(got)
    assert (second - first).total_seconds() == 300
    advance(server, "4m")
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    advance(server, "1m")
    assert len(take(sqs, url, 1)) == 1


def test_cron_rule_fires_at_its_minutes(server, scheduled):
    sqs = server.client("sqs")
    url, _ = scheduled("cron(0/15 * * * ? *)")
    advance(server, "1h")
    got = receive(sqs, url, 4)
    times = _times(got)
    assert len(times) == 4
    assert all(t.minute % 15 == 0 and t.second == 0 for t in times)


def test_disabled_schedule_stays_quiet_until_enabled(server, scheduled, unique):
    sqs, events = server.client("sqs"), server.client("events")
    url, _ = scheduled("rate(1 minute)", state="DISABLED")
    advance(server, "3m")
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    events.enable_rule(Name=unique)
    advance(server, "2m")
    assert len(take(sqs, url, 2)) == 2
    events.disable_rule(Name=unique)
    advance(server, "3m")
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)


def test_schedules_survive_a_restart(tmp_path, unique):
    first = Server(data_dir=tmp_path).start()
    try:
        events, sqs = first.client("events"), first.client("sqs")
        url, arn = queue(sqs, unique)
        events.put_rule(Name=unique, ScheduleExpression="rate(5 minutes)", Description="every five")
        events.put_targets(Rule=unique, Targets=[{"Id": "q", "Arn": arn, "Input": '{"tick": true}'}])
    finally:
        first.stop()
    second = Server(data_dir=tmp_path).start()
    try:
        events, sqs = second.client("events"), second.client("sqs")
        rule = events.describe_rule(Name=unique)
        assert (rule["ScheduleExpression"], rule["Description"], rule["State"]) == \
            ("rate(5 minutes)", "every five", "ENABLED")
        [target] = events.list_targets_by_rule(Rule=unique)["Targets"]
        assert (target["Id"], target["Arn"], target["Input"]) == ("q", arn, '{"tick": true}')
        advance(second, "10m")
        got = receive(sqs, url, 2)
        assert [json.loads(m["Body"]) for m in got] == [{"tick": True}, {"tick": True}]
    finally:
        second.stop()


def test_daily_cron_catches_up_every_day_of_a_jump(server, scheduled):
    sqs = server.client("sqs")
    url, _ = scheduled("cron(30 6 * * ? *)")
    advance(server, "3d")
    times = _times(take(sqs, url, 3))
    assert len(times) == 3
    assert all((t.hour, t.minute) == (6, 30) for t in times)
    assert [(b - a).days for a, b in zip(times, times[1:])] == [1, 1]
