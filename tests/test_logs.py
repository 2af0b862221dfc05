"""CloudWatch Logs: groups, streams, PutLogEvents rules, GetLogEvents tokens, through boto3."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def logs(server):
    return server.client("logs")


def virtual_now_ms(server) -> int:
    """The server's virtual clock, which other tests may have moved."""
    when = datetime.fromisoformat(server.admin("/_pocketcloud/clock")["now"].replace("Z", "+00:00"))
    return int(when.timestamp() * 1000)


@pytest.fixture
def now(server):
    return virtual_now_ms(server)


def err(exc) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_log_group_lifecycle(server, logs, unique):
    name = f"/app/{unique}"
    key_arn = server.client("kms").create_key()["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName=name, kmsKeyId=key_arn, tags={"team": "a"}, logGroupClass="INFREQUENT_ACCESS")
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=name)
    assert err(exc) == ("ResourceAlreadyExistsException", 400)
    group = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]
    assert group["logGroupName"] == name
    assert group["kmsKeyId"] == key_arn
    assert group["logGroupClass"] == "INFREQUENT_ACCESS"
    assert group["arn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{name}:*"
    assert group["logGroupArn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{name}"
    assert "retentionInDays" not in group
    logs.put_retention_policy(logGroupName=name, retentionInDays=7)
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["retentionInDays"] == 7
    for bad in (2, 0, 4000, 366):
        with pytest.raises(ClientError) as exc:
            logs.put_retention_policy(logGroupName=name, retentionInDays=bad)
        assert err(exc) == ("InvalidParameterException", 400)
    logs.delete_retention_policy(logGroupName=name)
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]
    logs.delete_log_group(logGroupName=name)
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] == []
    with pytest.raises(ClientError) as exc:
        logs.delete_log_group(logGroupName=name)
    assert err(exc) == ("ResourceNotFoundException", 400)


def test_kms_keys_are_checked(server, logs, unique):
    kms = server.client("kms")
    missing = "arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=unique, kmsKeyId=missing)
    assert err(exc) == ("InvalidParameterException", 400)
    logs.create_log_group(logGroupName=unique)
    disabled = kms.create_key()["KeyMetadata"]["Arn"]
    kms.disable_key(KeyId=disabled)
    asymmetric = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
    for key in (missing, disabled, asymmetric):
        with pytest.raises(ClientError) as exc:
            logs.associate_kms_key(logGroupName=unique, kmsKeyId=key)
        assert err(exc) == ("InvalidParameterException", 400)
    good = kms.create_key()["KeyMetadata"]["Arn"]
    logs.associate_kms_key(logGroupName=unique, kmsKeyId=good)
    assert logs.describe_log_groups(logGroupNamePrefix=unique)["logGroups"][0]["kmsKeyId"] == good
    logs.disassociate_kms_key(logGroupName=unique)
    assert "kmsKeyId" not in logs.describe_log_groups(logGroupNamePrefix=unique)["logGroups"][0]


def test_group_name_and_class_rules(logs, unique):
    for bad in (f"{unique} space", f"{unique}:colon", f"{unique}*"):
        with pytest.raises(ClientError) as exc:
            logs.create_log_group(logGroupName=bad)
        assert err(exc) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=unique, logGroupClass="COLD")
    assert err(exc) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as exc:
        logs.put_retention_policy(logGroupName=f"missing-{unique}", retentionInDays=1)
    assert err(exc) == ("ResourceNotFoundException", 400)


def test_describe_log_groups_pattern_and_paging(logs, unique):
    names = [f"/page/{unique}/{i:02d}" for i in range(7)]
    for n in names:
        logs.create_log_group(logGroupName=n)
    first = logs.describe_log_groups(logGroupNamePrefix=f"/page/{unique}/", limit=3)
    assert [g["logGroupName"] for g in first["logGroups"]] == names[:3]
    second = logs.describe_log_groups(logGroupNamePrefix=f"/page/{unique}/", limit=3, nextToken=first["nextToken"])
    assert [g["logGroupName"] for g in second["logGroups"]] == names[3:6]
    third = logs.describe_log_groups(logGroupNamePrefix=f"/page/{unique}/", limit=3, nextToken=second["nextToken"])
    assert [g["logGroupName"] for g in third["logGroups"]] == names[6:]
    assert "nextToken" not in third
    found = logs.describe_log_groups(logGroupNamePattern=unique.upper())["logGroups"]
    assert len(found) == 7
    with pytest.raises(ClientError) as exc:
        logs.describe_log_groups(logGroupNamePrefix="/page", logGroupNamePattern="x")
    assert err(exc) == ("InvalidParameterException", 400)


