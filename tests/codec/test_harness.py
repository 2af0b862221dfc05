"""The conformance harness must see differences: a comparer that passes everything would
make the conformance test worthless. These checks feed it known-wrong answers."""

from __future__ import annotations

import copy
import datetime as dt
import math
import random

from pocketcloud.protocol.http import BodyStream
from pocketcloud.protocol.model import ServiceModel, load_service_data

from . import harness
from .models import OperationPair, botocore_service_model, operation_pair
from .random_values import ValueGenerator, f32


def _op(service, name):
    """botocore's model: what the generator and the comparison follow."""
    return botocore_service_model(service).operation_model(name)


def _diffs(direction, protocol, op, shape, expected, actual):
    return harness.Comparer(direction, protocol, op).top(shape, expected, actual)


def test_comparer_flags_changed_missing_and_extra_members():
    op = _op("sqs", "SendMessage")
    params = {"QueueUrl": "u", "MessageBody": "b", "DelaySeconds": 3}
    shape = op.input_shape
    assert _diffs("input", "json", op, shape, params, dict(params)) == []
    assert _diffs("input", "json", op, shape, params, {**params, "MessageBody": "c"})
    assert _diffs("input", "json", op, shape, params, {"QueueUrl": "u", "MessageBody": "b"})
    assert _diffs("input", "json", op, shape, params, {**params, "MessageGroupId": "g"})
    assert _diffs("input", "json", op, shape, params, {**params, "DelaySeconds": "3"})  # type matters
    assert _diffs("input", "json", op, shape, params, {**params, "Bogus": 1})


def test_comparer_timestamps_precision_and_awareness():
    op = _op("cloudwatch", "GetMetricStatistics")
    shape = op.input_shape
    t = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
    params = {"Namespace": "n", "MetricName": "m", "StartTime": t, "EndTime": t, "Period": 60}

    def answer(when):
        return {**params, "StartTime": when, "EndTime": when}

    # Each protocol is held to the precision botocore's serializer puts on the wire, probed
    # (json: whole seconds up to botocore 1.43, microseconds since 1.44)...
    unit = harness._input_ts_unit("json", None, None)
    assert _diffs("input", "json", op, shape, params, answer(harness._truncate(t, unit))) == []
    if unit != "second":
        assert _diffs("input", "json", op, shape, params, answer(t.replace(microsecond=0)))
    # ...query sends ISO 8601 with microseconds, so a truncated answer is wrong there
    assert harness._input_ts_unit("query", None, None) == "micro"
    assert _diffs("input", "query", op, shape, params, answer(t.replace(microsecond=0)))
    naive = {**params, "StartTime": t.replace(tzinfo=None)}
    assert _diffs("input", "query", op, shape, params, naive)


def test_timestamp_probe_reads_the_wire():
    # Headers go through whole epoch seconds whatever the format; RFC 822 has no fraction.
    for protocol in ("rest-json", "rest-xml"):
        assert harness._input_ts_unit(protocol, "header", None) == "second"
        assert harness._input_ts_unit(protocol, "header", "iso8601") == "second"
        assert harness._input_ts_unit(protocol, None, "rfc822") == "second"
        assert harness._input_ts_unit(protocol, "querystring", None) == "micro"


def test_form_input_structures_without_values_are_invisible():
    # query/ec2 forms carry scalars only: a structure with nothing in it sends no key.
    op = _op("autoscaling", "CreateAutoScalingGroup")
    base = {"AutoScalingGroupName": "g", "MinSize": 1, "MaxSize": 2}
    empty = {**base, "MixedInstancesPolicy": {"LaunchTemplate": {}}}
    assert _diffs("input", "query", op, op.input_shape, empty, dict(base)) == []
    full = {**base, "MixedInstancesPolicy": {"LaunchTemplate": {
        "LaunchTemplateSpecification": {"LaunchTemplateId": "lt"}}}}
    assert _diffs("input", "query", op, op.input_shape, full, dict(base))
    # other protocols send "{}": there it must arrive
    assert _diffs("input", "json", op, op.input_shape, empty, dict(base))


