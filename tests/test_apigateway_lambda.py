"""API Gateway -> Lambda for real: REST API proxy integrations (AWS's v1 event and response
mapping), Lambda TOKEN/REQUEST authorizers, API keys with usage plans, and HTTP API (v2)
payload formats 2.0 and 1.0, all called over plain HTTP."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime

import pytest
from botocore.exceptions import ClientError

from test_apigateway_support import invoke

ROLE = "arn:aws:iam::000000000000:role/apigw-test"
HANDLERS = r'''
import base64, json
calls = 0

def echo(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json", "X-Single": "one"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": json.dumps(event)}

def binary(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
            "body": base64.b64encode(b"\x89PNG\x00\x01").decode(), "isBase64Encoded": True}

def malformed(event, context):
    return {"statusCode": 200, "body": {"not": "a string"}}

def fail(event, context):
    raise ValueError("boom")

def plain(event, context):
    return {"echo": event}

def token_auth(event, context):
    global calls
    calls += 1
    token = event["authorizationToken"]
    if token == "bad":
        raise Exception("Unauthorized")
    effect = "Allow" if token.startswith("allow") else "Deny"
    return {"principalId": "user-" + token, "context": {"calls": calls, "token": token},
            "usageIdentifierKey": token.partition(":")[2] or None,
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]}}

def request_auth(event, context):
    allowed = (event.get("queryStringParameters") or {}).get("pass") == "yes"
    arn = event["methodArn"].rsplit("/", 2)[0] + "/*/*"
    return {"principalId": "req", "context": {"type": event["type"]},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow" if allowed else "Deny", "Resource": arn}]}}

def slow(event, context):
    import time
    time.sleep(1)
    return {"statusCode": 200, "body": "late"}

def simple_auth(event, context):
    return {"isAuthorized": event["headers"].get("x-pass") == "yes", "context": {"who": event["routeArn"]}}
'''


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("app.py", HANDLERS)
    return buf.getvalue()


@pytest.fixture(scope="module")
def functions(server):
    lam = server.client("lambda")
    code = _zip()
    arns = {}
    for name in ("echo", "binary", "malformed", "fail", "plain", "token_auth", "request_auth", "simple_auth", "slow"):
        fn = lam.create_function(FunctionName=f"apigw-{name}-{server.port}", Runtime="python3.11", Role=ROLE,
                                 Handler=f"app.{name}", Code={"ZipFile": code})
        arns[name] = fn["FunctionArn"]
    return arns


def _uri(arn: str) -> str:
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"


def _proxy_api(apigw, name, arn, path_part="{proxy+}", method="ANY", **method_args):
    api = apigw.create_rest_api(name=name)
    rid = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart=path_part)["id"]
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod=method,
                     **{"authorizationType": "NONE", **method_args})
    apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod=method, type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=_uri(arn))
    return api["id"], rid


def test_rest_proxy_event_and_response_mapping(server, functions, unique):
    apigw = server.client("apigateway")
    api_id, _ = _proxy_api(apigw, unique, functions["echo"])
    apigw.create_deployment(restApiId=api_id, stageName="prod", variables={"env": "test"})
    status, headers, body = invoke(server, api_id, "/prod/items/42?a=1&a=2&b=x", method="POST",
                                   body=b'{"k": 1}', headers={"Content-Type": "application/json",
                                                              "User-Agent": "probe/1.0", "X-Custom": "v"})
    assert status == 200
    assert headers["X-Single"] == "one"
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    event = json.loads(body)
    assert event["resource"] == "/{proxy+}" and event["path"] == "/items/42" and event["httpMethod"] == "POST"
    assert event["headers"]["X-Custom"] == "v" and event["multiValueHeaders"]["X-Custom"] == ["v"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1" and event["headers"]["X-Forwarded-Proto"] == "http"
    assert event["headers"]["X-Amzn-Trace-Id"] == headers["X-Amzn-Trace-Id"]
    assert event["queryStringParameters"] == {"a": "2", "b": "x"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x"]}
    assert event["pathParameters"] == {"proxy": "items/42"}
    assert event["stageVariables"] == {"env": "test"}
    assert event["body"] == '{"k": 1}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["accountId"] == "000000000000" and context["apiId"] == api_id and context["stage"] == "prod"
    assert context["resourcePath"] == "/{proxy+}" and context["httpMethod"] == "POST"
    assert context["path"] == "/prod/items/42" and context["identity"]["userAgent"] == "probe/1.0"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["domainName"] == f"{api_id}.execute-api.us-east-1.amazonaws.com"
    assert isinstance(context["requestTimeEpoch"], int) and context["requestId"] == headers["x-amzn-RequestId"]
    # a GET has no body and no query
    event = json.loads(invoke(server, api_id, "/prod/x", host_form=True)[2])
    assert event["body"] is None and event["queryStringParameters"] is None


def test_rest_proxy_binary_malformed_and_failing_functions(server, functions, unique):
    apigw = server.client("apigateway")
    api = apigw.create_rest_api(name=unique, binaryMediaTypes=["image/*"])
    for name in ("binary", "malformed", "fail", "echo"):
        rid = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart=name)["id"]
        apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="ANY", authorizationType="NONE")
        apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="ANY", type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=_uri(functions[name]))
    missing = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="missing")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=missing, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=missing, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST",
                          uri=_uri("arn:aws:lambda:us-east-1:000000000000:function:does-not-exist"))
    apigw.create_deployment(restApiId=api["id"], stageName="s")
    status, headers, body = invoke(server, api["id"], "/s/binary", headers={"Accept": "image/png"})
    assert (status, headers["Content-Type"], body) == (200, "image/png", b"\x89PNG\x00\x01")
    # without a binary media type in Accept, REST APIs hand the base64 text back as it is
    status, _, body = invoke(server, api["id"], "/s/binary", headers={"Accept": "application/json"})
    assert (status, body) == (200, b"iVBORwAB")
    # a request body of a binary media type reaches the function base64-encoded; text as text
    event = json.loads(invoke(server, api["id"], "/s/echo", method="POST", body=b"\x00\xff",
                              headers={"Content-Type": "image/gif"})[2])
    assert (event["body"], event["isBase64Encoded"]) == ("AP8=", True)
    event = json.loads(invoke(server, api["id"], "/s/echo", method="POST", body=b"<a/>",
                              headers={"Content-Type": "application/octet-stream"})[2])
    assert (event["body"], event["isBase64Encoded"]) == ("<a/>", False)
    for path, expected in (("/s/malformed", 502), ("/s/fail", 502), ("/s/missing", 500)):
        status, _, body = invoke(server, api["id"], path)
        assert (status, json.loads(body)) == (expected, {"message": "Internal server error"}), path


def test_token_authorizer_policy_and_cache(server, functions, unique):
    apigw = server.client("apigateway")
    api = apigw.create_rest_api(name=unique)
    authorizer = apigw.create_authorizer(restApiId=api["id"], name="tok", type="TOKEN",
                                         authorizerUri=_uri(functions["token_auth"]),
                                         identitySource="method.request.header.Authorization",
                                         authorizerResultTtlInSeconds=300)
    assert apigw.get_authorizer(restApiId=api["id"], authorizerId=authorizer["id"])["type"] == "TOKEN"
    for part in ("one", "two"):
        rid = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart=part)["id"]
        apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="CUSTOM",
                         authorizerId=authorizer["id"])
        apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=_uri(functions["echo"]))
    apigw.create_deployment(restApiId=api["id"], stageName="p")

    status, _, body = invoke(server, api["id"], "/p/one")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    status, _, body = invoke(server, api["id"], "/p/one", headers={"Authorization": "bad"})
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    status, _, body = invoke(server, api["id"], "/p/one", headers={"Authorization": "deny-me"})
    assert status == 403
    assert json.loads(body) == {"Message": "User is not authorized to access this resource with an explicit deny"}

    status, _, body = invoke(server, api["id"], "/p/one", headers={"Authorization": "allow-1"})
    assert status == 200
    first = json.loads(body)["requestContext"]["authorizer"]
    assert first["principalId"] == "user-allow-1" and first["token"] == "allow-1"
    # cached for the TTL: the function is not called again for the same token...
    again = json.loads(invoke(server, api["id"], "/p/one", headers={"Authorization": "allow-1"})[2])
    assert again["requestContext"]["authorizer"]["calls"] == first["calls"]
    # ...and the cached policy (which names /one only) is evaluated against the other method
    status, _, _ = invoke(server, api["id"], "/p/two", headers={"Authorization": "allow-1"})
    assert status == 403
    # once the TTL has passed on the virtual clock, the authorizer runs again
    server.admin("/_pocketcloud/clock", {"advance": "301s"})
    status, _, body = invoke(server, api["id"], "/p/two", headers={"Authorization": "allow-1"})
    second = json.loads(body)["requestContext"]["authorizer"]["calls"]
    assert status == 200 and second != first["calls"]
    # flushing the stage's authorizer cache makes the next request call the authorizer again
    apigw.flush_stage_authorizers_cache(restApiId=api["id"], stageName="p")
    body = invoke(server, api["id"], "/p/two", headers={"Authorization": "allow-1"})[2]
    assert json.loads(body)["requestContext"]["authorizer"]["calls"] not in (first["calls"], second)


def test_request_authorizer(server, functions, unique):
    apigw = server.client("apigateway")
    api = apigw.create_rest_api(name=unique)
    authorizer = apigw.create_authorizer(restApiId=api["id"], name="req", type="REQUEST",
                                         authorizerUri=_uri(functions["request_auth"]),
                                         identitySource="method.request.querystring.pass",
                                         authorizerResultTtlInSeconds=0)
    rid = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="r")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="CUSTOM",
                     authorizerId=authorizer["id"])
    apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=_uri(functions["echo"]))
    apigw.create_deployment(restApiId=api["id"], stageName="p")
    status, _, body = invoke(server, api["id"], "/p/r?pass=yes")
    assert status == 200 and json.loads(body)["requestContext"]["authorizer"]["type"] == "REQUEST"
    assert invoke(server, api["id"], "/p/r?pass=no")[0] == 403


def test_api_keys_usage_plans_throttle_and_quota(server, functions, unique):
    # The quota is per UTC day of the virtual clock, which other tests move: start at the
    # beginning of a day, so the 4,000 s this test advances stay inside one.
    now = datetime.fromisoformat(server.admin("/_pocketcloud/clock")["now"].replace("Z", "+00:00"))
    server.admin("/_pocketcloud/clock", {"advance": f"{86400 - (now.hour * 3600 + now.minute * 60 + now.second) + 60}s"})
    apigw = server.client("apigateway")
    api_id, _ = _proxy_api(apigw, unique, functions["echo"], apiKeyRequired=True)
    apigw.create_deployment(restApiId=api_id, stageName="p")
    key = apigw.create_api_key(name=unique, enabled=True)
    assert len(key["value"]) >= 20
    plan = apigw.create_usage_plan(name=unique, apiStages=[{"apiId": api_id, "stage": "p"}],
                                   throttle={"rateLimit": 0.001, "burstLimit": 2},
                                   quota={"limit": 3, "period": "DAY"})
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"][0]["value"] == key["value"]

    status, _, body = invoke(server, api_id, "/p/x")
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    status, _, body = invoke(server, api_id, "/p/x", headers={"x-api-key": "not-a-real-key-value-000"})
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    good = {"x-api-key": key["value"]}
    first = json.loads(invoke(server, api_id, "/p/x", headers=good)[2])
    assert first["requestContext"]["identity"]["apiKey"] == key["value"]
    assert invoke(server, api_id, "/p/x", headers=good)[0] == 200
    status, _, body = invoke(server, api_id, "/p/x", headers=good)  # burst of 2 spent
    assert (status, json.loads(body)) == (429, {"message": "Too Many Requests"})
    server.admin("/_pocketcloud/clock", {"advance": "2000s"})  # refills the bucket
    assert invoke(server, api_id, "/p/x", headers=good)[0] == 200  # third of the day's 3
    server.admin("/_pocketcloud/clock", {"advance": "2000s"})
    status, _, body = invoke(server, api_id, "/p/x", headers=good)
    assert (status, json.loads(body)) == (429, {"message": "Limit Exceeded"})
    server.admin("/_pocketcloud/clock", {"advance": "1d"})  # a new quota period
    assert invoke(server, api_id, "/p/x", headers=good)[0] == 200
    today = server.admin("/_pocketcloud/clock")["now"][:10]
    usage = apigw.get_usage(usagePlanId=plan["id"], startDate=today, endDate=today)
    assert usage["items"] == {key["id"]: [[1, 2]]}
    # a disabled key is refused
    apigw.update_api_key(apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}])
    assert invoke(server, api_id, "/p/x", headers=good)[0] == 403


def test_http_api_quick_create_payload_2(server, functions, unique):
    v2 = server.client("apigatewayv2")
    api = v2.create_api(Name=unique, ProtocolType="HTTP", Target=functions["echo"])
    stages = v2.get_stages(ApiId=api["ApiId"])["Items"]
    assert [(s["StageName"], s["AutoDeploy"]) for s in stages] == [("$default", True)]
    status, headers, body = invoke(server, api["ApiId"], "/some/path?a=1&a=2&b=3", method="POST", body=b"hi",
                                   headers={"Content-Type": "text/plain", "Cookie": "c1=v1; c2=v2",
                                            "User-Agent": "probe/2"})
    assert status == 200 and headers["apigw-requestid"]
    event = json.loads(body)
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/some/path" and event["rawQueryString"] == "a=1&a=2&b=3"
    assert event["cookies"] == ["c1=v1", "c2=v2"] and "cookie" not in event["headers"]
    assert event["headers"]["content-type"] == "text/plain" and event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert event["headers"]["x-amzn-trace-id"].startswith("Root=1-")
    assert event["queryStringParameters"] == {"a": "1,2", "b": "3"}
    assert event["body"] == "hi" and event["isBase64Encoded"] is False
    http = event["requestContext"]["http"]
    assert http == {"method": "POST", "path": "/some/path", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                    "userAgent": "probe/2"}
    context = event["requestContext"]
    assert context["stage"] == "$default" and context["apiId"] == api["ApiId"] and context["routeKey"] == "$default"
    assert context["accountId"] == "000000000000" and isinstance(context["timeEpoch"], int)


def test_http_api_routes_response_inference_and_v1_format(server, functions, unique):
    v2 = server.client("apigatewayv2")
    api = v2.create_api(Name=unique, ProtocolType="HTTP")
    api_id = api["ApiId"]
    plain = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=functions["plain"],
                                  PayloadFormatVersion="2.0")
    v1 = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=_uri(functions["echo"]),
                               PayloadFormatVersion="1.0")
    failing = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=functions["fail"],
                                    PayloadFormatVersion="2.0")
    v2.create_route(ApiId=api_id, RouteKey="GET /items/{id}", Target=f"integrations/{plain['IntegrationId']}")
    v2.create_route(ApiId=api_id, RouteKey="ANY /v1/{proxy+}", Target=f"integrations/{v1['IntegrationId']}")
    v2.create_route(ApiId=api_id, RouteKey="GET /fail", Target=f"integrations/{failing['IntegrationId']}")
    v2.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True, StageVariables={"s": "1"})

    status, headers, body = invoke(server, api_id, "/dev/items/9?x=y")
    assert status == 200 and headers["Content-Type"] == "application/json"
    echoed = json.loads(body)["echo"]  # a plain return value is the JSON body of a 200
    assert echoed["routeKey"] == "GET /items/{id}" and echoed["pathParameters"] == {"id": "9"}
    assert echoed["rawPath"] == "/dev/items/9" and echoed["stageVariables"] == {"s": "1"}
    assert echoed["requestContext"]["stage"] == "dev"

    status, headers, body = invoke(server, api_id, "/dev/v1/a/b", method="DELETE")
    event = json.loads(body)
    assert status == 200 and event["version"] == "1.0" and event["httpMethod"] == "DELETE"
    assert event["pathParameters"] == {"proxy": "a/b"} and headers.get_all("Set-Cookie") == ["a=1", "b=2"]

    status, _, body = invoke(server, api_id, "/dev/fail")
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
    status, _, body = invoke(server, api_id, "/dev/items")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})


def test_http_api_lambda_authorizer_simple_responses(server, functions, unique):
    v2 = server.client("apigatewayv2")
    api = v2.create_api(Name=unique, ProtocolType="HTTP")
    api_id = api["ApiId"]
    authorizer = v2.create_authorizer(ApiId=api_id, Name="simple", AuthorizerType="REQUEST",
                                      AuthorizerUri=_uri(functions["simple_auth"]), EnableSimpleResponses=True,
                                      AuthorizerPayloadFormatVersion="2.0", IdentitySource=["$request.header.x-pass"])
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=functions["plain"])
    v2.create_route(ApiId=api_id, RouteKey="GET /secret", AuthorizationType="CUSTOM",
                    AuthorizerId=authorizer["AuthorizerId"], Target=f"integrations/{integration['IntegrationId']}")
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    assert invoke(server, api_id, "/secret")[0] == 401
    status, _, body = invoke(server, api_id, "/secret", headers={"X-Pass": "no"})
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    status, _, body = invoke(server, api_id, "/secret", headers={"X-Pass": "yes"})
    assert status == 200
    assert json.loads(body)["echo"]["requestContext"]["authorizer"]["lambda"]["who"].endswith("/$default/GET/secret")


def test_api_key_from_authorizer(server, functions, unique):
    apigw = server.client("apigateway")
    api = apigw.create_rest_api(name=unique, apiKeySource="AUTHORIZER")
    authorizer = apigw.create_authorizer(restApiId=api["id"], name="tok", type="TOKEN",
                                         authorizerUri=_uri(functions["token_auth"]),
                                         identitySource="method.request.header.Authorization",
                                         authorizerResultTtlInSeconds=0)
    rid = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="k")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="CUSTOM",
                     authorizerId=authorizer["id"], apiKeyRequired=True)
    apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=_uri(functions["echo"]))
    apigw.create_deployment(restApiId=api["id"], stageName="p")
    key = apigw.create_api_key(name=unique, enabled=True, value=f"{unique}-0123456789abcdef")
    plan = apigw.create_usage_plan(name=unique, apiStages=[{"apiId": api["id"], "stage": "p"}])
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    # the key comes from the authorizer's usageIdentifierKey, not from x-api-key
    status, _, body = invoke(server, api["id"], "/p/k", headers={"Authorization": f"allow:{key['value']}"})
    assert status == 200 and json.loads(body)["requestContext"]["identity"]["apiKeyId"] == key["id"]
    status, _, body = invoke(server, api["id"], "/p/k", headers={"Authorization": "allow-nokey",
                                                                 "x-api-key": key["value"]})
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})


def test_rest_lambda_custom_integration_with_templates(server, functions, unique):
    apigw = server.client("apigateway")
    api = apigw.create_rest_api(name=unique)
    for name in ("plain", "fail"):
        rid = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart=name)["id"]
        apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="POST", authorizationType="NONE")
        apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="POST", type="AWS",
                              integrationHttpMethod="POST", uri=_uri(functions[name]),
                              requestTemplates={"application/json": '{"who": $input.json(\'$.name\'), '
                                                                    '"stage": "$context.stage"}'})
        for code in ("200", "400"):
            apigw.put_method_response(restApiId=api["id"], resourceId=rid, httpMethod="POST", statusCode=code)
        apigw.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="POST", statusCode="200",
                                       responseTemplates={"application/json": '{"got": $input.json(\'$.echo\')}'})
        apigw.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="POST", statusCode="400",
                                       selectionPattern="boo.*",
                                       responseTemplates={"application/json":
                                                          '{"error": "$input.path(\'$.errorMessage\')"}'})
    apigw.create_deployment(restApiId=api["id"], stageName="c")
    request = {"method": "POST", "body": b'{"name": "zoe"}', "headers": {"Content-Type": "application/json"}}
    status, _, body = invoke(server, api["id"], "/c/plain", **request)
    assert (status, json.loads(body)) == (200, {"got": {"who": "zoe", "stage": "c"}})
    status, _, body = invoke(server, api["id"], "/c/fail", **request)
    assert (status, json.loads(body)) == (400, {"error": "boom"})


OPENAPI = """
openapi: 3.0.1
info: {title: imported-pets, version: "1.0"}
x-amazon-apigateway-binary-media-types: ["image/png"]
x-amazon-apigateway-request-validators:
  params: {validateRequestParameters: true, validateRequestBody: false}