def test_tags_new_and_old_api(logs, unique):
    logs.create_log_group(logGroupName=unique, tags={"a": "1"})
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{unique}"
    logs.tag_resource(resourceArn=arn, tags={"b": "2"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1", "b": "2"}
    logs.tag_log_group(logGroupName=unique, tags={"c": "3"})
    logs.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert logs.list_tags_log_group(logGroupName=unique)["tags"] == {"b": "2", "c": "3"}
    logs.untag_log_group(logGroupName=unique, tags=["b"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"c": "3"}
    with pytest.raises(ClientError) as exc:
        logs.list_tags_for_resource(resourceArn=arn + "-missing")
    assert err(exc) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        logs.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(50)})
    assert err(exc) == ("InvalidParameterException", 400)


def test_streams_describe_order_and_paging(logs, unique, now):
    logs.create_log_group(logGroupName=unique)
    for i, name in enumerate(["b", "a", "c"]):
        logs.create_log_stream(logGroupName=unique, logStreamName=name)
        logs.put_log_events(logGroupName=unique, logStreamName=name,
                            logEvents=[{"timestamp": now + i, "message": f"m{i}"}])
    with pytest.raises(ClientError) as exc:
        logs.create_log_stream(logGroupName=unique, logStreamName="a")
    assert err(exc) == ("ResourceAlreadyExistsException", 400)
    with pytest.raises(ClientError) as exc:
        logs.create_log_stream(logGroupName=unique, logStreamName="bad:name")
    assert err(exc) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as exc:
        logs.create_log_stream(logGroupName=f"{unique}-none", logStreamName="x")
    assert err(exc) == ("ResourceNotFoundException", 400)
    by_name = logs.describe_log_streams(logGroupName=unique)["logStreams"]
    assert [s["logStreamName"] for s in by_name] == ["a", "b", "c"]
    assert by_name[1]["firstEventTimestamp"] == now and by_name[1]["lastEventTimestamp"] == now
    assert by_name[0]["arn"].endswith(f"log-group:{unique}:log-stream:a")
    latest = logs.describe_log_streams(logGroupName=unique, orderBy="LastEventTime", descending=True)
    assert [s["logStreamName"] for s in latest["logStreams"]] == ["c", "a", "b"]
    page1 = logs.describe_log_streams(logGroupName=unique, limit=2)
    page2 = logs.describe_log_streams(logGroupName=unique, limit=2, nextToken=page1["nextToken"])
    assert [s["logStreamName"] for s in page1["logStreams"] + page2["logStreams"]] == ["a", "b", "c"]
    assert [s["logStreamName"] for s in logs.describe_log_streams(
        logGroupName=unique, logStreamNamePrefix="c")["logStreams"]] == ["c"]
    with pytest.raises(ClientError) as exc:
        logs.describe_log_streams(logGroupName=unique, logStreamNamePrefix="c", orderBy="LastEventTime")
    assert err(exc) == ("InvalidParameterException", 400)
    logs.delete_log_stream(logGroupName=unique, logStreamName="c")
    with pytest.raises(ClientError) as exc:
        logs.get_log_events(logGroupName=unique, logStreamName="c")
    assert err(exc) == ("ResourceNotFoundException", 400)


def _group_with_stream(logs, unique):
    logs.create_log_group(logGroupName=unique)
    logs.create_log_stream(logGroupName=unique, logStreamName="s")


def test_put_log_events_rules(logs, unique, now):
    _group_with_stream(logs, unique)
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(logGroupName=unique, logStreamName="s",
                            logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}])
    assert err(exc) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(logGroupName=unique, logStreamName="s",
                            logEvents=[{"timestamp": now - 25 * 3600_000, "message": "a"},
                                       {"timestamp": now, "message": "b"}])
    assert err(exc) == ("InvalidParameterException", 400)
    # 1,048,576 bytes counting 26 per event: 4 events of 262,118 bytes fit exactly, one byte more does not.
    fits = [{"timestamp": now, "message": "x" * (262_144 - 26)} for _ in range(4)]
    logs.put_log_events(logGroupName=unique, logStreamName="s", logEvents=fits)
    fits[0]["message"] += "x"
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(logGroupName=unique, logStreamName="s", logEvents=fits)
    assert err(exc) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(logGroupName=unique, logStreamName="nope", logEvents=[{"timestamp": now, "message": "a"}])
    assert err(exc) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(logGroupName=unique, logStreamName="s",
                            logEvents=[{"timestamp": now, "message": "a"}] * 10_001)
    assert err(exc)[1] == 400


