"""pocketcloud's light model (protocol/model.py) must read botocore's JSON as botocore does.

The codec is handed our model, real clients use botocore's; the conformance test would show a
difference as some codec failure, this test names it: for every served service, every
operation and every shape reachable from its input, output and errors (and the service's
error shapes), each attribute the codec relies on is compared. One test per service.
"""

from __future__ import annotations

import copy

import pytest

from pocketcloud.protocol.model import ServiceModel, load_service_data
from pocketcloud.protocol.specs import SERVICES, service_model

from .models import botocore_service_model

MAX_LINES = 60

SERVICE_ATTRS = ("service_name", "operation_names", "shape_names", "metadata", "protocol",
                 "api_version", "endpoint_prefix", "signing_name", "service_id",
                 "signature_version", "is_query_compatible")
OPERATION_ATTRS = ("name", "wire_name", "http", "metadata", "auth_type", "auth", "endpoint",
                   "deprecated", "http_checksum_required", "http_checksum", "request_compression",
                   "has_streaming_input", "has_streaming_output",
                   "has_event_stream_input", "has_event_stream_output")
# Shape-valued operation attributes: compared by name here, walked below.
OPERATION_SHAPE_GETTERS = ("get_streaming_input", "get_streaming_output",
                           "get_event_stream_input", "get_event_stream_output")
SHAPE_ATTRS = ("name", "type_name", "serialization", "metadata", "required_members",
               "event_stream_name")
STRUCTURE_ATTRS = ("error_code", "is_document_type", "is_tagged_union")


def _name(shape):
    return None if shape is None else shape.name


def _traits(shape, attr) -> str:
    try:
        return repr(getattr(shape, attr))
    except Exception as exc:
        return f"<{type(exc).__name__}>"


