"""Lambda: functions really run (local worker processes speaking the Runtime API), through boto3."""

from __future__ import annotations

import base64
import io
import json
import urllib.request
import zipfile

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/lambda-role"

COUNTER = """
import os
calls = 0

def handler(event, context):
    global calls
    calls += 1
    print("got", event)
    return {"calls": calls, "event": event, "request_id": context.aws_request_id,
            "function_name": context.function_name, "version": context.function_version,
            "arn": context.invoked_function_arn, "memory": context.memory_limit_in_mb,
            "remaining": context.get_remaining_time_in_millis(), "group": context.log_group_name,
            "stream": context.log_stream_name,
            "env": {k: os.environ.get(k) for k in ("AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                    "_HANDLER", "AWS_REGION", "AWS_EXECUTION_ENV", "GREETING", "AWS_LAMBDA_RUNTIME_API",
                    "LAMBDA_TASK_ROOT", "AWS_ENDPOINT_URL", "AWS_LAMBDA_FUNCTION_VERSION", "TMPDIR")}}
"""


def zipped(files: dict[str, str | bytes], modes: dict[str, int] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = ((modes or {}).get(name, 0o644)) << 16
            archive.writestr(info, content)
    return buf.getvalue()


def create(client, name: str, source: str = COUNTER, handler: str = "app.handler", runtime: str = "python3.11",
           files: dict | None = None, **extra) -> dict:
    return client.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                                  Code={"ZipFile": zipped(files or {"app.py": source})}, **extra)


def call(client, name: str, event=None, **extra) -> tuple[dict, object]:
    response = client.invoke(FunctionName=name, Payload=json.dumps(event if event is not None else {}), **extra)
    body = response["Payload"].read()
    return response, json.loads(body) if body else None


@pytest.fixture
def lam(server):
    return server.client("lambda")


