"""--enforce-iam with EventBridge: rules are checked on their ARN (rule/<name> on the default bus,
rule/<bus>/<name> on others, whether the bus is named or given by ARN), PutEvents on the bus."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import aws_error, enforcing_server
from test_enforcement import allow, doc, make_user

PATTERN = json.dumps({"source": ["x"]})


# A server enforcing signatures and IAM policies, this module's own (conftest).
strict = enforcing_server


def test_rule_and_bus_arns_decide(strict, unique):
    strict.client("events").create_event_bus(Name=unique)
    base = "arn:aws:events:us-east-1:000000000000"
    user = make_user(strict, unique, inline=doc(
        allow("events:PutRule", [f"{base}:rule/{unique}-*", f"{base}:rule/{unique}/*"]),
        allow("events:PutEvents", f"{base}:event-bus/{unique}")))
    events = user("events")
    events.put_rule(Name=f"{unique}-ok", EventPattern=PATTERN)
    events.put_rule(Name="any", EventPattern=PATTERN, EventBusName=unique)
    events.put_rule(Name="any", EventPattern=PATTERN, EventBusName=f"{base}:event-bus/{unique}")
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name="other", EventPattern=PATTERN)
    assert aws_error(exc) == ("AccessDeniedException", 400)
    entry = {"Source": "x", "DetailType": "t", "Detail": "{}"}
    assert events.put_events(Entries=[{**entry, "EventBusName": unique}])["FailedEntryCount"] == 0
    with pytest.raises(ClientError) as exc:
        events.put_events(Entries=[entry])  # the default bus is not allowed
    assert aws_error(exc) == ("AccessDeniedException", 400)


def test_targets_roles_need_pass_role(strict, unique):
    base = "arn:aws:events:us-east-1:000000000000"
    role = f"arn:aws:iam::000000000000:role/{unique}"
    user = make_user(strict, unique, inline=doc(allow(["events:PutRule", "events:PutTargets"], f"{base}:rule/{unique}")))
    events = user("events")
    events.put_rule(Name=unique, EventPattern=PATTERN)
    queue = f"arn:aws:sqs:us-east-1:000000000000:{unique}"
    events.put_targets(Rule=unique, Targets=[{"Id": "plain", "Arn": queue}])
    with pytest.raises(ClientError) as exc:
        events.put_targets(Rule=unique, Targets=[{"Id": "plain", "Arn": queue}, {"Id": "role", "Arn": queue,
                                                                                 "RoleArn": role}])
    assert aws_error(exc) == ("AccessDeniedException", 400)
    assert "iam:PassRole" in exc.value.response["Error"]["Message"]
