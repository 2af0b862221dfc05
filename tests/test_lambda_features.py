"""Lambda: versions, aliases, policies, concurrency, asynchronous invocation, layers, URLs, reaping."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from test_lambda import ROLE, call, create, zipped

RECORDER = """
import json, os
def handler(event, context):
    with open(os.environ["OUT"], "a") as f:
        f.write(json.dumps(event) + "\\n")
    if os.environ.get("FAIL"):
        raise RuntimeError("failing on purpose")
    return {"ok": True}
"""


@pytest.fixture
def lam(server):
    return server.client("lambda")


def wait_for(predicate, timeout=20.0):
    """Poll until predicate() is truthy (work happening in the background), else fail."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached")


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_versions_and_aliases_with_weighted_routing(lam, unique):
    create(lam, unique, "def handler(e, c):\n    return 'one'\n")
    v1 = lam.publish_version(FunctionName=unique)
    assert v1["Version"] == "1" and v1["FunctionArn"].endswith(f":{unique}:1")
    lam.update_function_code(FunctionName=unique, ZipFile=zipped({"app.py": "def handler(e, c):\n    return 'two'\n"}))
    v2 = lam.publish_version(FunctionName=unique, Description="second")
    assert v2["Version"] == "2"
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName=unique)["Versions"]] == ["$LATEST", "1", "2"]

    assert call(lam, unique, Qualifier="1")[1] == "one"
    response, result = call(lam, f"{unique}:2")
    assert result == "two" and response["ExecutedVersion"] == "2"
    assert call(lam, unique)[1] == "two"

    alias = lam.create_alias(FunctionName=unique, Name="live", FunctionVersion="1")
    assert alias["AliasArn"].endswith(f":{unique}:live")
    response, result = call(lam, unique, Qualifier="live")
    assert result == "one" and response["ExecutedVersion"] == "1"
    lam.update_alias(FunctionName=unique, Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    seen = {call(lam, unique, Qualifier="live")[1] for _ in range(40)}
    assert seen == {"one", "two"}
    lam.update_alias(FunctionName=unique, Name="live", FunctionVersion="2", RoutingConfig={})
    assert {call(lam, unique, Qualifier="live")[1] for _ in range(5)} == {"two"}
    assert [a["Name"] for a in lam.list_aliases(FunctionName=unique)["Aliases"]] == ["live"]

    with pytest.raises(ClientError) as exc:
        call(lam, unique, Qualifier="9")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        lam.create_alias(FunctionName=unique, Name="live", FunctionVersion="1")
    assert exc.value.response["Error"]["Code"] == "ResourceConflictException"
    with pytest.raises(ClientError) as exc:
        lam.create_alias(FunctionName=unique, Name="bad", FunctionVersion="7")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_resource_policy(lam, unique):
    created = create(lam, unique)
    statement = json.loads(lam.add_permission(FunctionName=unique, StatementId="s3", Action="lambda:InvokeFunction",
                                              Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::bucket",
                                              SourceAccount="000000000000")["Statement"])
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Resource"] == created["FunctionArn"]
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == "arn:aws:s3:::bucket"
    policy = json.loads(lam.get_policy(FunctionName=unique)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["s3"]
    with pytest.raises(ClientError) as exc:
        lam.add_permission(FunctionName=unique, StatementId="s3", Action="lambda:InvokeFunction", Principal="*")
    assert exc.value.response["Error"]["Code"] == "ResourceConflictException"
    lam.remove_permission(FunctionName=unique, StatementId="s3")
    with pytest.raises(ClientError) as exc:
        lam.get_policy(FunctionName=unique)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        lam.remove_permission(FunctionName=unique, StatementId="s3")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_reserved_concurrency_throttles(lam, unique):
    source = "import os, time\ndef handler(e, c):\n    time.sleep(e.get('sleep', 0))\n    return os.getpid()\n"
    create(lam, unique, source, Timeout=10)
    lam.put_function_concurrency(FunctionName=unique, ReservedConcurrentExecutions=0)
    assert lam.get_function(FunctionName=unique)["Concurrency"] == {"ReservedConcurrentExecutions": 0}
    with pytest.raises(ClientError) as exc:
        call(lam, unique)
    assert exc.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429

    lam.put_function_concurrency(FunctionName=unique, ReservedConcurrentExecutions=1)
    outcomes = []

    def invoke():
        try:
            outcomes.append(call(lam, unique, {"sleep": 2})[1])
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])

    threads = [threading.Thread(target=invoke) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, outcomes))[-1] == "TooManyRequestsException" and len(outcomes) == 2
    assert any(isinstance(o, int) for o in outcomes)

    lam.delete_function_concurrency(FunctionName=unique)
    pids = []
    threads = [threading.Thread(target=lambda: pids.append(call(lam, unique, {"sleep": 1})[1])) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(pids)) == 2  # scaled up to two environments