def test_create_then_invoke_runs_the_code_and_keeps_module_state(lam, unique):
    created = create(lam, unique, Environment={"Variables": {"GREETING": "hi"}}, MemorySize=256, Timeout=5)
    assert created["State"] == "Pending" and created["StateReasonCode"] == "Creating"
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{unique}"
    assert lam.get_function_configuration(FunctionName=unique)["State"] == "Active"
    lam.get_waiter("function_active_v2").wait(FunctionName=unique)

    response, first = call(lam, unique, {"n": 1})
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert first["event"] == {"n": 1} and first["calls"] == 1
    assert first["function_name"] == unique and first["version"] == "$LATEST" and first["memory"] == "256"
    assert first["arn"] == created["FunctionArn"]
    assert 0 < first["remaining"] <= 5000
    assert first["group"] == f"/aws/lambda/{unique}" and "[$LATEST]" in first["stream"]
    env = first["env"]
    assert env["GREETING"] == "hi" and env["_HANDLER"] == "app.handler" and env["AWS_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.11" and env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:") and env["LAMBDA_TASK_ROOT"]
    assert unique not in env["LAMBDA_TASK_ROOT"]  # code directories are named by hash
    assert env["AWS_ENDPOINT_URL"].startswith("http://")
    assert env["TMPDIR"] and env["TMPDIR"] != "/tmp"  # each environment has its own temporary directory

    _, second = call(lam, unique, {"n": 2})
    assert second["calls"] == 2  # the same warm environment: module state survived
    assert second["request_id"] != first["request_id"]


def test_log_tail_has_start_end_report_and_output(lam, unique):
    create(lam, unique)
    response, result = call(lam, unique, {"x": "tail-me"}, LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    rid = result["request_id"]
    assert f"START RequestId: {rid} Version: $LATEST" in log
    assert "got {'x': 'tail-me'}" in log
    assert f"END RequestId: {rid}" in log
    report = [line for line in log.splitlines() if line.startswith("REPORT")][0]
    assert f"REPORT RequestId: {rid}\tDuration: " in report
    assert "Billed Duration: " in report and "Memory Size: 128 MB" in report and "Max Memory Used: " in report
    assert "Init Duration: " in report  # the first invocation was a cold start
    response, _ = call(lam, unique, LogType="Tail")
    assert "Init Duration" not in base64.b64decode(response["LogResult"]).decode()


def test_handler_exception_is_reported_as_aws_does(lam, unique):
    create(lam, unique, "def handler(event, context):\n    raise ValueError('boom ' + str(event['n']))\n")
    response, error = call(lam, unique, {"n": 7}, LogType="Tail")
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "boom 7"
    assert error["requestId"] and any("raise ValueError" in frame for frame in error["stackTrace"])
    assert "[ERROR] ValueError: boom 7" in base64.b64decode(response["LogResult"]).decode()


@pytest.mark.parametrize("handler, source, error_type, message", [
    ("missing.handler", "x = 1\n", "Runtime.ImportModuleError", "Unable to import module 'missing': No module named 'missing'"),
    ("app.nope", "x = 1\n", "Runtime.HandlerNotFound", "Handler 'nope' missing on module 'app'"),
    ("app.handler", "def handler(:\n", "Runtime.UserCodeSyntaxError", "Syntax error in module 'app'"),
])
def test_handler_resolution_errors(lam, unique, handler, source, error_type, message):
    create(lam, unique, source, handler=handler)
    response, error = call(lam, unique)
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == error_type and error["errorMessage"].startswith(message)


def test_timeout_stops_the_invocation(lam, unique):
    source = "import time\nstate = []\ndef handler(event, context):\n    state.append(1)\n" \
             "    if event.get('sleep'):\n        time.sleep(30)\n    return len(state)\n"
    create(lam, unique, source, Timeout=1)
    response, error = call(lam, unique, {"sleep": True}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert "Task timed out after 1.00 seconds" in base64.b64decode(response["LogResult"]).decode()
    _, count = call(lam, unique)
    assert count == 1  # the timed-out environment was killed: a fresh one served this


def test_exit_and_unserializable_result(lam, unique):
    source = "import sys\ndef handler(event, context):\n    if event.get('exit'):\n        sys.exit(3)\n    return {1, 2}\n"
    create(lam, unique, source)
    _, error = call(lam, unique, {"exit": True})
    assert error["errorType"] == "Runtime.ExitError" and "exit status 3" in error["errorMessage"]
    _, error = call(lam, unique)
    assert error["errorType"] == "Runtime.MarshalError"


def test_memory_limit_is_enforced(lam, unique):
    source = "def handler(event, context):\n    blob = bytearray(event['mb'] * 1024 * 1024)\n    return len(blob)\n"
    create(lam, unique, source, MemorySize=128)
    _, size = call(lam, unique, {"mb": 16})
    assert size == 16 * 1024 * 1024
    response, error = call(lam, unique, {"mb": 1024})
    assert response["FunctionError"] == "Unhandled" and error["errorType"] == "Runtime.OutOfMemory"


def test_invocation_types_and_payload_errors(lam, unique):
    create(lam, unique)
    assert lam.invoke(FunctionName=unique, InvocationType="DryRun")["StatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=unique, Payload=b"{not json")
    assert exc.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=unique + "-missing", Payload=b"{}")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=unique, Payload=json.dumps({"x": "y" * (6 * 1024 * 1024)}))
    assert exc.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_control_plane_errors(lam, unique):
    create(lam, unique)
    with pytest.raises(ClientError) as exc:
        create(lam, unique)
    assert exc.value.response["Error"]["Code"] == "ResourceConflictException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(ClientError) as exc:
        create(lam, unique + "b", Environment={"Variables": {"AWS_REGION": "x"}})
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "Reserved keys used in this request: AWS_REGION" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        create(lam, unique + "c", Environment={"Variables": {"BIG": "x" * 5000}})
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName=unique + "d", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": b"not a zip"})
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as exc:
        create(lam, unique + "e", runtime="cobol85")
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        lam.get_function(FunctionName="arn:aws:lambda:us-east-1:000000000000:function:" + unique + "-nope")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_get_list_update_delete(lam, unique):
    create(lam, unique, Description="first")
    got = lam.get_function(FunctionName=unique)
    with urllib.request.urlopen(got["Code"]["Location"], timeout=10) as resp:
        archive = zipfile.ZipFile(io.BytesIO(resp.read()))
    assert archive.read("app.py").decode() == COUNTER
    assert unique in [f["FunctionName"] for f in lam.list_functions(MaxItems=1000)["Functions"]]

    _, before = call(lam, unique)
    updated = lam.update_function_code(FunctionName=unique, ZipFile=zipped({"app.py": "def handler(e, c):\n    return 'v2'\n"}))
    assert updated["LastUpdateStatus"] == "InProgress" and updated["CodeSha256"] != got["Configuration"]["CodeSha256"]
    lam.get_waiter("function_updated_v2").wait(FunctionName=unique)
    assert call(lam, unique)[1] == "v2"
    lam.update_function_configuration(FunctionName=unique, Environment={"Variables": {"GREETING": "new"}},
                                      Handler="app.handler", Timeout=9)
    assert lam.get_function_configuration(FunctionName=unique)["Timeout"] == 9
    lam.tag_resource(Resource=got["Configuration"]["FunctionArn"], Tags={"team": "a"})
    assert lam.list_tags(Resource=got["Configuration"]["FunctionArn"])["Tags"] == {"team": "a"}

    lam.delete_function(FunctionName=unique)
    with pytest.raises(ClientError) as exc:
        lam.get_function(FunctionName=unique)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_boto3_inside_a_function_talks_to_pocketcloud(lam, unique):
    source = "import boto3\ndef handler(event, context):\n" \
             "    return boto3.client('sts').get_caller_identity()['Account']\n"
    create(lam, unique, source, Timeout=30)
    assert call(lam, unique)[1] == "000000000000"


def test_invoke_with_response_stream(lam, unique):
    create(lam, unique, "def handler(e, c):\n    if e.get('fail'):\n        raise KeyError('nope')\n    return {'streamed': e}\n")
    response = lam.invoke_with_response_stream(FunctionName=unique, Payload=b'{"a": 1}')
    events = list(response["EventStream"])
    assert json.loads(events[0]["PayloadChunk"]["Payload"]) == {"streamed": {"a": 1}}
    assert "InvokeComplete" in events[-1] and "ErrorCode" not in events[-1]["InvokeComplete"]
    events = list(lam.invoke_with_response_stream(FunctionName=unique, Payload=b'{"fail": true}')["EventStream"])
    assert events[-1]["InvokeComplete"]["ErrorCode"] == "KeyError"