def test_put_log_events_rejects_too_old_too_new_and_expired(logs, unique, now):
    _group_with_stream(logs, unique)
    day = 86_400_000
    batch = [{"timestamp": now - 15 * day, "message": "old"},
             {"timestamp": now - 1000, "message": "ok1"},
             {"timestamp": now, "message": "ok2"},
             {"timestamp": now + 3 * 3600_000, "message": "new"}]
    out = logs.put_log_events(logGroupName=unique, logStreamName="s", logEvents=batch, sequenceToken="ignored")
    assert out["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 3}
    assert out["nextSequenceToken"]
    got = logs.get_log_events(logGroupName=unique, logStreamName="s", startFromHead=True)["events"]
    assert [e["message"] for e in got] == ["ok1", "ok2"]
    logs.put_retention_policy(logGroupName=unique, retentionInDays=1)
    out = logs.put_log_events(logGroupName=unique, logStreamName="s",
                              logEvents=[{"timestamp": now - 2 * day, "message": "expired"},
                                         {"timestamp": now, "message": "ok3"}])
    assert out["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 1}


def test_get_log_events_tokens(logs, unique, now):
    _group_with_stream(logs, unique)
    logs.put_log_events(logGroupName=unique, logStreamName="s",
                        logEvents=[{"timestamp": now + i, "message": f"e{i}"} for i in range(5)])
    # Default: the latest events, read backwards.
    latest = logs.get_log_events(logGroupName=unique, logStreamName="s", limit=2)
    assert [e["message"] for e in latest["events"]] == ["e3", "e4"]
    back = logs.get_log_events(logGroupName=unique, logStreamName="s", limit=2, nextToken=latest["nextBackwardToken"])
    assert [e["message"] for e in back["events"]] == ["e1", "e2"]
    back2 = logs.get_log_events(logGroupName=unique, logStreamName="s", limit=2, nextToken=back["nextBackwardToken"])
    assert [e["message"] for e in back2["events"]] == ["e0"]
    end = logs.get_log_events(logGroupName=unique, logStreamName="s", limit=2, nextToken=back2["nextBackwardToken"])
    assert end["events"] == [] and end["nextBackwardToken"] == back2["nextBackwardToken"]
    # Forward from the head, until the same token comes back.
    seen, token = [], None
    for _ in range(10):
        kwargs = {"nextToken": token} if token else {}
        page = logs.get_log_events(logGroupName=unique, logStreamName="s", startFromHead=True, limit=2, **kwargs)
        seen += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert seen == ["e0", "e1", "e2", "e3", "e4"]
    # New events appear after the last forward token.
    logs.put_log_events(logGroupName=unique, logStreamName="s", logEvents=[{"timestamp": now + 9, "message": "e9"}])
    more = logs.get_log_events(logGroupName=unique, logStreamName="s", startFromHead=True, nextToken=token)
    assert [e["message"] for e in more["events"]] == ["e9"]
    ranged = logs.get_log_events(logGroupName=unique, logStreamName="s", startTime=now + 1, endTime=now + 3,
                                 startFromHead=True)
    assert [e["message"] for e in ranged["events"]] == ["e1", "e2"]
    assert ranged["events"][0]["ingestionTime"] >= now - 60_000
    with pytest.raises(ClientError) as exc:
        logs.get_log_events(logGroupName=unique, logStreamName="s", nextToken="garbage")
    assert err(exc) == ("InvalidParameterException", 400)
    empty = logs.get_log_events(logGroupName=unique, logStreamName="s", startTime=now + 100, endTime=now + 200)
    assert empty["events"] == [] and empty["nextForwardToken"].startswith("f/")
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{unique}"
    assert len(logs.get_log_events(logGroupIdentifier=arn, logStreamName="s")["events"]) == 6


def test_deletion_protection_and_regions(server, logs, unique):
    logs.create_log_group(logGroupName=unique, deletionProtectionEnabled=True)
    logs.create_log_stream(logGroupName=unique, logStreamName="s")
    assert logs.describe_log_groups(logGroupNamePrefix=unique)["logGroups"][0]["deletionProtectionEnabled"] is True
    for call in (lambda: logs.delete_log_group(logGroupName=unique),
                 lambda: logs.delete_log_stream(logGroupName=unique, logStreamName="s")):
        with pytest.raises(ClientError) as exc:
            call()
        assert err(exc) == ("ValidationException", 400)
    logs.put_log_group_deletion_protection(logGroupIdentifier=unique, deletionProtectionEnabled=False)
    # Another region is another namespace: the group is not there.
    other = server.client("logs", region="eu-west-1")
    assert other.describe_log_groups(logGroupNamePrefix=unique)["logGroups"] == []
    other.create_log_group(logGroupName=unique)
    logs.delete_log_group(logGroupName=unique)
    assert [g["logGroupName"] for g in other.describe_log_groups(logGroupNamePrefix=unique)["logGroups"]] == [unique]


def test_resource_policies(logs, unique):
    document = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "route53.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]})
    out = logs.put_resource_policy(policyName=unique, policyDocument=document)
    assert out["resourcePolicy"]["policyName"] == unique and out["resourcePolicy"]["policyScope"] == "ACCOUNT"
    names = [p["policyName"] for p in logs.describe_resource_policies()["resourcePolicies"]]
    assert unique in names
    with pytest.raises(ClientError) as exc:
        logs.put_resource_policy(policyName=unique + "x", policyDocument="not json")
    assert err(exc) == ("InvalidParameterException", 400)
    logs.delete_resource_policy(policyName=unique)
    with pytest.raises(ClientError) as exc:
        logs.delete_resource_policy(policyName=unique)
    assert err(exc) == ("ResourceNotFoundException", 400)