def test_idle_environments_are_reaped(server, lam, unique):
    create(lam, unique)
    assert call(lam, unique)[1]["calls"] == 1
    assert call(lam, unique)[1]["calls"] == 2
    server.admin("/_pocketcloud/clock", {"advance": "20m"})
    assert call(lam, unique)[1]["calls"] == 1  # a new environment: the idle one was reaped


def test_async_invocation_success_destination(lam, unique, tmp_path):
    out, dest_out = tmp_path / "calls", tmp_path / "dest"
    create(lam, unique + "-dest", RECORDER, Environment={"Variables": {"OUT": str(dest_out)}})
    create(lam, unique, RECORDER, Environment={"Variables": {"OUT": str(out)}})
    dest_arn = lam.get_function(FunctionName=unique + "-dest")["Configuration"]["FunctionArn"]
    lam.put_function_event_invoke_config(FunctionName=unique, DestinationConfig={"OnSuccess": {"Destination": dest_arn}})
    response = lam.invoke(FunctionName=unique, InvocationType="Event", Payload=json.dumps({"hello": "async"}))
    assert response["StatusCode"] == 202
    assert wait_for(lambda: lines(out)) == [{"hello": "async"}]
    record = wait_for(lambda: lines(dest_out))[0]
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestPayload"] == {"hello": "async"} and record["responsePayload"] == {"ok": True}


def test_async_invocation_retries_then_failure_destination(server, lam, unique, tmp_path):
    out, dest_out = tmp_path / "calls", tmp_path / "dest"
    create(lam, unique + "-dest", RECORDER, Environment={"Variables": {"OUT": str(dest_out)}})
    create(lam, unique, RECORDER, Environment={"Variables": {"OUT": str(out), "FAIL": "1"}})
    dest_arn = lam.get_function(FunctionName=unique + "-dest")["Configuration"]["FunctionArn"]
    lam.put_function_event_invoke_config(FunctionName=unique, DestinationConfig={"OnFailure": {"Destination": dest_arn}})
    assert lam.get_function_event_invoke_config(FunctionName=unique)["DestinationConfig"]["OnFailure"]["Destination"] \
        == dest_arn
    lam.invoke(FunctionName=unique, InvocationType="Event", Payload=b'{"n": 1}')
    wait_for(lambda: len(lines(out)) == 1)
    server.admin("/_pocketcloud/clock", {"advance": "61s"})
    wait_for(lambda: len(lines(out)) == 2)
    server.admin("/_pocketcloud/clock", {"advance": "121s"})
    wait_for(lambda: len(lines(out)) == 3)
    record = wait_for(lambda: lines(dest_out))[0]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "failing on purpose"
    assert len(lines(out)) == 3  # two retries, no more


def test_layers_are_on_the_path(lam, unique):
    layer = lam.publish_layer_version(LayerName=unique, Content={"ZipFile": zipped({"python/shared_lib.py": "VALUE = 42\n"})},
                                      CompatibleRuntimes=["python3.11"])
    assert layer["Version"] == 1 and layer["LayerVersionArn"].endswith(f":layer:{unique}:1")
    source = "import shared_lib\ndef handler(e, c):\n    return shared_lib.VALUE\n"
    created = create(lam, unique, source, Layers=[layer["LayerVersionArn"]])
    assert created["Layers"][0]["Arn"] == layer["LayerVersionArn"]
    assert call(lam, unique)[1] == 42
    assert lam.list_layer_versions(LayerName=unique)["LayerVersions"][0]["Version"] == 1
    with pytest.raises(ClientError) as exc:
        create(lam, unique + "x", Layers=[layer["LayerVersionArn"][:-1] + "9"])
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"


URL_HANDLER = """
import json
def handler(event, context):
    return {"statusCode": 201, "headers": {"x-echo": event["rawPath"]}, "cookies": ["a=1"],
            "body": json.dumps({"event": event})}
"""


