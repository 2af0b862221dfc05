"""Logs Insights queries (StartQuery / GetQueryResults / DescribeQueries / StopQuery) through boto3."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from test_logs import virtual_now_ms


@pytest.fixture(scope="module")
def logs(server):
    return server.client("logs")


@pytest.fixture(scope="module")
def group(server, logs):
    now = virtual_now_ms(server)
    base = now - now % 600_000 - 600_000   # the start of a 10-minute window, so bins are predictable
    name = f"insights-{now}"
    logs.create_log_group(logGroupName=name)
    events = {
        "api": [(0, json.dumps({"level": "ERROR", "latency": 250, "user": {"id": "u1"}})),
                (60_000, json.dumps({"level": "INFO", "latency": 30, "user": {"id": "u2"}})),
                (360_000, json.dumps({"level": "ERROR", "latency": 70, "user": {"id": "u1"}}))],
        "auth": [(1_000, "user=alice action=login status=200"),
                 (400_000, "user=bob action=logout status=500")],
    }
    for stream, items in events.items():
        logs.create_log_stream(logGroupName=name, logStreamName=stream)
        logs.put_log_events(logGroupName=name, logStreamName=stream,
                            logEvents=[{"timestamp": base + offset, "message": m} for offset, m in items])
    return {"name": name, "base": base, "now": now}


def run(logs, group, query, **kwargs):
    query_id = logs.start_query(logGroupName=group["name"], startTime=group["base"] // 1000 - 60,
                                endTime=group["now"] // 1000 + 60, queryString=query, **kwargs)["queryId"]
    out = logs.get_query_results(queryId=query_id)
    assert out["status"] == "Complete"
    return [{c["field"]: c["value"] for c in row} for row in out["results"]], out["statistics"], query_id


def test_fields_sort_limit(logs, group):
    rows, stats, _ = run(logs, group, "fields @timestamp, @message, @logStream | sort @timestamp desc | limit 2")
    assert [r["@message"] for r in rows] == ["user=bob action=logout status=500",
                                            json.dumps({"level": "ERROR", "latency": 70, "user": {"id": "u1"}})]
    assert rows[0]["@logStream"] == "auth" and "@ptr" in rows[0]
    assert len(rows[0]["@timestamp"]) == len("2026-01-01 00:00:00.000")
    assert stats["recordsScanned"] == 5.0


def test_filter_and_stats_by_json_field(logs, group):
    rows, stats, _ = run(logs, group, "filter level = 'ERROR' | stats count(*) as n, avg(latency), "
                                      "min(latency), max(latency), sum(latency) by user.id")
    assert rows == [{"user.id": "u1", "n": "2", "avg(latency)": "160", "min(latency)": "70",
                     "max(latency)": "250", "sum(latency)": "320"}]
    assert stats["recordsMatched"] == 2.0


def test_stats_by_bin(logs, group):
    rows, _, _ = run(logs, group, "stats count(*) as n by bin(5m) as period | sort period asc")
    assert [r["n"] for r in rows] == ["3", "2"]
    assert rows[0]["period"].endswith("0:00.000") or rows[0]["period"].endswith("5:00.000")


def test_parse_glob_and_regex(logs, group):
    rows, _, _ = run(logs, group, 'parse @message "user=* action=* status=*" as who, act, code '
                                  "| filter code >= 500 | display who, act, code")
    assert len(rows) == 1
    assert {k: rows[0][k] for k in ("who", "act", "code")} == {"who": "bob", "act": "logout", "code": "500"}
    rows, _, _ = run(logs, group, r"parse @message /user=(?<who>\w+) action=(?<act>\w+)/ "
                                  "| filter ispresent(who) | sort who | fields who, act")
    assert [(r["who"], r["act"]) for r in rows] == [("alice", "login"), ("bob", "logout")]


def test_filter_operators(logs, group):
    cases = {
        "filter @message like /ERR/ and latency > 100": 1,
        "filter level != 'ERROR' and ispresent(level)": 1,
        "filter level in ['INFO', 'WARN'] or not ispresent(level)": 3,
        "filter @message like 'action=log'": 2,
        "filter @message not like /bob/ and (latency < 100 or latency >= 250)": 3,
        "filter @logStream = 'auth'": 2,
    }
    for query, expected in cases.items():
        rows, _, _ = run(logs, group, query + " | fields @message")
        assert len(rows) == expected, query


def test_limit_parameter_and_describe(logs, group):
    rows, _, query_id = run(logs, group, "fields @message", limit=1)
    assert len(rows) == 1
    found = logs.describe_queries(logGroupName=group["name"])["queries"]
    assert any(q["queryId"] == query_id and q["status"] == "Complete" and q["queryString"] == "fields @message"
               for q in found)
    with pytest.raises(ClientError) as exc:
        logs.stop_query(queryId=query_id)
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"


def test_query_errors(logs, group):
    with pytest.raises(ClientError) as exc:
        logs.start_query(logGroupName=group["name"], startTime=0, endTime=10, queryString="stats latency")
    assert exc.value.response["Error"]["Code"] == "MalformedQueryException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as exc:
        logs.start_query(logGroupName="no-such-group-x", startTime=0, endTime=10, queryString="fields @message")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        logs.start_query(logGroupName=group["name"], startTime=10, endTime=5, queryString="fields @message")
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.get_query_results(queryId="00000000-0000-0000-0000-000000000000")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_time_range_excludes_events(logs, group):
    start = (group["base"] + 300_000) // 1000
    query_id = logs.start_query(logGroupName=group["name"], startTime=start, endTime=start + 200,
                                queryString="stats count(*) as n")["queryId"]
    rows = logs.get_query_results(queryId=query_id)["results"]
    assert rows == [[{"field": "n", "value": "2"}]]


def test_query_definitions(logs, unique):
    created = logs.put_query_definition(name=f"{unique}/errors", queryString="filter level = 'ERROR'",
                                        logGroupNames=["a", "b"])["queryDefinitionId"]
    logs.put_query_definition(name=f"{unique}/all", queryString="fields @message")
    found = logs.describe_query_definitions(queryDefinitionNamePrefix=unique)["queryDefinitions"]
    assert [d["name"] for d in found] == [f"{unique}/all", f"{unique}/errors"]
    assert found[1]["queryDefinitionId"] == created and found[1]["logGroupNames"] == ["a", "b"]
    logs.put_query_definition(queryDefinitionId=created, name=f"{unique}/errors", queryString="filter level = 'WARN'")
    found = logs.describe_query_definitions(queryDefinitionNamePrefix=f"{unique}/e")["queryDefinitions"]
    assert [d["queryString"] for d in found] == ["filter level = 'WARN'"]
    with pytest.raises(ClientError) as exc:
        logs.put_query_definition(name=f"{unique}/bad", queryString="stats nothing")
    assert exc.value.response["Error"]["Code"] == "MalformedQueryException"
    assert logs.delete_query_definition(queryDefinitionId=created)["success"] is True
    with pytest.raises(ClientError) as exc:
        logs.delete_query_definition(queryDefinitionId=created)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_log_group_fields_and_list_log_groups(logs, group):
    fields = {f["name"]: f["percent"] for f in logs.get_log_group_fields(
        logGroupName=group["name"], time=(group["base"] + 200_000) // 1000)["logGroupFields"]}
    # All five events fall within 8 minutes either side; three of them are JSON.
    assert fields["@message"] == 100 and fields["@timestamp"] == 100
    assert fields["latency"] == 60 and fields["user.id"] == 60
    later = logs.get_log_group_fields(logGroupName=group["name"], time=(group["base"] + 1_000_000) // 1000)
    assert {f["name"]: f["percent"] for f in later["logGroupFields"]}.get("latency") is None
    listed = logs.list_log_groups(logGroupNamePattern=group["name"].upper())["logGroups"]
    assert listed == [{"logGroupName": group["name"], "logGroupClass": "STANDARD",
                       "logGroupArn": f"arn:aws:logs:us-east-1:000000000000:log-group:{group['name']}"}]


def test_get_log_record_by_pointer(logs, group):
    rows, _, _ = run(logs, group, "filter latency = 250 | fields @message")
    record = logs.get_log_record(logRecordPointer=rows[0]["@ptr"])["logRecord"]
    assert record["latency"] == "250" and record["user.id"] == "u1" and record["@logStream"] == "api"
    assert record["@log"] == f"000000000000:{group['name']}"
    with pytest.raises(ClientError) as exc:
        logs.get_log_record(logRecordPointer="not a pointer")
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"


def test_lambda_report_fields_are_discovered(server, logs, unique):
    group = f"/aws/lambda/{unique}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="2026/01/01/[$LATEST]abc")
    now = virtual_now_ms(server)
    lines = ["START RequestId: r1 Version: $LATEST", "hello", "END RequestId: r1",
             "REPORT RequestId: r1\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
             "Max Memory Used: 40 MB\tInit Duration: 150.00 ms\t",
             "START RequestId: r2 Version: $LATEST", "END RequestId: r2",
             "REPORT RequestId: r2\tDuration: 3.50 ms\tBilled Duration: 4 ms\tMemory Size: 128 MB\t"
             "Max Memory Used: 41 MB\t"]
    logs.put_log_events(logGroupName=group, logStreamName="2026/01/01/[$LATEST]abc",
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(lines)])
    query_id = logs.start_query(
        logGroupName=group, startTime=now // 1000 - 60, endTime=now // 1000 + 60,
        queryString="filter @type = 'REPORT' | stats count(*) as invocations, avg(@duration) as avgDuration, "
                    "max(@maxMemoryUsed / 1000 / 1000) as maxMB, count(@initDuration) as coldStarts")["queryId"]
    rows = logs.get_query_results(queryId=query_id)["results"]
    assert {c["field"]: c["value"] for c in rows[0]} == {"invocations": "2", "avgDuration": "8", "maxMB": "41",
                                                        "coldStarts": "1"}


def test_functions(logs, group):
    rows, _, _ = run(logs, group, "filter ispresent(latency) | fields coalesce(missing, user.id) as who, "
                                  "greatest(latency, 100) as floor100, strlen(level) as n, toupper(level) as up, "
                                  "datefloor(@timestamp, 1h) as hour | sort latency desc | limit 1")
    row = rows[0]
    assert (row["who"], row["floor100"], row["n"], row["up"]) == ("u1", "250", "5", "ERROR")
    assert row["hour"].endswith(":00:00.000")
