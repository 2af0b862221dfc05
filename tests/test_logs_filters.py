"""Subscription and metric filters of CloudWatch Logs, through boto3."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import cbor2
import pytest
from conftest import Server
from botocore.exceptions import ClientError

from test_logs import virtual_now_ms


@pytest.fixture(scope="module")
def logs(server):
    return server.client("logs")


def code(exc) -> str:
    return exc.value.response["Error"]["Code"]


def kinesis_arn(name: str) -> str:
    return f"arn:aws:kinesis:us-east-1:000000000000:stream/{name}"


def test_subscription_filters_crud_and_limit(logs, unique):
    logs.create_log_group(logGroupName=unique)
    logs.put_subscription_filter(logGroupName=unique, filterName="one", filterPattern="ERROR",
                                 destinationArn=kinesis_arn("a"), roleArn="arn:aws:iam::000000000000:role/r")
    logs.put_subscription_filter(logGroupName=unique, filterName="two", filterPattern="",
                                 destinationArn=kinesis_arn("b"), distribution="Random")
    # Same name: an update, not a third filter.
    logs.put_subscription_filter(logGroupName=unique, filterName="two", filterPattern="WARN",
                                 destinationArn=kinesis_arn("b"))
    with pytest.raises(ClientError) as exc:
        logs.put_subscription_filter(logGroupName=unique, filterName="three", filterPattern="",
                                     destinationArn=kinesis_arn("c"))
    assert code(exc) == "LimitExceededException"
    found = logs.describe_subscription_filters(logGroupName=unique)["subscriptionFilters"]
    assert [(f["filterName"], f["filterPattern"], f["distribution"]) for f in found] == [
        ("one", "ERROR", "ByLogStream"), ("two", "WARN", "ByLogStream")]
    assert found[0]["roleArn"] == "arn:aws:iam::000000000000:role/r"
    assert found[0]["destinationArn"] == kinesis_arn("a") and found[0]["logGroupName"] == unique
    assert [f["filterName"] for f in logs.describe_subscription_filters(
        logGroupName=unique, filterNamePrefix="t")["subscriptionFilters"]] == ["two"]
    logs.delete_subscription_filter(logGroupName=unique, filterName="one")
    with pytest.raises(ClientError) as exc:
        logs.delete_subscription_filter(logGroupName=unique, filterName="one")
    assert code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        logs.put_subscription_filter(logGroupName=unique, filterName="bad", filterPattern="{ $.a = }",
                                     destinationArn=kinesis_arn("a"))
    assert code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.put_subscription_filter(logGroupName=unique + "x", filterName="f", filterPattern="",
                                     destinationArn=kinesis_arn("a"))
    assert code(exc) == "ResourceNotFoundException"


def test_metric_filters_crud(logs, unique):
    logs.create_log_group(logGroupName=unique)
    transformation = {"metricName": "Errors", "metricNamespace": unique, "metricValue": "1", "defaultValue": 0.0}
    logs.put_metric_filter(logGroupName=unique, filterName="errors", filterPattern="ERROR",
                           metricTransformations=[transformation])
    logs.put_metric_filter(logGroupName=unique, filterName="latency", filterPattern="{ $.latency > 0 }",
                           metricTransformations=[{"metricName": "Latency", "metricNamespace": unique,
                                                   "metricValue": "$.latency", "unit": "Milliseconds",
                                                   "dimensions": {"Service": "$.service"}}])
    found = logs.describe_metric_filters(logGroupName=unique)["metricFilters"]
    assert [f["filterName"] for f in found] == ["errors", "latency"]
    assert found[0]["metricTransformations"][0]["metricValue"] == "1"
    assert logs.describe_log_groups(logGroupNamePrefix=unique)["logGroups"][0]["metricFilterCount"] == 2
    by_metric = logs.describe_metric_filters(metricName="Latency", metricNamespace=unique)["metricFilters"]
    assert [f["filterName"] for f in by_metric] == ["latency"]
    with pytest.raises(ClientError) as exc:
        logs.describe_metric_filters(filterNamePrefix="x")
    assert code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.put_metric_filter(logGroupName=unique, filterName="bad", filterPattern="ERROR",
                               metricTransformations=[{"metricName": "M", "metricNamespace": "N",
                                                       "metricValue": "lots"}])
    assert code(exc) == "InvalidParameterException"
    logs.delete_metric_filter(logGroupName=unique, filterName="errors")
    with pytest.raises(ClientError) as exc:
        logs.delete_metric_filter(logGroupName=unique, filterName="errors")
    assert code(exc) == "ResourceNotFoundException"


def test_test_metric_filter(logs):
    out = logs.test_metric_filter(
        filterPattern="[ip, user, username, timestamp, request, status_code = 4*, bytes]",
        logEventMessages=['127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /a.gif HTTP/1.0" 404 1534',
                          '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /a.gif HTTP/1.0" 200 1534'])
    assert out["matches"] == [{
        "eventNumber": 1,
        "eventMessage": '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /a.gif HTTP/1.0" 404 1534',
        "extractedValues": {"$ip": "127.0.0.1", "$user": "-", "$username": "frank",
                            "$timestamp": "10/Oct/2000:13:25:15 -0700", "$request": "GET /a.gif HTTP/1.0",
                            "$status_code": "404", "$bytes": "1534"}}]
    out = logs.test_metric_filter(filterPattern='{ $.latency > 100 }',
                                  logEventMessages=[json.dumps({"latency": 250}), json.dumps({"latency": 5})])
    # Only space-delimited patterns extract values.
    assert [(m["eventNumber"], m["extractedValues"]) for m in out["matches"]] == [(1, {})]
    # Fields the pattern leaves unnamed are extracted by position (AWS's own example).
    out = logs.test_metric_filter(
        filterPattern="[..., request=*.html*, status_code=4*,]",
        logEventMessages=['127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'])
    assert out["matches"][0]["extractedValues"] == {
        "$status_code": "404", "$request": "GET /index.html HTTP/1.0", "$7": "1534",
        "$4": "10/Oct/2000:13:25:15 -0700", "$3": "frank", "$2": "-", "$1": "127.0.0.1"}
    with pytest.raises(ClientError) as exc:
        logs.test_metric_filter(filterPattern="[a,", logEventMessages=["x"])
    assert code(exc) == "InvalidParameterException"


def test_metric_filters_turn_matching_events_into_data_points(tmp_path):
    """Each matching event is a data point: in CloudWatch when it is there, else counted in the
    store (which this test reads back from the server's data directory)."""
    srv = Server(data_dir=tmp_path).start()
    try:
        logs = srv.client("logs")
        logs.create_log_group(logGroupName="app")
        logs.create_log_stream(logGroupName="app", logStreamName="s")
        logs.put_metric_filter(logGroupName="app", filterName="latency", filterPattern="{ $.latency > 0 }",
                               metricTransformations=[{"metricName": "Latency", "metricNamespace": "App",
                                                       "metricValue": "$.latency"}])
        logs.put_metric_filter(logGroupName="app", filterName="errors", filterPattern="[level = ERROR, ...]",
                               metricTransformations=[{"metricName": "Errors", "metricNamespace": "App",
                                                       "metricValue": "1"}])
        now = virtual_now_ms(srv)
        messages = [json.dumps({"latency": 120}), json.dumps({"latency": 30}), "ERROR disk full", "INFO ok",
                    "ERROR again"]
        logs.put_log_events(logGroupName="app", logStreamName="s",
                            logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])
        health = srv.admin("/_pocketcloud/health")["services"]
        if health.get("cloudwatch", {}).get("implemented"):
            cloudwatch = srv.client("cloudwatch")
            when = datetime.fromtimestamp(now / 1000, timezone.utc)
            stats = cloudwatch.get_metric_statistics(
                Namespace="App", MetricName="Latency", StartTime=when - timedelta(minutes=5),
                EndTime=when + timedelta(minutes=5), Period=600, Statistics=["Sum", "SampleCount"])
            assert [(p["Sum"], p["SampleCount"]) for p in stats["Datapoints"]] == [(150.0, 2.0)]
            return
        with sqlite3.connect(tmp_path / "state.db") as db:
            rows = dict(db.execute("SELECT name, body FROM resources WHERE service='logs' AND kind='metric-data'"))
        counted = {name: cbor2.loads(body) for name, body in rows.items()}
        assert (counted["App:Latency"]["count"], counted["App:Latency"]["sum"]) == (2, 150.0)
        assert (counted["App:Errors"]["count"], counted["App:Errors"]["sum"]) == (2, 2.0)
    finally:
        srv.stop()
