"""EventBridge event buses and rules: the implicit default bus, custom buses, resource policies,
rules with their errors, paging, state, tags and ListRuleNamesByTarget."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from conftest import aws_error


@pytest.fixture
def events(server):
    return server.client("events")


PATTERN = json.dumps({"source": ["my.app"]})


def test_default_bus_exists_and_cannot_be_deleted(events):
    bus = events.describe_event_bus()
    assert bus["Name"] == "default"
    assert bus["Arn"] == "arn:aws:events:us-east-1:000000000000:event-bus/default"
    assert "default" in [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    with pytest.raises(ClientError) as exc:
        events.delete_event_bus(Name="default")
    assert aws_error(exc) == ("ValidationException", 400)
    assert exc.value.response["Error"]["Message"] == "Cannot delete event bus default."


def test_custom_bus_lifecycle(events, unique):
    arn = events.create_event_bus(Name=unique, Description="mine", Tags=[{"Key": "team", "Value": "a"}])["EventBusArn"]
    assert arn == f"arn:aws:events:us-east-1:000000000000:event-bus/{unique}"
    described = events.describe_event_bus(Name=unique)
    assert (described["Name"], described["Arn"], described["Description"]) == (unique, arn, "mine")
    assert events.describe_event_bus(Name=arn)["Name"] == unique  # by ARN too
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    assert [b["Name"] for b in events.list_event_buses(NamePrefix=unique)["EventBuses"]] == [unique]
    with pytest.raises(ClientError) as exc:
        events.create_event_bus(Name=unique)
    assert aws_error(exc) == ("ResourceAlreadyExistsException", 400)
    with pytest.raises(ClientError) as exc:
        events.create_event_bus(Name="default")
    assert aws_error(exc) == ("ResourceAlreadyExistsException", 400)
    events.put_rule(Name=unique, EventPattern=PATTERN, EventBusName=unique)
    events.delete_event_bus(Name=unique)
    with pytest.raises(ClientError) as exc:
        events.describe_event_bus(Name=unique)
    assert aws_error(exc) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as exc:  # its rules went with it
        events.describe_rule(Name=unique, EventBusName=unique)
    assert aws_error(exc) == ("ResourceNotFoundException", 400)
    events.delete_event_bus(Name=unique)  # gone already: no error


def test_bus_name_rules(events, unique):
    for bad in (f"aws.{unique}", f"{unique}/x"):
        with pytest.raises(ClientError) as exc:
            events.create_event_bus(Name=bad)
        assert aws_error(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        events.create_event_bus(Name=f"{unique}!")
    assert aws_error(exc) == ("ValidationException", 400)


def test_list_event_buses_pages(events, unique):
    for i in range(3):
        events.create_event_bus(Name=f"{unique}-{i}")
    first = events.list_event_buses(NamePrefix=unique, Limit=2)
    assert [b["Name"] for b in first["EventBuses"]] == [f"{unique}-0", f"{unique}-1"]
    second = events.list_event_buses(NamePrefix=unique, Limit=2, NextToken=first["NextToken"])
    assert [b["Name"] for b in second["EventBuses"]] == [f"{unique}-2"] and "NextToken" not in second


def test_bus_permissions(events, unique):
    events.create_event_bus(Name=unique)
    events.put_permission(EventBusName=unique, Action="events:PutEvents", Principal="111122223333",
                          StatementId="one")
    events.put_permission(EventBusName=unique, Action="events:PutEvents", Principal="*", StatementId="org",
                          Condition={"Type": "StringEquals", "Key": "aws:PrincipalOrgID", "Value": "o-abc"})
    policy = json.loads(events.describe_event_bus(Name=unique)["Policy"])
    one, org = policy["Statement"]
    assert one == {"Sid": "one", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                   "Action": "events:PutEvents",
                   "Resource": f"arn:aws:events:us-east-1:000000000000:event-bus/{unique}"}
    assert org["Principal"] == "*" and org["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}
    events.remove_permission(EventBusName=unique, StatementId="one")
    assert [s["Sid"] for s in json.loads(events.describe_event_bus(Name=unique)["Policy"])["Statement"]] == ["org"]
    with pytest.raises(ClientError) as exc:
        events.remove_permission(EventBusName=unique, StatementId="one")
    assert aws_error(exc) == ("ResourceNotFoundException", 400)
    events.remove_permission(EventBusName=unique, RemoveAllPermissions=True)
    assert "Policy" not in events.describe_event_bus(Name=unique)
    with pytest.raises(ClientError) as exc:
        events.remove_permission(EventBusName=unique, StatementId="org")
    assert aws_error(exc) == ("ResourceNotFoundException", 400)
    # a whole policy document
    document = {"Version": "2012-10-17", "Statement": [{"Sid": "all", "Effect": "Allow", "Principal": "*",
                                                        "Action": "events:PutEvents", "Resource": "*"}]}
    events.put_permission(EventBusName=unique, Policy=json.dumps(document))
    assert json.loads(events.describe_event_bus(Name=unique)["Policy"]) == document
    with pytest.raises(ClientError) as exc:
        events.put_permission(EventBusName=f"{unique}-none", Action="events:PutEvents", Principal="*",
                              StatementId="x")
    assert aws_error(exc) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        events.put_permission(EventBusName=unique, Action="events:PutRule", Principal="*", StatementId="x")
    assert aws_error(exc) == ("ValidationException", 400)


def test_rule_lifecycle(events, unique):
    arn = events.put_rule(Name=unique, EventPattern=PATTERN, Description="d", State="DISABLED")["RuleArn"]
    assert arn == f"arn:aws:events:us-east-1:000000000000:rule/{unique}"
    rule = events.describe_rule(Name=unique)
    assert (rule["Name"], rule["Arn"], rule["EventPattern"], rule["State"], rule["Description"], rule["EventBusName"],
            rule["CreatedBy"]) == (unique, arn, PATTERN, "DISABLED", "d", "default", "000000000000")
    events.enable_rule(Name=unique)
    assert events.describe_rule(Name=unique)["State"] == "ENABLED"
    events.disable_rule(Name=unique)
    assert events.describe_rule(Name=unique)["State"] == "DISABLED"
    events.delete_rule(Name=unique)
    for call in (events.describe_rule, events.enable_rule, events.disable_rule):
        with pytest.raises(ClientError) as exc:
            call(Name=unique)
        assert aws_error(exc) == ("ResourceNotFoundException", 400)
    events.delete_rule(Name=unique)  # deleting what is gone is no error


def test_rule_on_custom_bus_has_the_bus_in_its_arn(events, unique):
    events.create_event_bus(Name=unique)
    arn = events.put_rule(Name="r1", EventPattern=PATTERN, EventBusName=unique)["RuleArn"]
    assert arn == f"arn:aws:events:us-east-1:000000000000:rule/{unique}/r1"
    assert [r["Name"] for r in events.list_rules(EventBusName=unique)["Rules"]] == ["r1"]
    with pytest.raises(ClientError) as exc:
        events.describe_rule(Name="r1")  # not on the default bus
    assert aws_error(exc) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name="r1", EventPattern=PATTERN, EventBusName=f"{unique}-none")
    assert aws_error(exc) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name="r2", ScheduleExpression="rate(5 minutes)", EventBusName=unique)
    assert aws_error(exc) == ("ValidationException", 400)


def test_put_rule_validation(events, unique):
    cases = [dict(Name=unique), dict(Name=unique, EventPattern=PATTERN, State="ON"),
             dict(Name=unique + "/x", EventPattern=PATTERN),
             dict(Name=unique, ScheduleExpression="rate(1 minutes)"),
             dict(Name=unique, ScheduleExpression="cron(0 12 * * * *)"),
             dict(Name=unique, ScheduleExpression="every day")]
    for params in cases:
        with pytest.raises(ClientError) as exc:
            events.put_rule(**params)
        assert aws_error(exc) == ("ValidationException", 400), params
    for pattern in ("not json", '{"source": "x"}', '{"source": []}', '{"a": [{"nope": 1}]}',
                    '{"n": [{"numeric": [">", 5, ">", 3]}]}', '{"w": [{"wildcard": "a**b"}]}', '["x"]'):
        with pytest.raises(ClientError) as exc:
            events.put_rule(Name=unique, EventPattern=pattern)
        assert aws_error(exc) == ("InvalidEventPatternException", 400), pattern
        assert exc.value.response["Error"]["Message"].startswith("Event pattern is not valid. Reason: ")


def test_list_rules_prefix_and_paging(events, unique):
    for i in range(5):
        events.put_rule(Name=f"{unique}-{i}", EventPattern=PATTERN)
    names, token, pages = [], None, 0
    while True:
        out = events.list_rules(NamePrefix=unique, Limit=2, **({"NextToken": token} if token else {}))
        names += [r["Name"] for r in out["Rules"]]
        pages += 1
        token = out.get("NextToken")
        if not token:
            break
    assert names == [f"{unique}-{i}" for i in range(5)] and pages == 3
    paginated = [r["Name"] for p in events.get_paginator("list_rules").paginate(NamePrefix=unique) for r in p["Rules"]]
    assert paginated == names


def test_delete_rule_with_targets_fails(server, events, unique):
    sqs = server.client("sqs")
    sqs.create_queue(QueueName=unique)
    events.put_rule(Name=unique, EventPattern=PATTERN)
    events.put_targets(Rule=unique, Targets=[{"Id": "q", "Arn": f"arn:aws:sqs:us-east-1:000000000000:{unique}"}])
    with pytest.raises(ClientError) as exc:
        events.delete_rule(Name=unique)
    assert aws_error(exc) == ("ValidationException", 400)
    assert exc.value.response["Error"]["Message"] == "Rule can't be deleted since it has targets."
    events.remove_targets(Rule=unique, Ids=["q"])
    events.delete_rule(Name=unique)


def test_list_rule_names_by_target(events, unique):
    queue = f"arn:aws:sqs:us-east-1:000000000000:{unique}"
    for name in ("a", "b", "c"):
        events.put_rule(Name=f"{unique}-{name}", EventPattern=PATTERN)
    events.put_targets(Rule=f"{unique}-a", Targets=[{"Id": "1", "Arn": queue}])
    events.put_targets(Rule=f"{unique}-c", Targets=[{"Id": "1", "Arn": queue}])
    assert events.list_rule_names_by_target(TargetArn=queue)["RuleNames"] == [f"{unique}-a", f"{unique}-c"]
    assert events.list_rule_names_by_target(TargetArn=queue + "x")["RuleNames"] == []


def test_rule_tags(events, unique):
    arn = events.put_rule(Name=unique, EventPattern=PATTERN, Tags=[{"Key": "a", "Value": "1"}])["RuleArn"]
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "b", "Value": "2"}])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "a", "Value": "1"},
                                                                      {"Key": "b", "Value": "2"}]
    events.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as exc:
        events.tag_resource(ResourceARN=arn + "x", Tags=[{"Key": "b", "Value": "2"}])
    assert aws_error(exc) == ("ResourceNotFoundException", 400)


def test_update_event_bus(events, unique):
    events.create_event_bus(Name=unique, Description="before")
    out = events.update_event_bus(Name=unique, Description="after")
    assert (out["Name"], out["Description"]) == (unique, "after")
    assert events.describe_event_bus(Name=unique)["Description"] == "after"


def test_bus_and_rule_limits(server, unique):
    account = str(int(unique[1:], 16) % 10**12).zfill(12)  # an account of this test's own
    events = server.client("events", key=account)
    for i in range(100):
        events.create_event_bus(Name=f"b{i}")
    with pytest.raises(ClientError) as exc:
        events.create_event_bus(Name="one-too-many")
    assert aws_error(exc) == ("LimitExceededException", 400)
    for i in range(300):
        events.put_rule(Name=f"r{i}", EventPattern=PATTERN)
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name="one-too-many", EventPattern=PATTERN)
    assert aws_error(exc) == ("LimitExceededException", 400)
    events.put_rule(Name="r0", EventPattern=PATTERN, Description="updating is not adding")
