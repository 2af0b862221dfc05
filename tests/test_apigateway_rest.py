"""API Gateway REST APIs (v1): control plane through boto3, and invoke URLs over plain HTTP
with MOCK, HTTP and HTTP_PROXY integrations, mapping templates, gateway responses and CORS."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from test_apigateway_support import echo_backend, invoke

backend = echo_backend  # the module-scoped echo server fixture, under the name the tests use


@pytest.fixture
def apigw(server):
    return server.client("apigateway")


def _api_with_resource(apigw, name, *parts):
    api = apigw.create_rest_api(name=name)
    parent = api["rootResourceId"]
    for part in parts:
        parent = apigw.create_resource(restApiId=api["id"], parentId=parent, pathPart=part)["id"]
    return api["id"], parent


def _mock(apigw, api_id, resource_id, method="GET", status_template='{"statusCode": 200}', **response):
    apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method, authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method, type="MOCK",
                          requestTemplates={"application/json": status_template})
    apigw.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod=method, statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=resource_id, httpMethod=method, statusCode="200",
                                   **response)


def test_control_plane_shapes_and_errors(apigw, unique):
    api = apigw.create_rest_api(name=unique, description="d")
    api_id = api["id"]
    assert len(api_id) == 10 and api["apiKeySource"] == "HEADER"
    resources = apigw.get_resources(restApiId=api_id)["items"]
    assert resources == [{"id": api["rootResourceId"], "path": "/"}]
    items = apigw.create_resource(restApiId=api_id, parentId=api["rootResourceId"], pathPart="items")
    child = apigw.create_resource(restApiId=api_id, parentId=items["id"], pathPart="{id}")
    assert child["path"] == "/items/{id}" and child["parentId"] == items["id"]
    with pytest.raises(ClientError) as exc:
        apigw.create_resource(restApiId=api_id, parentId=api["rootResourceId"], pathPart="items")
    assert exc.value.response["Error"]["Code"] == "ConflictException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(ClientError) as exc:
        apigw.create_resource(restApiId=api_id, parentId=items["id"], pathPart="{other}")
    assert exc.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as exc:
        apigw.get_rest_api(restApiId="nosuchapi0")
    assert exc.value.response["Error"]["Code"] == "NotFoundException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as exc:
        apigw.put_integration(restApiId=api_id, resourceId=child["id"], httpMethod="GET", type="MOCK")
    assert exc.value.response["Error"]["Code"] == "NotFoundException"
    with pytest.raises(ClientError) as exc:  # nothing to deploy yet
        apigw.create_deployment(restApiId=api_id, stageName="prod")
    assert exc.value.response["Error"]["Code"] == "BadRequestException"

    method = apigw.put_method(restApiId=api_id, resourceId=child["id"], httpMethod="GET", authorizationType="NONE",
                              apiKeyRequired=True, requestParameters={"method.request.querystring.q": False})
    assert method["apiKeyRequired"] is True
    got = apigw.get_method(restApiId=api_id, resourceId=child["id"], httpMethod="GET")
    assert got["requestParameters"] == {"method.request.querystring.q": False}
    apigw.update_method(restApiId=api_id, resourceId=child["id"], httpMethod="GET",
                        patchOperations=[{"op": "replace", "path": "/apiKeyRequired", "value": "false"}])
    assert apigw.get_method(restApiId=api_id, resourceId=child["id"], httpMethod="GET")["apiKeyRequired"] is False
    apigw.update_rest_api(restApiId=api_id, patchOperations=[
        {"op": "replace", "path": "/name", "value": "renamed"},
        {"op": "replace", "path": "/endpointConfiguration/types/EDGE", "value": "REGIONAL"},
        {"op": "add", "path": "/binaryMediaTypes/image~1png"}])
    updated = apigw.get_rest_api(restApiId=api_id)
    assert updated["name"] == "renamed" and updated["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert updated["binaryMediaTypes"] == ["image/png"]
    assert any(a["id"] == api_id for a in apigw.get_rest_apis(limit=500)["items"])
    apigw.delete_rest_api(restApiId=api_id)
    with pytest.raises(ClientError) as exc:
        apigw.get_resources(restApiId=api_id)
    assert exc.value.response["Error"]["Code"] == "NotFoundException"


def test_mock_integration_served_with_templates_and_stage_variables(server, apigw, unique):
    api_id, rid = _api_with_resource(apigw, unique, "items", "{id}")
    _mock(apigw, api_id, rid, responseTemplates={"application/json": json.dumps({
        "id": "$input.params('id')", "q": "$input.params('q')", "stage": "$context.stage",
        "color": "$stageVariables.color", "path": "$context.resourcePath"})},
        responseParameters={"method.response.header.X-Custom": "'static-value'"})
    apigw.put_method_response(restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="200",
                              responseParameters={"method.response.header.X-Custom": False})
    deployment = apigw.create_deployment(restApiId=api_id, stageName="prod", variables={"color": "blue"})
    summary = apigw.get_deployment(restApiId=api_id, deploymentId=deployment["id"], embed=["apisummary"])["apiSummary"]
    assert summary == {"/items/{id}": {"GET": {"authorizationType": "NONE", "apiKeyRequired": False}}}
    stage = apigw.get_stage(restApiId=api_id, stageName="prod")
    assert stage["deploymentId"] == deployment["id"] and stage["variables"] == {"color": "blue"}

    status, headers, body = invoke(server, api_id, "/prod/items/42?q=hello")
    assert status == 200
    assert json.loads(body) == {"id": "42", "q": "hello", "stage": "prod", "color": "blue", "path": "/items/{id}"}
    assert headers["X-Custom"] == "static-value"
    # the Host form serves the same stage
    status, _, body = invoke(server, api_id, "/prod/items/7", host_form=True)
    assert status == 200 and json.loads(body)["id"] == "7"
    # ...and so does the same name under any other domain, as a browser would send it
    status, _, body = invoke(server, api_id, "/prod/items/8", host_form=True,
                             headers={"Host": f"{api_id}.execute-api.localhost:{server.port}"})
    assert status == 200 and json.loads(body)["id"] == "8"
    # an unknown route, method or stage: API Gateway's 403
    for path, method in (("/prod/nothing", "GET"), ("/prod/items/1", "POST"), ("/nostage/items/1", "GET")):
        status, headers, body = invoke(server, api_id, path, method=method, body=b"" if method == "POST" else None)
        assert (status, body) == (403, b'{"message":"Missing Authentication Token"}')
        assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"

    # a stage variable change takes effect without redeploying
    apigw.update_stage(restApiId=api_id, stageName="prod",
                       patchOperations=[{"op": "replace", "path": "/variables/color", "value": "red"}])
    assert json.loads(invoke(server, api_id, "/prod/items/1")[2])["color"] == "red"


def test_mock_status_selection_and_gateway_response(server, apigw, unique):
    api_id, rid = _api_with_resource(apigw, unique, "teapot")
    apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=rid, httpMethod="GET", type="MOCK", requestTemplates={
        "application/json": '#if($input.params("fail") == "yes"){"statusCode": 418}#else{"statusCode": 200}#end'})
    for code in ("200", "418"):
        apigw.put_method_response(restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode=code)
    apigw.put_integration_response(restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": (
                                       '#if($input.params("override") == "yes")'
                                       '#set($context.responseOverride.status = 202)'
                                       '#set($context.responseOverride.header.X_Overridden = "yes")#end'
                                       '{"ok": true}')})
    apigw.put_integration_response(restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="418",
                                   selectionPattern="418", responseTemplates={"application/json": '{"ok": false}'})
    apigw.put_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN", statusCode="404",
                               responseParameters={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
                               responseTemplates={"application/json": '{"error": $context.error.messageString}'})
    apigw.create_deployment(restApiId=api_id, stageName="v1")
    assert invoke(server, api_id, "/v1/teapot")[:3:2] == (200, b'{"ok": true}')
    assert invoke(server, api_id, "/v1/teapot?fail=yes")[:3:2] == (418, b'{"ok": false}')
    status, headers, body = invoke(server, api_id, "/v1/teapot?override=yes")  # $context.responseOverride
    assert (status, headers["X_Overridden"], body) == (202, "yes", b'{"ok": true}')
    status, headers, body = invoke(server, api_id, "/v1/elsewhere")
    assert status == 404 and json.loads(body) == {"error": "Missing Authentication Token"}
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_cors_preflight_through_mock_options_method(server, apigw, unique):
    api_id, rid = _api_with_resource(apigw, unique, "things")
    apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod="OPTIONS", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=rid, httpMethod="OPTIONS", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api_id, resourceId=rid, httpMethod="OPTIONS", statusCode="200",
                              responseParameters={f"method.response.header.{h}": False for h in (
                                  "Access-Control-Allow-Headers", "Access-Control-Allow-Methods",
                                  "Access-Control-Allow-Origin")})
    apigw.put_integration_response(restApiId=api_id, resourceId=rid, httpMethod="OPTIONS", statusCode="200",
                                   responseParameters={
                                       "method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Api-Key'",
                                       "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
                                       "method.response.header.Access-Control-Allow-Origin": "'*'"})
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    status, headers, _ = invoke(server, api_id, "/dev/things", method="OPTIONS",
                                headers={"Origin": "http://example.com", "Access-Control-Request-Method": "GET"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Access-Control-Allow-Methods"] == "GET,OPTIONS"


def test_http_proxy_and_http_with_templates(server, apigw, backend, unique):
    api = apigw.create_rest_api(name=unique)
    api_id, root = api["id"], api["rootResourceId"]
    proxy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=proxy, httpMethod="ANY", authorizationType="NONE",
                     requestParameters={"method.request.path.proxy": True})
    apigw.put_integration(restApiId=api_id, resourceId=proxy, httpMethod="ANY", type="HTTP_PROXY",
                          integrationHttpMethod="ANY", uri=backend.url + "/{proxy}",
                          requestParameters={"integration.request.path.proxy": "method.request.path.proxy"})
    templated = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="templated")["id"]
    apigw.put_method(restApiId=api_id, resourceId=templated, httpMethod="POST", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api_id, resourceId=templated, httpMethod="POST", type="HTTP", integrationHttpMethod="POST",
        uri=backend.url + "/${stageVariables.prefix}/target",
        requestParameters={"integration.request.header.X-From": "'gateway'",
                           "integration.request.querystring.who": "method.request.querystring.who"},
        requestTemplates={"application/json": '{"name": "$util.escapeJavaScript($input.path(\'$.name\'))", '
                                              '"all": $input.json(\'$\'), "b64": "$util.base64Encode($input.body)"}'})
    apigw.put_method_response(restApiId=api_id, resourceId=templated, httpMethod="POST", statusCode="200")
    apigw.put_integration_response(
        restApiId=api_id, resourceId=templated, httpMethod="POST", statusCode="200",
        responseParameters={"method.response.header.X-Backend": "integration.response.header.X-Backend"},
        responseTemplates={"application/json": '#set($r = $input.path(\'$\'))'
                                               '{"path": "$r.path", "from": "$r.headers.get(\'X-From\')", '
                                               '"sent": $r.body}'})
    apigw.put_method_response(restApiId=api_id, resourceId=templated, httpMethod="POST", statusCode="400")
    apigw.put_integration_response(restApiId=api_id, resourceId=templated, httpMethod="POST", statusCode="400",
                                   selectionPattern="4\\d\\d")
    apigw.create_deployment(restApiId=api_id, stageName="live", variables={"prefix": "api"})

    status, headers, body = invoke(server, api_id, "/live/a/b/c?x=1&x=2", method="PUT", body=b"raw-body",
                                   headers={"X-Client": "yes", "Content-Type": "text/plain"})
    echoed = json.loads(body)
    assert status == 200 and headers["X-Backend"] == "echo"
    assert echoed["method"] == "PUT" and echoed["path"] == "/a/b/c?x=1&x=2" and echoed["body"] == "raw-body"
    assert echoed["headers"]["X-Client"] == "yes"
    status, _, body = invoke(server, api_id, "/live/status/404")
    assert status == 404  # HTTP_PROXY passes the backend's status through

    status, headers, body = invoke(server, api_id, "/live/templated?who=me", method="POST",
                                   body=json.dumps({"name": 'say "hi"'}).encode(),
                                   headers={"Content-Type": "application/json"})
    assert status == 200, body
    answer = json.loads(body)
    assert answer["path"] == "/api/target?who=me" and answer["from"] == "gateway"
    sent = answer["sent"]
    assert sent["name"] == 'say "hi"' and sent["all"] == {"name": 'say "hi"'}
    assert headers["X-Backend"] == "echo"


def test_unknown_api_and_missing_stage_path(server):
    status, _, body = invoke(server, "nosuchapi1", "/prod/x")
    assert status == 404 and json.loads(body) == {"message": "Not Found"}


def test_deployed_api_survives_restart_and_reset_forgets_it(tmp_path, unique):
    from conftest import Server

    srv = Server(data_dir=tmp_path).start()
    try:
        apigw = srv.client("apigateway")
        api_id, rid = _api_with_resource(apigw, unique, "ping")
        _mock(apigw, api_id, rid, responseTemplates={"application/json": '{"pong": "$context.stage"}'})
        apigw.create_deployment(restApiId=api_id, stageName="prod")
        http_api = srv.client("apigatewayv2").create_api(Name=unique, ProtocolType="HTTP", Target="http://127.0.0.1:9")
        assert invoke(srv, api_id, "/prod/ping")[::2] == (200, b'{"pong": "prod"}')
        srv.stop()
        srv = Server(data_dir=tmp_path).start()
        assert invoke(srv, api_id, "/prod/ping")[::2] == (200, b'{"pong": "prod"}')
        srv.admin("/_pocketcloud/reset", {})  # served (and cached) before any API call: still forgotten
        status, _, body = invoke(srv, api_id, "/prod/ping")
        assert (status, json.loads(body)) == (404, {"message": "Not Found"})
        srv.stop()
        srv = Server(data_dir=tmp_path / "again").start()
        apigw = srv.client("apigateway")
        api_id, rid = _api_with_resource(apigw, unique, "ping")
        _mock(apigw, api_id, rid, responseTemplates={"application/json": '{"pong": "$context.stage"}'})
        apigw.create_deployment(restApiId=api_id, stageName="prod")
        http_api = srv.client("apigatewayv2").create_api(Name=unique, ProtocolType="HTTP", Target="http://127.0.0.1:9")
        srv.stop()
        srv = Server(data_dir=tmp_path / "again").start()
        assert srv.client("apigatewayv2").get_api(ApiId=http_api["ApiId"])["Name"] == unique
        assert invoke(srv, api_id, "/prod/ping")[::2] == (200, b'{"pong": "prod"}')
        srv.admin("/_pocketcloud/reset", {})
        status, _, body = invoke(srv, api_id, "/prod/ping")
        assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    finally:
        srv.stop()


def test_request_validators_and_models(server, apigw, unique):
    api_id, rid = _api_with_resource(apigw, unique, "orders")
    assert sorted(m["name"] for m in apigw.get_models(restApiId=api_id)["items"]) == ["Empty", "Error"]
    with pytest.raises(ClientError) as exc:
        apigw.create_model(restApiId=api_id, name="Bad", contentType="application/json", schema="{not json")
    assert exc.value.response["Error"]["Code"] == "BadRequestException"
    apigw.create_model(restApiId=api_id, name="Order", contentType="application/json", schema=json.dumps({
        "$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["item"],
        "properties": {"item": {"type": "string"}, "count": {"type": "integer", "minimum": 1}}}))
    validator = apigw.create_request_validator(restApiId=api_id, name="all", validateRequestBody=True,
                                               validateRequestParameters=True)
    with pytest.raises(ClientError) as exc:
        apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod="POST", authorizationType="NONE",
                         requestModels={"application/json": "Nope"})
    assert exc.value.response["Error"]["Code"] == "BadRequestException"
    apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod="POST", authorizationType="NONE",
                     requestValidatorId=validator["id"], requestModels={"application/json": "Order"},
                     requestParameters={"method.request.header.X-Tenant": True,
                                        "method.request.querystring.dry": False})
    apigw.put_integration(restApiId=api_id, resourceId=rid, httpMethod="POST", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_integration_response(restApiId=api_id, resourceId=rid, httpMethod="POST", statusCode="200",
                                   responseTemplates={"application/json": '{"accepted": true}'})
    apigw.create_deployment(restApiId=api_id, stageName="v")
    json_type = {"Content-Type": "application/json"}
    good = json.dumps({"item": "book", "count": 2}).encode()
    status, _, body = invoke(server, api_id, "/v/orders", method="POST", body=good, headers=json_type)
    assert (status, json.loads(body)) == (400, {"message": "Missing required request parameters: [X-Tenant]"})
    tenant = {**json_type, "X-Tenant": "acme"}
    for bad in (b'{"count": 2}', b'{"item": "book", "count": 0}', b"not json"):
        status, _, body = invoke(server, api_id, "/v/orders", method="POST", body=bad, headers=tenant)
        assert (status, json.loads(body)) == (400, {"message": "Invalid request body"}), bad
    assert invoke(server, api_id, "/v/orders", method="POST", body=good, headers=tenant)[::2] == \
        (200, b'{"accepted": true}')
    with pytest.raises(ClientError) as exc:
        apigw.delete_model(restApiId=api_id, modelName="Order")
    assert exc.value.response["Error"]["Code"] == "ConflictException"


def test_tags_account_and_stage_listing(apigw, unique):
    api_id, rid = _api_with_resource(apigw, unique, "t")
    _mock(apigw, api_id, rid)
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    arn = f"arn:aws:apigateway:us-east-1::/restapis/{api_id}"
    apigw.tag_resource(resourceArn=arn, tags={"team": "a", "env": "dev"})
    apigw.untag_resource(resourceArn=arn, tagKeys=["env"])
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"team": "a"}
    assert apigw.get_rest_api(restApiId=api_id)["tags"] == {"team": "a"}
    stage_arn = f"{arn}/stages/prod"
    apigw.tag_resource(resourceArn=stage_arn, tags={"tier": "1"})
    assert apigw.get_stage(restApiId=api_id, stageName="prod")["tags"] == {"tier": "1"}
    with pytest.raises(ClientError) as exc:
        apigw.get_tags(resourceArn="arn:aws:apigateway:us-east-1::/restapis/nosuchapi0")
    assert exc.value.response["Error"]["Code"] == "NotFoundException"
    assert apigw.get_account()["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}
    apigw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn",
                                           "value": "arn:aws:iam::000000000000:role/apigw-logs"}])
    assert apigw.get_account()["cloudwatchRoleArn"] == "arn:aws:iam::000000000000:role/apigw-logs"
    assert [s["stageName"] for s in apigw.get_stages(restApiId=api_id)["item"]] == ["prod"]
    with pytest.raises(ClientError) as exc:
        apigw.create_stage(restApiId=api_id, stageName="prod",
                           deploymentId=apigw.get_stage(restApiId=api_id, stageName="prod")["deploymentId"])
    assert exc.value.response["Error"]["Code"] == "ConflictException"


def test_stage_method_throttling_and_test_invoke(server, apigw, unique):
    api_id, rid = _api_with_resource(apigw, unique, "limited")
    _mock(apigw, api_id, rid, responseTemplates={"application/json": '{"stage": "$context.stage", "v": "$stageVariables.v"}'})
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    stage = apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"},
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.01"},
        {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"}])
    assert stage["methodSettings"]["*/*"]["throttlingBurstLimit"] == 2
    assert stage["methodSettings"]["*/*"]["metricsEnabled"] is True
    assert invoke(server, api_id, "/prod/limited")[0] == 200
    assert invoke(server, api_id, "/prod/limited")[0] == 200
    status, headers, body = invoke(server, api_id, "/prod/limited")
    assert (status, json.loads(body)) == (429, {"message": "Too Many Requests"})
    assert headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    server.admin("/_pocketcloud/clock", {"advance": "100s"})
    assert invoke(server, api_id, "/prod/limited")[0] == 200
    with pytest.raises(ClientError) as exc:
        apigw.update_stage(restApiId=api_id, stageName="prod",
                           patchOperations=[{"op": "replace", "path": "/*/*/throttling/nonsense", "value": "1"}])
    assert exc.value.response["Error"]["Code"] == "BadRequestException"

    result = apigw.test_invoke_method(restApiId=api_id, resourceId=rid, httpMethod="GET",
                                      pathWithQueryString="/limited", stageVariables={"v": "x"})
    assert result["status"] == 200
    assert json.loads(result["body"]) == {"stage": "test-invoke-stage", "v": "x"}
    assert "Method completed with status: 200" in result["log"]


def test_usage_plan_method_throttle(server, apigw, unique):
    api_id, rid = _api_with_resource(apigw, unique, "res")
    for method in ("GET", "POST"):
        _mock(apigw, api_id, rid, method=method)
        apigw.update_method(restApiId=api_id, resourceId=rid, httpMethod=method,
                            patchOperations=[{"op": "replace", "path": "/apiKeyRequired", "value": "true"}])
    apigw.create_deployment(restApiId=api_id, stageName="p")
    key = apigw.create_api_key(name=unique, enabled=True)
    plan = apigw.create_usage_plan(name=unique, throttle={"burstLimit": 5, "rateLimit": 0.01}, apiStages=[
        {"apiId": api_id, "stage": "p", "throttle": {"/res/POST": {"burstLimit": 1, "rateLimit": 0.01}}}])
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    headers = {"x-api-key": key["value"]}
    assert invoke(server, api_id, "/p/res", method="POST", body=b"", headers=headers)[0] == 200
    assert invoke(server, api_id, "/p/res", method="POST", body=b"", headers=headers)[0] == 429
    assert [invoke(server, api_id, "/p/res", headers=headers)[0] for _ in range(3)] == [200, 200, 200]


def _signed(server, url: str, secret: str = "test", key: str = "test"):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(key, secret), "execute-api", "us-east-1").add_auth(request)
    return dict(request.headers)


def test_aws_iam_authorization_checks_the_signature(server, apigw, unique):
    api_id, rid = _api_with_resource(apigw, unique, "iam")
    apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod="GET", authorizationType="AWS_IAM")
    apigw.put_integration(restApiId=api_id, resourceId=rid, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_integration_response(restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"arn": "$context.identity.userArn", '
                                                                          '"key": "$context.identity.accessKey"}'})
    apigw.create_deployment(restApiId=api_id, stageName="s")
    url = f"{server.endpoint}/_aws/execute-api/{api_id}/s/iam"
    status, _, body = invoke(server, api_id, "/s/iam")
    assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    status, _, body = invoke(server, api_id, "/s/iam", headers=_signed(server, url))
    assert (status, json.loads(body)) == (200, {"arn": "arn:aws:iam::000000000000:root", "key": "test"})
    status, headers, body = invoke(server, api_id, "/s/iam", headers=_signed(server, url, secret="wrong"))
    assert status == 403 and "signature" in json.loads(body)["message"].lower()
    assert headers["x-amzn-ErrorType"] == "InvalidSignatureException"


def test_canary_deployment(server, apigw, unique):
    api_id, rid = _api_with_resource(apigw, unique, "c")
    _mock(apigw, api_id, rid, responseTemplates={"application/json": '{"v": "1", "color": "$stageVariables.color"}'})
    apigw.create_deployment(restApiId=api_id, stageName="prod", variables={"color": "blue"})
    apigw.put_integration_response(restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"v": "2", "color": "$stageVariables.color"}'})
    canary = apigw.create_deployment(restApiId=api_id, stageName="prod", canarySettings={
        "percentTraffic": 100.0, "stageVariableOverrides": {"color": "green"}})
    stage = apigw.get_stage(restApiId=api_id, stageName="prod")
    assert stage["canarySettings"]["deploymentId"] == canary["id"] and stage["deploymentId"] != canary["id"]
    assert json.loads(invoke(server, api_id, "/prod/c")[2]) == {"v": "2", "color": "green"}  # all to the canary
    apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "0"}])
    assert json.loads(invoke(server, api_id, "/prod/c")[2]) == {"v": "1", "color": "blue"}
    # promotion: the stage takes the canary's deployment, the canary goes away
    apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/deploymentId", "value": canary["id"]},
        {"op": "remove", "path": "/canarySettings"}])
    assert "canarySettings" not in apigw.get_stage(restApiId=api_id, stageName="prod")
    assert json.loads(invoke(server, api_id, "/prod/c")[2]) == {"v": "2", "color": "blue"}


def test_stage_response_cache(server, apigw, unique):
    api_id, rid = _api_with_resource(apigw, unique, "cached")
    _mock(apigw, api_id, rid, responseTemplates={"application/json": '{"color": "$stageVariables.color", '
                                                                     '"q": "$input.params(\'q\')"}'})
    apigw.update_integration(restApiId=api_id, resourceId=rid, httpMethod="GET", patchOperations=[
        {"op": "add", "path": "/cacheKeyParameters/method.request.querystring.q"}])
    apigw.create_deployment(restApiId=api_id, stageName="prod", variables={"color": "blue"})
    stage = apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
        {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
        {"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": "60"}])
    assert stage["cacheClusterStatus"] == "AVAILABLE" and stage["cacheClusterSize"] == "0.5"

    def color(query=""):
        return json.loads(invoke(server, api_id, f"/prod/cached{query}")[2])

    assert color("?q=1") == {"color": "blue", "q": "1"}
    apigw.update_stage(restApiId=api_id, stageName="prod",
                       patchOperations=[{"op": "replace", "path": "/variables/color", "value": "red"}])
    assert color("?q=1") == {"color": "blue", "q": "1"}  # from the cache
    assert color("?q=2") == {"color": "red", "q": "2"}  # another cache key
    server.admin("/_pocketcloud/clock", {"advance": "61s"})
    assert color("?q=1") == {"color": "red", "q": "1"}  # expired
    apigw.update_stage(restApiId=api_id, stageName="prod",
                       patchOperations=[{"op": "replace", "path": "/variables/color", "value": "green"}])
    apigw.flush_stage_cache(restApiId=api_id, stageName="prod")
    assert color("?q=1") == {"color": "green", "q": "1"}


def test_aws_service_integrations(server, apigw, unique):
    api = apigw.create_rest_api(name=unique)
    groups = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="groups")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=groups, httpMethod="POST", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api["id"], resourceId=groups, httpMethod="POST", type="AWS", integrationHttpMethod="POST",
        uri="arn:aws:apigateway:us-east-1:logs:action/CreateLogGroup",
        requestTemplates={"application/json": '{"logGroupName": "$input.path(\'$.name\')"}'})
    apigw.put_integration_response(restApiId=api["id"], resourceId=groups, httpMethod="POST", statusCode="200",
                                   responseTemplates={"application/json": '{"created": true}'})
    apigw.put_integration_response(restApiId=api["id"], resourceId=groups, httpMethod="POST", statusCode="409",
                                   selectionPattern="4\\d\\d",
                                   responseTemplates={"application/json": '{"error": $input.json(\'$.__type\')}'})
    who = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="whoami")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=who, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=who, httpMethod="GET", type="AWS",
                          integrationHttpMethod="GET", uri="arn:aws:apigateway:us-east-1:sts:action/GetCallerIdentity")
    apigw.put_integration_response(restApiId=api["id"], resourceId=who, httpMethod="GET", statusCode="200")
    apigw.create_deployment(restApiId=api["id"], stageName="svc")

    request = {"method": "POST", "body": json.dumps({"name": f"/svc/{unique}"}).encode(),
               "headers": {"Content-Type": "application/json"}}
    assert invoke(server, api["id"], "/svc/groups", **request)[::2] == (200, b'{"created": true}')
    names = [g["logGroupName"] for g in server.client("logs").describe_log_groups(
        logGroupNamePrefix=f"/svc/{unique}")["logGroups"]]
    assert names == [f"/svc/{unique}"]
    status, _, body = invoke(server, api["id"], "/svc/groups", **request)
    assert (status, json.loads(body)) == (409, {"error": "ResourceAlreadyExistsException"})
    status, _, body = invoke(server, api["id"], "/svc/whoami")
    assert status == 200 and b"<Account>000000000000</Account>" in body


def test_client_certificates_and_vpc_links(server, apigw, unique):
    from cryptography import x509

    cert = apigw.generate_client_certificate(description=unique)
    parsed = x509.load_pem_x509_certificate(cert["pemEncodedCertificate"].encode())
    assert parsed.subject.rfc4514_string() == f"CN=apigateway-{cert['clientCertificateId']}"
    assert apigw.get_client_certificate(clientCertificateId=cert["clientCertificateId"])["description"] == unique
    apigw.delete_client_certificate(clientCertificateId=cert["clientCertificateId"])
    with pytest.raises(ClientError) as exc:
        apigw.get_client_certificate(clientCertificateId=cert["clientCertificateId"])
    assert exc.value.response["Error"]["Code"] == "NotFoundException"

    nlb = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/n/0123456789abcdef"
    link = apigw.create_vpc_link(name=unique, targetArns=[nlb])
    assert link["status"] == "AVAILABLE"
    with pytest.raises(ClientError) as exc:
        apigw.create_vpc_link(name=unique, targetArns=["arn:aws:s3:::nope"])
    assert exc.value.response["Error"]["Code"] == "BadRequestException"
    v2 = server.client("apigatewayv2")
    link2 = v2.create_vpc_link(Name=unique, SubnetIds=["subnet-1"])
    assert (link2["VpcLinkStatus"], link2["VpcLinkVersion"]) == ("AVAILABLE", "V2")
    assert v2.update_vpc_link(VpcLinkId=link2["VpcLinkId"], Name="renamed")["Name"] == "renamed"
    v2.delete_vpc_link(VpcLinkId=link2["VpcLinkId"])
    with pytest.raises(ClientError) as exc:
        v2.get_vpc_link(VpcLinkId=link2["VpcLinkId"])
    assert exc.value.response["Error"]["Code"] == "NotFoundException"


def test_documentation_parts_and_versions(apigw, unique):
    api_id, rid = _api_with_resource(apigw, unique, "docs")
    _mock(apigw, api_id, rid)
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    part = apigw.create_documentation_part(restApiId=api_id, location={"type": "METHOD", "path": "/docs",
                                                                       "method": "GET"},
                                           properties='{"description": "Lists docs"}')
    with pytest.raises(ClientError) as exc:
        apigw.create_documentation_part(restApiId=api_id, location={"type": "METHOD", "path": "/docs",
                                                                    "method": "GET"}, properties="{}")
    assert exc.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as exc:
        apigw.create_documentation_part(restApiId=api_id, location={"type": "API"}, properties="not json")
    assert exc.value.response["Error"]["Code"] == "BadRequestException"
    assert [p["id"] for p in apigw.get_documentation_parts(restApiId=api_id, type="METHOD")["items"]] == [part["id"]]
    apigw.create_documentation_version(restApiId=api_id, documentationVersion="1.0", stageName="prod")
    assert apigw.get_stage(restApiId=api_id, stageName="prod")["documentationVersion"] == "1.0"
    assert apigw.get_documentation_version(restApiId=api_id, documentationVersion="1.0")["version"] == "1.0"


def test_import_api_keys_and_update_usage(server, apigw, unique):
    api_id, rid = _api_with_resource(apigw, unique, "q")
    _mock(apigw, api_id, rid)
    apigw.update_method(restApiId=api_id, resourceId=rid, httpMethod="GET",
                        patchOperations=[{"op": "replace", "path": "/apiKeyRequired", "value": "true"}])
    apigw.create_deployment(restApiId=api_id, stageName="p")
    plan = apigw.create_usage_plan(name=unique, apiStages=[{"apiId": api_id, "stage": "p"}],
                                   quota={"limit": 2, "period": "DAY"})
    value = f"{unique}-imported-key-0001"
    csv_body = f"name,key,description,enabled,usageplanIds\n{unique},{value},from csv,true,{plan['id']}\n,,,,\n"
    imported = apigw.import_api_keys(body=csv_body.encode(), format="csv")
    assert len(imported["ids"]) == 1 and len(imported["warnings"]) == 1
    headers = {"x-api-key": value}
    assert [invoke(server, api_id, "/p/q", headers=headers)[0] for _ in range(3)] == [200, 200, 429]
    usage = apigw.update_usage(usagePlanId=plan["id"], keyId=imported["ids"][0],
                               patchOperations=[{"op": "replace", "path": "/remaining", "value": "1"}])
    assert usage["items"][imported["ids"][0]][0][1] == 1
    assert [invoke(server, api_id, "/p/q", headers=headers)[0] for _ in range(2)] == [200, 429]


def test_aws_iam_with_enforced_policies(unique):
    """With --enforce-iam an AWS_IAM method also needs the signer's policies to allow
    execute-api:Invoke on the method ARN."""
    from conftest import Server

    srv = Server("--enforce-iam").start()
    try:
        apigw = srv.client("apigateway")
        api = apigw.create_rest_api(name=unique)
        for part in ("open", "closed"):
            rid = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart=part)["id"]
            apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="AWS_IAM")
            apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="MOCK",
                                  requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200",
                                           responseTemplates={"application/json": '{"user": "$context.identity.user"}'})
        apigw.create_deployment(restApiId=api["id"], stageName="s")
        iam = srv.client("iam")
        iam.create_user(UserName=unique)
        iam.put_user_policy(UserName=unique, PolicyName="invoke", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke",
                                                    "Resource": f"arn:aws:execute-api:*:*:{api['id']}/s/GET/open"}]}))
        key = iam.create_access_key(UserName=unique)["AccessKey"]

        def call(path):
            url = f"{srv.endpoint}/_aws/execute-api/{api['id']}/s/{path}"
            headers = _signed(srv, url, secret=key["SecretAccessKey"], key=key["AccessKeyId"])
            status, _, body = invoke(srv, api["id"], f"/s/{path}", headers=headers)
            return status, json.loads(body)

        assert call("open") == (200, {"user": unique})
        status, body = call("closed")
        assert status == 403
        assert body["Message"] == (f"User: arn:aws:iam::000000000000:user/{unique} is not authorized to perform: "
                                   f"execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:000000000000:"
                                   f"{api['id']}/s/GET/closed")
    finally:
        srv.stop()


def test_resource_policy_by_source_ip(server, apigw, unique):
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
         "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}}]}
    api = apigw.create_rest_api(name=unique, policy=json.dumps(policy))
    rid = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="guarded")["id"]
    _mock(apigw, api["id"], rid)
    apigw.create_deployment(restApiId=api["id"], stageName="p")
    assert invoke(server, api["id"], "/p/guarded")[0] == 200
    status, _, body = invoke(server, api["id"], "/p/guarded", headers={"X-Forwarded-For": "203.0.113.9"})
    assert status == 403
    assert json.loads(body) == {"Message": "User: anonymous is not authorized to perform: execute-api:Invoke on "
                                           f"resource: arn:aws:execute-api:us-east-1:000000000000:{api['id']}/p/GET/"
                                           "guarded with an explicit deny"}
