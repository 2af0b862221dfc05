"""Lambda runtimes besides our Python client: Node.js, custom runtimes (provided.al2023) with any
executable as `bootstrap`, AWS's own runtime interface client (awslambdaric), and the logs that
reach CloudWatch Logs."""

from __future__ import annotations

import json
import sys
import time

import pytest

from test_lambda import ROLE, call, zipped


@pytest.fixture
def lam(server):
    return server.client("lambda")


def create_zip(lam, name, runtime, handler, files, modes=None, **extra):
    return lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                               Code={"ZipFile": zipped(files, modes)}, **extra)


NODE_HANDLER = """
let calls = 0;
exports.handler = async (event, context) => {
  calls += 1;
  console.log("node saw", JSON.stringify(event));
  return { calls, event, requestId: context.awsRequestId, name: context.functionName,
           remaining: context.getRemainingTimeInMillis() > 0 };
};
exports.fails = async () => { throw new TypeError("bad thing"); };
exports.callback = (event, context, callback) => callback(null, "via callback");
"""


def test_nodejs_function(lam, unique):
    create_zip(lam, unique, "nodejs20.x", "index.handler", {"index.js": NODE_HANDLER})
    response, result = call(lam, unique, {"k": 1}, LogType="Tail")
    assert result["calls"] == 1 and result["event"] == {"k": 1} and result["name"] == unique and result["remaining"]
    import base64

    log = base64.b64decode(response["LogResult"]).decode()
    assert 'node saw {"k":1}' in log and f"END RequestId: {result['requestId']}" in log
    assert call(lam, unique)[1]["calls"] == 2

    create_zip(lam, unique + "-f", "nodejs20.x", "index.fails", {"index.js": NODE_HANDLER})
    response, error = call(lam, unique + "-f")
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "TypeError" and error["errorMessage"] == "bad thing"
    create_zip(lam, unique + "-c", "nodejs20.x", "index.callback", {"index.js": NODE_HANDLER})
    assert call(lam, unique + "-c")[1] == "via callback"
    create_zip(lam, unique + "-m", "nodejs20.x", "missing.handler", {"index.js": NODE_HANDLER})
    assert call(lam, unique + "-m")[1]["errorType"] == "Runtime.ImportModuleError"


# A custom runtime written as a plain script against the Runtime API, as a Go or Rust bootstrap would be.
CUSTOM_BOOTSTRAP = """#!{python}
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
while True:
    with urllib.request.urlopen(api + "/invocation/next") as resp:
        request_id = resp.headers["Lambda-Runtime-Aws-Request-Id"]
        arn = resp.headers["Lambda-Runtime-Invoked-Function-Arn"]
        deadline = int(resp.headers["Lambda-Runtime-Deadline-Ms"])
        event = json.loads(resp.read())
    if event.get("fail"):
        body = json.dumps({{"errorMessage": "custom failure", "errorType": "CustomError"}}).encode()
        urllib.request.urlopen(urllib.request.Request(api + "/invocation/" + request_id + "/error", data=body,
                               headers={{"Lambda-Runtime-Function-Error-Type": "CustomError"}}))
        continue
    answer = {{"echo": event, "arn": arn, "handler": os.environ["_HANDLER"], "has_deadline": deadline > 0}}
    urllib.request.urlopen(urllib.request.Request(api + "/invocation/" + request_id + "/response",
                                                  data=json.dumps(answer).encode()))
"""


def test_custom_runtime_bootstrap(lam, unique):
    bootstrap = CUSTOM_BOOTSTRAP.format(python=sys.executable)
    created = create_zip(lam, unique, "provided.al2023", "my.handler", {"bootstrap": bootstrap}, {"bootstrap": 0o755})
    result = call(lam, unique, {"x": 1})[1]
    assert result == {"echo": {"x": 1}, "arn": created["FunctionArn"], "handler": "my.handler", "has_deadline": True}
    response, error = call(lam, unique, {"fail": True})
    assert response["FunctionError"] == "Unhandled" and error == {"errorMessage": "custom failure",
                                                                   "errorType": "CustomError"}

    create_zip(lam, unique + "-none", "provided.al2", "x", {"readme.txt": "no bootstrap here"})
    response, error = call(lam, unique + "-none")
    assert response["FunctionError"] == "Unhandled" and error["errorType"] == "Runtime.InvalidEntrypoint"