def test_function_url_serves_http(server, lam, unique):
    create(lam, unique, URL_HANDLER)
    config = lam.create_function_url_config(FunctionName=unique, AuthType="NONE")
    url_id = config["FunctionUrl"].split("//", 1)[1].split(".", 1)[0]
    assert ".lambda-url.us-east-1." in config["FunctionUrl"]
    assert lam.get_function_url_config(FunctionName=unique)["AuthType"] == "NONE"

    request = urllib.request.Request(f"{server.endpoint}/_aws/lambda-url/{url_id}/items/7?q=1&q=2",
                                     data=b'{"k": "v"}', headers={"Content-Type": "application/json",
                                                                  "Cookie": "c=3"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 201 and resp.headers["x-echo"] == "/items/7"
        assert resp.headers["Set-Cookie"] == "a=1"
        event = json.loads(resp.read())["event"]
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/items/7" and event["rawQueryString"] == "q=1&q=2"
    assert event["queryStringParameters"] == {"q": "1,2"} and event["cookies"] == ["c=3"]
    assert event["body"] == '{"k": "v"}' and event["isBase64Encoded"] is False
    assert event["requestContext"]["http"]["method"] == "POST" and event["requestContext"]["apiId"] == url_id

    host_request = urllib.request.Request(f"{server.endpoint}/by-host",
                                          headers={"Host": f"{url_id}.lambda-url.us-east-1.on.aws"})
    with urllib.request.urlopen(host_request, timeout=10) as resp:
        assert json.loads(resp.read())["event"]["rawPath"] == "/by-host"

    lam.update_function_url_config(FunctionName=unique, AuthType="AWS_IAM")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{server.endpoint}/_aws/lambda-url/{url_id}/", timeout=10)
    assert exc.value.code == 403
    assert signed_get(f"{server.endpoint}/_aws/lambda-url/{url_id}/signed", "test") == 201
    assert signed_get(f"{server.endpoint}/_aws/lambda-url/{url_id}/signed", "wrong-secret") == 403
    lam.delete_function_url_config(FunctionName=unique)
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{server.endpoint}/_aws/lambda-url/{url_id}/", timeout=10)
    assert exc.value.code == 404


def signed_get(url: str, secret: str) -> int:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials("test", secret), "lambda", "us-east-1").add_auth(request)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=dict(request.headers)), timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as error:
        return error.code


def test_function_url_plain_json_answer_and_errors(server, lam, unique):
    create(lam, unique, "def handler(e, c):\n    if e['rawPath'] == '/fail':\n        raise ValueError('x')\n"
                        "    return {'plain': True}\n")
    url_id = lam.create_function_url_config(FunctionName=unique, AuthType="NONE")["FunctionUrl"].split("//")[1][:32]
    with urllib.request.urlopen(f"{server.endpoint}/_aws/lambda-url/{url_id}/", timeout=10) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"] == "application/json"
        assert json.loads(resp.read()) == {"plain": True}
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{server.endpoint}/_aws/lambda-url/{url_id}/fail", timeout=10)
    assert exc.value.code == 502


def test_role_and_name_validation(lam, unique):
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName="bad name!", Runtime="python3.11", Role=ROLE, Handler="a.b",
                            Code={"ZipFile": zipped({"a.py": ""})})
    assert exc.value.response["Error"]["Code"] == "ValidationException"


def test_queued_async_invocations_survive_a_restart(tmp_path, unique):
    from conftest import Server

    out = tmp_path / "calls"
    first = Server(data_dir=tmp_path / "data").start()
    try:
        lam = first.client("lambda")
        create(lam, unique, RECORDER, Environment={"Variables": {"OUT": str(out)}})
        lam.put_function_concurrency(FunctionName=unique, ReservedConcurrentExecutions=0)
        assert lam.invoke(FunctionName=unique, InvocationType="Event", Payload=b'{"kept": true}')["StatusCode"] == 202
    finally:
        first.kill()  # SIGKILL: nothing gets a chance to flush
    second = Server(data_dir=tmp_path / "data").start()
    try:
        lam = second.client("lambda")
        lam.delete_function_concurrency(FunctionName=unique)
        assert not out.exists()  # throttled so far: still queued
        second.admin("/_pocketcloud/clock", {"advance": "61s"})
        assert wait_for(lambda: lines(out)) == [{"kept": True}]
    finally:
        second.stop()


@pytest.mark.parametrize("runtime", ["python3.12", "python3.14"])
def test_python_runtime_runs_on_that_version_or_the_closest_with_a_warning(lam, unique, runtime):
    import base64

    create(lam, unique, "import sys\ndef handler(e, c):\n    return '%d.%d' % sys.version_info[:2]\n", runtime=runtime)
    response, version = call(lam, unique, LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    if f"pocketcloud: {runtime} is not installed here; running on Python {version} instead." in log:
        assert version != runtime[len("python"):]
    else:
        assert version == runtime[len("python"):]