def test_comparer_lists_maps_blobs_floats():
    op = _op("kms", "Encrypt")
    shape = op.input_shape
    params = {"KeyId": "k", "Plaintext": b"\x00\x01", "EncryptionContext": {"a": "b"},
              "GrantTokens": ["x", "y"]}
    assert _diffs("input", "json", op, shape, params, copy.deepcopy(params)) == []
    for key, bad in (("Plaintext", "AAE="), ("EncryptionContext", {"a": "c"}),
                     ("GrantTokens", ["y", "x"]), ("GrantTokens", ["x"])):
        assert _diffs("input", "json", op, shape, params, {**params, key: bad}), key
    op = _op("cloudwatch", "PutMetricData")
    datum = {"MetricName": "m", "Value": 1.5}
    params = {"Namespace": "n", "MetricData": [datum]}
    assert _diffs("input", "query", op, op.input_shape, params, copy.deepcopy(params)) == []
    bad = {"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": 1.25}]}
    assert _diffs("input", "query", op, op.input_shape, params, bad)


def test_streaming_payload_must_be_a_body_stream():
    op = _op("s3", "PutObject")
    params = {"Bucket": "b", "Key": "k", "Body": b"data"}
    got = {"Bucket": "b", "Key": "k", "Body": BodyStream.from_bytes(b"data")}
    assert _diffs("input", "rest-xml", op, op.input_shape, params, got) == []
    got = {"Bucket": "b", "Key": "k", "Body": BodyStream.from_bytes(b"dat")}
    assert _diffs("input", "rest-xml", op, op.input_shape, params, got)
    assert _diffs("input", "rest-xml", op, op.input_shape, params, {**params})  # bytes, not a stream


def test_generator_is_deterministic_and_valid_for_botocore():
    from botocore.validate import ParamValidator

    validator = ParamValidator()
    for service, name, protocol in (("ec2", "RunInstances", "ec2"), ("s3", "PutObject", "rest-xml"),
                                    ("lambda", "CreateFunction", "rest-json"),
                                    ("cloudwatch", "PutMetricData", "smithy-rpc-v2-cbor")):
        op = _op(service, name)
        for mode in ("full", "minimal", "random"):
            a = ValueGenerator(random.Random(7), protocol, "input").operation_input(op, mode)
            b = ValueGenerator(random.Random(7), protocol, "input").operation_input(op, mode)
            assert a == b or _has_nan(a)
            report = validator.validate(a, op.input_shape)
            assert not report.has_errors(), report.generate_report()
    assert f32(0.1) != 0.1 and f32(f32(0.1)) == f32(0.1)


def _has_nan(value):
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nan(v) for v in value)
    return False



def _event_stream_case(service, name, protocol, events, **members):
    pair = operation_pair(service, name)
    return pair, protocol, {pair.boto.output_shape.event_stream_name: events, **members}


def _tampered(serialize, op, member, events, change):
    """serialize_response with the provider's events (`events`, served sync or async by the
    harness) passed through `change` first."""
    stream_shape = op.boto.output_shape.members[member]

    def wrapper(operation_model, protocol, result, request_id):
        provided = result[member]
        if hasattr(provided, "__aiter__"):
            changed = change(harness._sync_events(stream_shape, events))

            async def provided():
                for event in changed:
                    yield event

            provided = provided()
        else:
            provided = change(provided)
        return serialize(operation_model, protocol, {**result, member: provided}, request_id)
    return wrapper


def _stream_diffs(op, protocol, result):
    diffs = harness.check_output(op, protocol, result)
    member = op.boto.output_shape.event_stream_name
    assert diffs and all(d.startswith(member) for d in diffs), diffs
    return diffs