def test_awslambdaric_drives_a_function(lam, unique):
    bootstrap = f"#!/bin/sh\nexec {sys.executable} -m awslambdaric app.handler\n"
    source = "def handler(event, context):\n    return {'ric': True, 'event': event, 'id': context.aws_request_id}\n" \
             "def broken(event, context):\n    raise KeyError('k')\n"
    create_zip(lam, unique, "provided.al2023", "app.handler", {"bootstrap": bootstrap, "app.py": source},
               {"bootstrap": 0o755})
    result = call(lam, unique, {"a": 1})[1]
    assert result["ric"] is True and result["event"] == {"a": 1} and result["id"]
    assert call(lam, unique, {"a": 2})[1]["event"] == {"a": 2}
    broken = f"#!/bin/sh\nexec {sys.executable} -m awslambdaric app.broken\n"
    create_zip(lam, unique + "-b", "provided.al2023", "app.broken", {"bootstrap": broken, "app.py": source},
               {"bootstrap": 0o755})
    response, error = call(lam, unique + "-b")
    assert response["FunctionError"] == "Unhandled" and error["errorType"] == "KeyError"


def test_invocation_logs_reach_cloudwatch_logs(server, lam, unique):
    create_zip(lam, unique, "python3.11", "app.handler",
               {"app.py": "def handler(e, c):\n    print('to cloudwatch', e['n'])\n    return c.log_stream_name\n"})
    stream = call(lam, unique, {"n": 1})[1]
    call(lam, unique, {"n": 2})
    logs = server.client("logs")
    deadline = time.time() + 20
    messages = []
    while time.time() < deadline:
        try:
            events = logs.get_log_events(logGroupName=f"/aws/lambda/{unique}", logStreamName=stream,
                                         startFromHead=True)["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        messages = [e["message"] for e in events]
        if sum(m.startswith("REPORT") for m in messages) == 2:
            break
        time.sleep(0.05)
    assert messages[0].startswith("INIT_START") or messages[0].startswith("START RequestId: ")
    assert "to cloudwatch 1" in messages and "to cloudwatch 2" in messages
    assert sum(m.startswith("START RequestId: ") for m in messages) == 2
    assert sum(m.startswith("END RequestId: ") for m in messages) == 2
    reports = [m for m in messages if m.startswith("REPORT")]
    assert len(reports) == 2 and "Init Duration" in reports[0] and "Init Duration" not in reports[1]
    assert json.loads(json.dumps(stream)).startswith(time.strftime("%Y/%m/%d", time.gmtime())[:4])


def test_aws_cli_create_invoke_and_url(server, unique, tmp_path):
    import os
    import subprocess
    import urllib.request

    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}

    def aws(*args) -> str:
        done = subprocess.run(["aws", "--endpoint-url", server.endpoint, "--output", "json", "lambda", *args],
                              capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    package = tmp_path / "code.zip"
    package.write_bytes(zipped({"app.py": "def handler(e, c):\n    return {'cli': e}\n"}))
    created = json.loads(aws("create-function", "--function-name", unique, "--runtime", "python3.11", "--role", ROLE,
                             "--handler", "app.handler", "--zip-file", f"fileb://{package}"))
    assert created["FunctionName"] == unique
    out = tmp_path / "out.json"
    result = json.loads(aws("invoke", "--function-name", unique,
                            "--payload", '{"via": "cli"}', str(out)))
    assert result["StatusCode"] == 200 and json.loads(out.read_text()) == {"cli": {"via": "cli"}}
    url = json.loads(aws("create-function-url-config", "--function-name", unique, "--auth-type", "NONE"))["FunctionUrl"]
    url_id = url.split("//", 1)[1].split(".", 1)[0]
    with urllib.request.urlopen(f"{server.endpoint}/_aws/lambda-url/{url_id}/?a=b", timeout=10) as resp:
        assert json.loads(resp.read())["cli"]["queryStringParameters"] == {"a": "b"}
