"""API Gateway -> Lambda request rate: invoke URLs of deployed APIs driven by wrk, against the
bare app on the same server (bench/apps.py under uvicorn + httptools) in the same run.

Workloads (each a GET through the documented path form /_aws/execute-api/<api-id>/<stage>/...):
  rest-lambda   REST API (v1), {proxy+} resource, AWS_PROXY to a trivial Python function
  http-lambda   HTTP API (v2) quick create ($default stage), payload format 2.0, same function
  rest-mock     REST API MOCK integration with a response template: the gateway alone
The function is warm before measuring (wrk's connections make Lambda start as many execution
environments as requests in flight, as on AWS); ratios are medians of interleaved rounds.
"""

from __future__ import annotations

import io
import zipfile

import boto3
from botocore.config import Config

from bench import harness as h

REFERENCE_SERVER = "uvicorn-httptools"
HANDLER = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"


def _client(service: str, port: int):
    return boto3.client(service, endpoint_url=f"http://{h.HOST}:{port}", region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}))


def _setup(port: int) -> dict[str, str]:
    """Create the function and the three APIs; return workload -> invoke path."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("app.py", HANDLER)
    arn = _client("lambda", port).create_function(
        FunctionName="bench-apigw", Runtime="python3.11", Role="arn:aws:iam::000000000000:role/bench",
        Handler="app.handler", Code={"ZipFile": buf.getvalue()})["FunctionArn"]
    apigw = _client("apigateway", port)
    paths = {}
    for workload, kind in (("rest-lambda", "AWS_PROXY"), ("rest-mock", "MOCK")):
        api = apigw.create_rest_api(name=workload)
        rid = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")["id"]
        apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="ANY", authorizationType="NONE")
        if kind == "AWS_PROXY":
            apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="ANY", type="AWS_PROXY",
                                  integrationHttpMethod="POST",
                                  uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations")
        else:
            apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="ANY", type="MOCK",
                                  requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="ANY", statusCode="200",
                                           responseTemplates={"application/json": '{"ok": true}'})
        apigw.create_deployment(restApiId=api["id"], stageName="bench")
        paths[workload] = f"/_aws/execute-api/{api['id']}/bench/item"
    api = _client("apigatewayv2", port).create_api(Name="http-lambda", ProtocolType="HTTP", Target=arn)
    paths["http-lambda"] = f"/_aws/execute-api/{api['ApiId']}/item"
    return {k: paths[k] for k in ("rest-lambda", "http-lambda", "rest-mock")}


def run(rounds: int = 3, duration: float = 2.0, connections: int = 16) -> dict:
    h.section(f"API Gateway -> Lambda request rate vs bare app ({REFERENCE_SERVER}), wrk -t1 -c{connections}")
    pc_port, bare_port = h.free_port(), h.free_port()
    with h.Server("pocketcloud", h.pocketcloud_start(pc_port), pc_port) as pc, \
            h.Server("bare", h.bench_server(REFERENCE_SERVER, bare_port), bare_port) as bare:
        h.wait_until(bare, h.get_ok(bare_port))
        h.wait_until(pc, lambda: h.request(pc_port, path="/_pocketcloud/health", timeout=2)[0] == 200)
        paths = _setup(pc_port)
        for workload, path in paths.items():
            status, body = h.request(pc_port, path=path, timeout=30)
            if status != 200:
                raise RuntimeError(f"{workload} answered {status}: {body[:300]!r}")
        targets = {**{w: (pc_port, p, pc.proc.pid) for w, p in paths.items()}, "bare": (bare_port, "/", bare.proc.pid)}
        for port, path, _ in targets.values():  # warm-up (execution environments start here), not recorded
            h.run_wrk(port, 1, connections, path=path)
        rates = {k: [] for k in targets}
        cpu = {k: [] for k in targets}
        errors = {k: 0 for k in targets}
        for _ in range(rounds):
            for key, (port, path, pid) in targets.items():
                out = h.run_wrk(port, duration, connections, path=path, server_pid=pid)
                rates[key].append(out["rps"])
                cpu[key].append(out["cpu_us"])
                errors[key] += out["non2xx"] + out["socket_errors"]
    rows = []
    for key in paths:
        ratio = h.median([a / b for a, b in zip(rates[key], rates["bare"])])
        rows.append([key, h.median(rates[key]), h.median(rates["bare"]), ratio, h.median(cpu[key]),
                     h.median(cpu["bare"]), errors[key]])
    print(h.table(["workload", "pocketcloud req/s", "bare req/s", "ratio", "pc CPU us/req", "bare CPU us/req",
                   "errors"], rows))
    print("ratio: median over rounds of pocketcloud/bare req/s measured back to back; CPU: server process tree"
          " (gateway + Lambda workers) per request. errors: non-2xx + socket.")
    return {"rates": rates, "cpu": cpu}
