"""EventBridge's event pattern language through TestEventPattern: every documented operator over
the whole event (source, detail-type, resources, detail...), and the patterns AWS refuses."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

EVENT = {
    "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2", "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {
        "instance-id": "i-1234567890abcdef0", "state": "terminated", "c-count": 5, "d-count": 3.5,
        "source-ip": "10.0.0.123", "ipv6": "2001:db8::1", "flag": True, "nothing": None, "empty": "",
        "file": "dir/photo.PNG", "tags": ["blue", "green"], "numbers": [1, 50, 200],
        "location": {"city": "New York", "zip": "10001"},
        "items": [{"kind": "book", "price": 10}, {"kind": "pen", "price": 2}],
    },
}


@pytest.fixture
def matches(server):
    events = server.client("events")

    def check(pattern, event=EVENT) -> bool:
        return events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"]

    return check


MATCHING = [
    {"source": ["aws.ec2"]},
    {"source": ["aws.s3", "aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
    {"account": ["111122223333"], "region": [{"prefix": "us-"}]},
    {"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]},
    {"time": [{"prefix": "2017-12-22"}]},
    {"detail": {"state": ["terminated"]}},
    {"detail": {"state": [{"prefix": "term"}]}},
    {"detail": {"state": [{"prefix": {"equals-ignore-case": "TERM"}}]}},
    {"detail": {"file": [{"suffix": ".PNG"}]}},
    {"detail": {"file": [{"suffix": {"equals-ignore-case": ".png"}}]}},
    {"detail": {"state": [{"equals-ignore-case": "TERMINATED"}]}},
    {"detail": {"state": [{"anything-but": "running"}]}},
    {"detail": {"state": [{"anything-but": ["running", "pending"]}]}},
    {"detail": {"state": [{"anything-but": {"prefix": "run"}}]}},
    {"detail": {"state": [{"anything-but": {"suffix": "ing"}}]}},
    {"detail": {"state": [{"anything-but": {"equals-ignore-case": ["RUNNING", "Pending"]}}]}},
    {"detail": {"file": [{"anything-but": {"wildcard": "*/lib/*"}}]}},
    {"detail": {"c-count": [{"anything-but": [1, 2, 3]}]}},
    {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}},
    {"detail": {"c-count": [{"numeric": ["=", 5]}]}},
    {"detail": {"d-count": [{"numeric": [">=", 3.5]}]}},
    {"detail": {"c-count": [5]}},
    {"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}},
    {"detail": {"ipv6": [{"cidr": "2001:db8::/32"}]}},
    {"detail": {"instance-id": [{"exists": True}]}},
    {"detail": {"missing": [{"exists": False}]}},
    {"detail": {"nothing": [None]}},
    {"detail": {"empty": [""]}},
    {"detail": {"flag": [True]}},
    {"detail": {"file": [{"wildcard": "dir/*.PNG"}]}},
    {"detail": {"file": [{"wildcard": "*"}]}},
    {"detail": {"tags": ["green"]}},                          # an array matches if any element does
    {"detail": {"numbers": [{"numeric": [">", 100]}]}},
    {"detail": {"location": {"city": ["New York"]}}},         # nested
    {"detail": {"items": {"kind": ["pen"], "price": [2]}}},   # objects inside an array
    {"$or": [{"source": ["nope"]}, {"detail": {"state": ["terminated"]}}]},
    {"detail": {"$or": [{"c-count": [{"numeric": [">", 10]}]}, {"d-count": [{"numeric": ["<", 4]}]}]}},
    {"detail": {"state": ["running", {"prefix": "ter"}]}},   # OR within a list
]

NOT_MATCHING = [
    {"source": ["aws.s3"]},
    {"source": ["AWS.EC2"]},                                  # exact match is case sensitive
    {"source": ["aws.ec2"], "detail-type": ["Other"]},        # AND across keys
    {"detail": {"state": [{"prefix": "TERM"}]}},
    {"detail": {"file": [{"suffix": ".png"}]}},
    {"detail": {"state": [{"anything-but": "terminated"}]}},
    {"detail": {"state": [{"anything-but": {"prefix": "term"}}]}},
    {"detail": {"state": [{"anything-but": {"equals-ignore-case": "TERMINATED"}}]}},
    {"detail": {"file": [{"anything-but": {"wildcard": "dir/*"}}]}},
    {"detail": {"missing": [{"anything-but": "x"}]}},         # anything-but needs the field
    {"detail": {"c-count": [{"numeric": [">", 5]}]}},
    {"detail": {"c-count": [{"numeric": [">", 0, "<", 5]}]}},
    {"detail": {"state": [{"numeric": [">", 0]}]}},           # numeric never matches a string
    {"detail": {"c-count": ["5"]}},                           # a string never matches a number
    {"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}},
    {"detail": {"instance-id": [{"exists": False}]}},
    {"detail": {"missing": [{"exists": True}]}},
    {"detail": {"location": [{"exists": True}]}},             # exists looks at leaves only
    {"detail": {"nothing": [""]}},
    {"detail": {"empty": [None]}},
    {"detail": {"file": [{"wildcard": "*.png"}]}},
    {"detail": {"tags": ["red"]}},
    {"detail": {"location": {"city": ["Boston"]}}},
    {"detail": {"items": {"kind": ["pen"], "price": [10]}}},  # one element must match the whole nested pattern
    {"$or": [{"source": ["nope"]}, {"detail": {"state": ["running"]}}]},
    {"detail": {"instance-id": ["i-1234567890abcdef0"], "location": {"zip": ["99999"]}}},
]


@pytest.mark.parametrize("pattern", MATCHING, ids=[json.dumps(p)[:60] for p in MATCHING])
def test_matching_patterns(matches, pattern):
    assert matches(pattern) is True


@pytest.mark.parametrize("pattern", NOT_MATCHING, ids=[json.dumps(p)[:60] for p in NOT_MATCHING])
def test_non_matching_patterns(matches, pattern):
    assert matches(pattern) is False


def test_escaped_star_in_wildcard_is_literal(matches):
    event = {**EVENT, "detail": {"name": "a*b"}}
    assert matches({"detail": {"name": [{"wildcard": "a\\*b"}]}}, event) is True
    assert matches({"detail": {"name": [{"wildcard": "a\\*b"}]}}, {**EVENT, "detail": {"name": "axxb"}}) is False


INVALID = [
    "{",                                                     # not JSON
    '"source"',                                               # not an object
    '{"source": "aws.ec2"}',                                  # leaf not in an array
    '{"source": []}',                                         # empty list
    '{"detail": {}}',                                         # empty nested pattern
    '{"detail": {"x": [{"unknown-op": 1}]}}',
    '{"detail": {"x": [{"prefix": 5}]}}',
    '{"detail": {"x": [{"numeric": [">", "a"]}]}}',
    '{"detail": {"x": [{"numeric": ["<", 5, ">", 3]}]}}',
    '{"detail": {"x": [{"numeric": [">", 5, "<", 3]}]}}',
    '{"detail": {"x": [{"numeric": [">", 6e9]}]}}',
    '{"detail": {"x": [{"exists": "yes"}]}}',
    '{"detail": {"x": [{"cidr": "10.0.0.1"}]}}',
    '{"detail": {"x": [{"cidr": "bad/8"}]}}',
    '{"detail": {"x": [{"wildcard": "a**"}]}}',
    '{"detail": {"x": [{"anything-but": {"contains": "a"}}]}}',
    '{"detail": {"x": [{"anything-but": [{"prefix": "a"}]}]}}',
    '{"$or": [{"source": ["a"]}]}',
    '{"detail": {"x": [{"prefix": "a", "suffix": "b"}]}}',
]


@pytest.mark.parametrize("pattern", INVALID)
def test_invalid_patterns(server, pattern):
    events = server.client("events")
    with pytest.raises(ClientError) as exc:
        events.test_event_pattern(EventPattern=pattern, Event=json.dumps(EVENT))
    assert exc.value.response["Error"]["Code"] == "InvalidEventPatternException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_event_must_have_the_envelope_fields(server):
    events = server.client("events")
    for event in ({"source": "x"}, [1], "nope"):
        with pytest.raises(ClientError) as exc:
            events.test_event_pattern(EventPattern='{"source": ["x"]}', Event=json.dumps(event))
        assert exc.value.response["Error"]["Code"] == "ValidationException"