paths:
  /pets/{petId}:
    get:
      x-amazon-apigateway-request-validator: params
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
        - {name: X-Trace, in: header, required: true, schema: {type: string}}
      security: [{tok: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: "ECHO_URI"}
  /mock:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"mocked": "$context.httpMethod"}'}
components:
  securitySchemes:
    tok:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: "AUTH_URI"
        authorizerResultTtlInSeconds: 0
  schemas:
    Pet: {type: object, properties: {name: {type: string}}}
"""


def test_import_rest_api_from_openapi(server, functions, unique):
    apigw = server.client("apigateway")
    body = OPENAPI.replace("ECHO_URI", _uri(functions["echo"])).replace("AUTH_URI", _uri(functions["token_auth"]))
    api = apigw.import_rest_api(body=body.encode(), parameters={"endpointConfigurationTypes": "REGIONAL"})
    assert api["name"] == "imported-pets" and api["binaryMediaTypes"] == ["image/png"]
    assert api["endpointConfiguration"]["types"] == ["REGIONAL"]
    paths = {r["path"]: r for r in apigw.get_resources(restApiId=api["id"])["items"]}
    assert set(paths) == {"/", "/pets", "/pets/{petId}", "/mock"}
    method = paths["/pets/{petId}"]["resourceMethods"]["GET"]
    assert method["authorizationType"] == "CUSTOM"
    assert apigw.get_authorizers(restApiId=api["id"])["items"][0]["type"] == "TOKEN"
    assert "Pet" in {m["name"] for m in apigw.get_models(restApiId=api["id"])["items"]}
    apigw.create_deployment(restApiId=api["id"], stageName="v1")

    status, _, body = invoke(server, api["id"], "/v1/mock", method="PUT", body=b"")
    assert (status, json.loads(body)) == (200, {"mocked": "PUT"})
    status, _, body = invoke(server, api["id"], "/v1/pets/3", headers={"Authorization": "allow-x"})
    assert (status, json.loads(body)) == (400, {"message": "Missing required request parameters: [X-Trace]"})
    status, _, body = invoke(server, api["id"], "/v1/pets/3", headers={"Authorization": "allow-x", "X-Trace": "t"})
    assert status == 200 and json.loads(body)["pathParameters"] == {"petId": "3"}
    assert invoke(server, api["id"], "/v1/pets/3", headers={"Authorization": "deny", "X-Trace": "t"})[0] == 403

    # PutRestApi overwrite replaces everything; merge adds
    apigw.put_rest_api(restApiId=api["id"], mode="overwrite", body=json.dumps({
        "swagger": "2.0", "info": {"title": "replaced"}, "paths": {"/only": {"get": {
            "x-amazon-apigateway-integration": {"type": "mock",
                                                "requestTemplates": {"application/json": '{"statusCode": 200}'},
                                                "responses": {"default": {"statusCode": "200"}}}}}}}).encode())
    assert {r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]} == {"/", "/only"}
    apigw.put_rest_api(restApiId=api["id"], mode="merge", body=json.dumps({
        "swagger": "2.0", "info": {"title": "replaced"}, "paths": {"/more": {}}}).encode())
    assert {r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]} == {"/", "/only", "/more"}
    with pytest.raises(ClientError) as exc:
        apigw.import_rest_api(body=b"not: [valid")
    assert exc.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as exc:
        apigw.import_rest_api(body=b'{"hello": "world"}')
    assert exc.value.response["Error"]["Code"] == "BadRequestException"


def test_export_round_trips_through_import(server, functions, unique):
    apigw = server.client("apigateway")
    body = OPENAPI.replace("ECHO_URI", _uri(functions["echo"])).replace("AUTH_URI", _uri(functions["token_auth"]))
    source = apigw.import_rest_api(body=body.encode())
    apigw.create_deployment(restApiId=source["id"], stageName="v1")
    exported = apigw.get_export(restApiId=source["id"], stageName="v1", exportType="oas30",
                                parameters={"extensions": "integrations"}, accepts="application/yaml")
    assert exported["contentType"] == "application/yaml"
    text = exported["body"].read()
    copy = apigw.import_rest_api(body=text)
    assert {r["path"] for r in apigw.get_resources(restApiId=copy["id"])["items"]} == \
        {"/", "/pets", "/pets/{petId}", "/mock"}
    apigw.create_deployment(restApiId=copy["id"], stageName="v1")
    status, _, body = invoke(server, copy["id"], "/v1/pets/9", headers={"Authorization": "allow-y", "X-Trace": "t"})
    assert status == 200 and json.loads(body)["pathParameters"] == {"petId": "9"}
    assert invoke(server, copy["id"], "/v1/pets/9", headers={"Authorization": "allow-y"})[0] == 400  # validator kept
    swagger = json.loads(apigw.get_export(restApiId=source["id"], stageName="v1", exportType="swagger")["body"].read())
    assert swagger["swagger"] == "2.0" and swagger["basePath"] == "/v1"
    assert "x-amazon-apigateway-integration" not in swagger["paths"]["/mock"]["x-amazon-apigateway-any-method"]


def test_integration_timeouts(server, functions, unique):
    apigw = server.client("apigateway")
    api = apigw.create_rest_api(name=unique)
    rid = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="slow")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="NONE")
    with pytest.raises(ClientError) as exc:
        apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=_uri(functions["slow"]), timeoutInMillis=10)
    assert exc.value.response["Error"]["Code"] == "BadRequestException"
    apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=_uri(functions["slow"]), timeoutInMillis=200)
    apigw.create_deployment(restApiId=api["id"], stageName="t")
    status, _, body = invoke(server, api["id"], "/t/slow")
    assert (status, json.loads(body)) == (504, {"message": "Endpoint request timed out"})
    v2 = server.client("apigatewayv2")
    http_api = v2.create_api(Name=unique, ProtocolType="HTTP")
    integration = v2.create_integration(ApiId=http_api["ApiId"], IntegrationType="AWS_PROXY",
                                        IntegrationUri=functions["slow"], TimeoutInMillis=200)
    v2.create_route(ApiId=http_api["ApiId"], RouteKey="GET /slow", Target=f"integrations/{integration['IntegrationId']}")
    v2.create_stage(ApiId=http_api["ApiId"], StageName="$default", AutoDeploy=True)
    status, _, body = invoke(server, http_api["ApiId"], "/slow")
    assert (status, json.loads(body)) == (503, {"message": "Service Unavailable"})


def test_http_api_lambda_authorizer_with_policy_and_v1_payload(server, functions, unique):
    v2 = server.client("apigatewayv2")
    api_id = v2.create_api(Name=unique, ProtocolType="HTTP")["ApiId"]
    authorizer = v2.create_authorizer(ApiId=api_id, Name="policy", AuthorizerType="REQUEST",
                                      AuthorizerUri=_uri(functions["request_auth"]),
                                      AuthorizerPayloadFormatVersion="1.0",
                                      IdentitySource=["$request.querystring.pass"], AuthorizerResultTtlInSeconds=0)
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=functions["plain"])
    v2.create_route(ApiId=api_id, RouteKey="GET /secret", AuthorizationType="CUSTOM",
                    AuthorizerId=authorizer["AuthorizerId"], Target=f"integrations/{integration['IntegrationId']}")
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    status, _, body = invoke(server, api_id, "/secret?pass=yes")
    assert status == 200
    assert json.loads(body)["echo"]["requestContext"]["authorizer"]["lambda"] == {"type": "REQUEST"}
    status, _, body = invoke(server, api_id, "/secret?pass=no")
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})


def test_lambda_permission_enforced_with_enforce_iam(unique):
    """With --enforce-iam, API Gateway may invoke a function only as its resource policy allows
    (AddPermission for apigateway.amazonaws.com with the method's SourceArn), as on AWS."""
    from conftest import Server

    srv = Server("--enforce-iam").start()
    try:
        fn = srv.client("lambda").create_function(FunctionName=unique, Runtime="python3.11", Role=ROLE,
                                                  Handler="app.echo", Code={"ZipFile": _zip()})
        apigw = srv.client("apigateway")
        api_id, _ = _proxy_api(apigw, unique, fn["FunctionArn"])
        apigw.create_deployment(restApiId=api_id, stageName="p")
        status, _, body = invoke(srv, api_id, "/p/ok")
        assert (status, json.loads(body)) == (500, {"message": "Internal server error"})
        srv.client("lambda").add_permission(
            FunctionName=unique, StatementId="apigw", Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/*/GET/ok")
        status, _, body = invoke(srv, api_id, "/p/ok")
        assert status == 200 and json.loads(body)["path"] == "/ok"
        assert invoke(srv, api_id, "/p/other")[0] == 500  # the permission names one method only
    finally:
        srv.stop()