def test_event_stream_output_is_checked_event_by_event(monkeypatch):
    op, protocol, result = _event_stream_case(
        "lambda", "InvokeWithResponseStream", "rest-json",
        [{"PayloadChunk": {"Payload": b"abc"}}, {"InvokeComplete": {"LogResult": "l"}}],
        ExecutedVersion="1")
    assert harness.check_output(op, protocol, result) == []

    def drop_last(events):
        return list(events)[:-1]

    def alter_payload(events):
        for event in events:
            yield {"PayloadChunk": {"Payload": b"abd"}} if "PayloadChunk" in event else event

    serialize = harness.codec.serialize_response
    for change in (drop_last, alter_payload):
        monkeypatch.setattr(harness.codec, "serialize_response",
                            _tampered(serialize, op, "EventStream", result["EventStream"], change))
        _stream_diffs(op, protocol, result)


def test_event_stream_faults_must_arrive_in_band(monkeypatch):
    from .random_values import STREAM_ERROR

    op, protocol, result = _event_stream_case(
        "logs", "GetLogObject", "json",
        [{"fields": {"data": b"x"}}, {"InternalStreamingException": {"message": "m"}}])
    assert harness.check_output(op, protocol, result) == []
    s3_op, s3_protocol, s3_result = _event_stream_case(
        "s3", "SelectObjectContent", "rest-xml",
        [{"Cont": {}}, {STREAM_ERROR: {"Code": "Busy", "Message": "slow down"}}])
    assert harness.check_output(s3_op, s3_protocol, s3_result) == []

    def swallow_fault(events):  # the stream just ends
        try:
            yield from events
        except harness.ServiceError:
            return

    def recode_fault(events):
        try:
            yield from events
        except harness.ServiceError as exc:
            raise harness.ServiceError(exc.code + "X", exc.message) from None

    serialize = harness.codec.serialize_response
    for change in (swallow_fault, recode_fault):
        monkeypatch.setattr(harness.codec, "serialize_response",
                            _tampered(serialize, op, "fieldStream", result["fieldStream"], change))
        _stream_diffs(op, protocol, result)
        monkeypatch.setattr(harness.codec, "serialize_response",
                            _tampered(serialize, s3_op, "Payload", s3_result["Payload"], change))
        _stream_diffs(s3_op, s3_protocol, s3_result)


# --- the two models ------------------------------------------------------------------------
# botocore's side reads botocore's model, our codec reads ours: a model of ours that differs
# must fail the check even where the codec is right for the model it was given.

def _with_our_model_changed(service, name, change) -> OperationPair:
    data = copy.deepcopy(load_service_data(service))
    change(data["shapes"])
    return OperationPair(ServiceModel(data, service).operation_model(name), _op(service, name))


def test_a_difference_in_our_model_fails_the_input_check():
    params = {"Bucket": "b", "Key": "k", "Body": b"data", "ContentLanguage": "en"}
    assert harness.check_input(operation_pair("s3", "PutObject"), "rest-xml", params) == []

    def rename_header(shapes):
        shapes["PutObjectRequest"]["members"]["ContentLanguage"]["locationName"] = "Content-Lang"

    pair = _with_our_model_changed("s3", "PutObject", rename_header)
    assert harness.check_input(pair, "rest-xml", params)


def test_a_difference_in_our_model_fails_the_output_and_error_checks():
    result = {"QueueUrl": "https://q"}
    assert harness.check_output(operation_pair("sqs", "CreateQueue"), "json", result) == []

    def rename_member(shapes):
        members = shapes["CreateQueueResult"]["members"]
        members["Url"] = members.pop("QueueUrl")

    pair = _with_our_model_changed("sqs", "CreateQueue", rename_member)
    assert harness.check_output(pair, "json", {"Url": "https://q"})

    def recode_error(shapes):
        shapes["NoSuchEntityException"]["error"] = {**shapes["NoSuchEntityException"]["error"],
                                                     "code": "Renamed"}

    pair = _with_our_model_changed("iam", "GetUser", recode_error)
    shape = pair.boto.service_model.shape_for("NoSuchEntityException")
    code = harness.expected_error_code(shape)
    error = harness.ServiceError(shape.name, "m", 404)  # a provider may raise the shape's name
    assert harness.check_error(operation_pair("iam", "GetUser"), "query", error, code, {}, shape) == []
    assert harness.check_error(pair, "query", error, code, {}, shape)