class Walker:
    """Compares a service's two models; differences as readable lines."""

    def __init__(self, service):
        self.service = service
        self.ours = service_model(service)
        self.boto = botocore_service_model(service)
        self.diffs: list[str] = []
        # A shape is the same wherever a reference with the same traits names it: compare it
        # once (EC2 alone has thousands of references to a few hundred shapes).
        self.seen: set[tuple] = set()

    def differ(self, where, attr, ours, boto):
        self.diffs.append(f"{where}: {attr}: ours {ours!r:.160}, botocore {boto!r:.160}")

    def compare_attrs(self, where, ours, boto, attrs):
        for attr in attrs:
            try:
                mine = getattr(ours, attr)
            except Exception as exc:  # a missing attribute is a difference, not a crash
                mine = f"<{type(exc).__name__}: {exc}>"
            theirs = getattr(boto, attr)
            if isinstance(theirs, str):
                theirs = str(theirs)  # ServiceId is a str subclass
            if mine != theirs:
                self.differ(where, attr, mine, theirs)

    def run(self) -> list[str]:
        ours, boto = self.ours, self.boto
        self.compare_attrs(self.service, ours, boto, SERVICE_ATTRS)
        if "protocols" in boto.metadata:
            self.compare_attrs(self.service, ours, boto, ("protocols",))
        self.shape_lists(f"{self.service}.error_shapes", ours.error_shapes, boto.error_shapes)
        for code in {shape.error_code for shape in boto.error_shapes}:
            # Two shapes may share a code (CloudWatch's ResourceNotFound): the same one wins.
            mine, theirs = ours.shape_for_error_code(code), boto.shape_for_error_code(code)
            if _name(mine) != _name(theirs):
                self.differ(self.service, f"shape_for_error_code({code!r})", _name(mine), _name(theirs))
        for name in boto.operation_names:
            try:
                op = ours.operation_model(name)
            except Exception as exc:
                self.differ(self.service, f"operation_model({name!r})", repr(exc), "found")
                continue
            self.operation(op, boto.operation_model(name))
        return self.diffs

    def operation(self, ours, boto):
        where = f"{self.service}.{boto.name}"
        self.compare_attrs(where, ours, boto, OPERATION_ATTRS)
        # botocore answers None when the trait is absent, ours False: the same to every caller.
        if bool(ours.unsigned_payload) != bool(boto.unsigned_payload):
            self.differ(where, "unsigned_payload", ours.unsigned_payload, boto.unsigned_payload)
        if ours.service_model is not self.ours:
            self.differ(where, "service_model", ours.service_model, "its own service model")
        for getter in OPERATION_SHAPE_GETTERS:
            mine, theirs = getattr(ours, getter)(), getattr(boto, getter)()
            if _name(mine) != _name(theirs):
                self.differ(where, f"{getter}()", _name(mine), _name(theirs))
        for attr in ("input_shape", "output_shape"):
            mine, theirs = getattr(ours, attr), getattr(boto, attr)
            if (mine is None) != (theirs is None):
                self.differ(where, attr, _name(mine), _name(theirs))
            elif theirs is not None:
                self.shape(f"{where}.{attr}", mine, theirs)
        self.shape_lists(f"{where}.error_shapes", ours.error_shapes, boto.error_shapes)

    def shape_lists(self, where, ours, boto):
        if [s.name for s in ours] != [s.name for s in boto]:
            self.differ(where, "names", [s.name for s in ours], [s.name for s in boto])
            return
        for mine, theirs in zip(ours, boto):
            self.shape(f"{where}[{theirs.name}]", mine, theirs)

    def shape(self, where, ours, boto):
        # Both sides' traits in the key: a reference only ours reads differently is compared.
        key = (boto.name, repr(boto.serialization), repr(boto.metadata),
               _traits(ours, "name"), _traits(ours, "type_name"),
               _traits(ours, "serialization"), _traits(ours, "metadata"))
        if key in self.seen:
            return
        self.seen.add(key)
        where = f"{where}<{boto.name}>"
        if type(ours).__name__ != type(boto).__name__:
            self.differ(where, "class", type(ours).__name__, type(boto).__name__)
            return
        self.compare_attrs(where, ours, boto, SHAPE_ATTRS)
        kind = type(boto).__name__
        if kind == "StructureShape":
            self.compare_attrs(where, ours, boto, STRUCTURE_ATTRS)
            if list(ours.members) != list(boto.members):
                self.differ(where, "members", list(ours.members), list(boto.members))
                return
            for name, member in boto.members.items():
                self.shape(f"{where}.{name}", ours.members[name], member)
        elif kind == "ListShape":
            self.shape(f"{where}.member", ours.member, boto.member)
        elif kind == "MapShape":
            self.shape(f"{where}.key", ours.key, boto.key)
            self.shape(f"{where}.value", ours.value, boto.value)
        elif kind == "StringShape":
            self.compare_attrs(where, ours, boto, ("enum",))


@pytest.mark.parametrize("service", SERVICES)
def test_our_model_agrees_with_botocore(service):
    diffs = Walker(service).run()
    if diffs:
        lines = diffs[:MAX_LINES]
        if len(diffs) > MAX_LINES:
            lines.append(f"... and {len(diffs) - MAX_LINES} more")
        pytest.fail(f"{len(diffs)} differences between our model and botocore's:\n"
                    + "\n".join(lines), pytrace=False)


def test_the_walker_sees_a_difference():
    """A walker that compares nothing would pass every service."""

    def changed(change):
        data = copy.deepcopy(load_service_data("sqs"))
        change(data)
        walker = Walker("sqs")
        walker.ours = ServiceModel(data, "sqs")
        return walker.run()

    def members(data):
        return data["shapes"]["SendMessageRequest"]["members"]

    assert Walker("sqs").run() == []
    diffs = changed(lambda data: members(data)["DelaySeconds"].update(locationName="Delay"))
    assert any("DelaySeconds" in d and "serialization" in d for d in diffs), diffs
    diffs = changed(lambda data: data["shapes"]["NullableInteger"].update(max=5))
    assert any("NullableInteger" in d and "metadata" in d for d in diffs), diffs
    diffs = changed(lambda data: members(data).update(Extra={"shape": "String"}))
    assert any("SendMessageRequest" in d and "members" in d for d in diffs), diffs
    diffs = changed(lambda data: data["operations"]["SendMessage"]["http"].update(requestUri="/x"))
    assert any("SendMessage" in d and "http" in d for d in diffs), diffs
    diffs = changed(lambda data: data["operations"]["SendMessage"]["errors"].pop())
    assert any("SendMessage.error_shapes" in d for d in diffs), diffs
