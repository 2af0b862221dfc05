"""API Gateway HTTP APIs (v2) without Lambda: control plane through boto3, stages ($default
without a path prefix, named stages, auto-deploy vs explicit deployments), route matching,
HTTP_PROXY integrations, CORS preflights, and JWT authorizers checked against a local issuer's
JWKS; plus an AWS CLI smoke test."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from test_apigateway_support import LocalHTTP, echo_backend, invoke
from conftest import queue_arn

backend = echo_backend  # the module-scoped echo server fixture, under the name the tests use


@pytest.fixture
def v2(server):
    return server.client("apigatewayv2")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    """An OpenID issuer on a local port: discovery document, JWKS, and tokens it signs."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.key.public_key().public_numbers()
        jwks = {"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
                          "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                          "e": _b64(numbers.e.to_bytes(3, "big"))}]}
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks.json"}
                elif self.path == "/jwks.json":
                    body = jwks
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.http = LocalHTTP(Handler)
        self.url = self.http.url

    def token(self, now: float, key=None, **claims) -> str:
        body = {"iss": self.url, "aud": "my-app", "sub": "alice", "iat": int(now), "exp": int(now) + 3600,
                "scope": "read write", **claims}
        signing_input = _b64(json.dumps({"alg": "RS256", "kid": "k1", "typ": "JWT"}).encode()) + "." + \
            _b64(json.dumps(body).encode())
        signature = (key or self.key).sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + _b64(signature)


@pytest.fixture(scope="module")
def issuer():
    found = Issuer()
    yield found
    found.http.stop()


def _server_now(server) -> float:
    return datetime.fromisoformat(server.admin("/_pocketcloud/clock")["now"].replace("Z", "+00:00")).timestamp()


def test_control_plane_and_errors(v2, unique):
    api = v2.create_api(Name=unique, ProtocolType="HTTP", Description="d")
    api_id = api["ApiId"]
    assert api["ApiEndpoint"] == f"https://{api_id}.execute-api.us-east-1.amazonaws.com"
    assert api["RouteSelectionExpression"] == "${request.method} ${request.path}"
    integration = v2.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                        IntegrationUri="http://127.0.0.1:9/x", PayloadFormatVersion="1.0")
    route = v2.create_route(ApiId=api_id, RouteKey="GET /items/{id}",
                            Target=f"integrations/{integration['IntegrationId']}")
    assert v2.get_route(ApiId=api_id, RouteId=route["RouteId"])["RouteKey"] == "GET /items/{id}"
    with pytest.raises(ClientError) as exc:
        v2.create_route(ApiId=api_id, RouteKey="GET /items/{id}")
    assert exc.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as exc:
        v2.create_route(ApiId=api_id, RouteKey="FETCH items")
    assert exc.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as exc:
        v2.create_route(ApiId=api_id, RouteKey="GET /x", Target="integrations/nope")
    assert exc.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as exc:
        v2.get_api(ApiId="nosuchapi9")
    assert exc.value.response["Error"]["Code"] == "NotFoundException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as exc:
        v2.delete_integration(ApiId=api_id, IntegrationId=integration["IntegrationId"])
    assert exc.value.response["Error"]["Code"] == "ConflictException"
    v2.update_route(ApiId=api_id, RouteId=route["RouteId"], RouteKey="POST /items/{id}")
    assert [r["RouteKey"] for r in v2.get_routes(ApiId=api_id)["Items"]] == ["POST /items/{id}"]
    v2.update_api(ApiId=api_id, Name="renamed")
    assert v2.get_api(ApiId=api_id)["Name"] == "renamed"
    assert any(a["ApiId"] == api_id for a in v2.get_apis()["Items"])
    v2.delete_api(ApiId=api_id)
    with pytest.raises(ClientError) as exc:
        v2.get_routes(ApiId=api_id)
    assert exc.value.response["Error"]["Code"] == "NotFoundException"


def test_http_proxy_routes_stages_and_deployments(server, v2, backend, unique):
    api_id = v2.create_api(Name=unique, ProtocolType="HTTP")["ApiId"]
    proxy = v2.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                  IntegrationUri=backend.url + "/{proxy}", PayloadFormatVersion="1.0")
    exact = v2.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
                                  IntegrationUri=backend.url + "/exact/{id}", PayloadFormatVersion="1.0")
    v2.create_route(ApiId=api_id, RouteKey="ANY /{proxy+}", Target=f"integrations/{proxy['IntegrationId']}")
    v2.create_route(ApiId=api_id, RouteKey="GET /items/{id}", Target=f"integrations/{exact['IntegrationId']}")
    v2.create_stage(ApiId=api_id, StageName="manual")
    assert invoke(server, api_id, "/manual/items/1")[0] == 404  # nothing deployed to it yet
    deployment = v2.create_deployment(ApiId=api_id, StageName="manual")
    assert v2.get_stage(ApiId=api_id, StageName="manual")["DeploymentId"] == deployment["DeploymentId"]

    status, headers, body = invoke(server, api_id, "/manual/items/5?q=1")
    assert status == 200 and headers["X-Backend"] == "echo"
    assert json.loads(body)["path"] == "/exact/5?q=1"  # the more specific route wins
    status, _, body = invoke(server, api_id, "/manual/other/deep/path", method="PUT", body=b"payload")
    echoed = json.loads(body)
    assert (echoed["method"], echoed["path"], echoed["body"]) == ("PUT", "/other/deep/path", "payload")
    assert invoke(server, api_id, "/manual/status/409")[0] == 409

    # a manual stage keeps serving its deployment until the next one; $default has no prefix
    v2.create_route(ApiId=api_id, RouteKey="GET /new", Target=f"integrations/{exact['IntegrationId']}")
    assert json.loads(invoke(server, api_id, "/manual/new")[2])["path"] == "/new"  # still the {proxy+} route
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    assert json.loads(invoke(server, api_id, "/new")[2])["path"] == "/exact/"
    status, _, body = invoke(server, api_id, "/items/8", host_form=True)
    assert status == 200 and json.loads(body)["path"] == "/exact/8"
    # auto-deploy picks up later changes by itself
    v2.create_route(ApiId=api_id, RouteKey="GET /later/{id}", Target=f"integrations/{exact['IntegrationId']}")
    assert json.loads(invoke(server, api_id, "/later/3")[2])["path"] == "/exact/3"
    with pytest.raises(ClientError) as exc:
        v2.create_deployment(ApiId=api_id, StageName="$default")
    assert exc.value.response["Error"]["Code"] == "BadRequestException"


def test_cors_preflight_and_headers(server, v2, backend, unique):
    api = v2.create_api(Name=unique, ProtocolType="HTTP", Target=backend.url + "/cors",
                        CorsConfiguration={"AllowOrigins": ["https://app.example.com"],
                                           "AllowMethods": ["GET", "POST"], "AllowHeaders": ["content-type"],
                                           "ExposeHeaders": ["x-backend"], "MaxAge": 600})
    status, headers, _ = invoke(server, api["ApiId"], "/anything", method="OPTIONS",
                                headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert headers["Access-Control-Allow-Methods"] == "GET,POST"
    assert headers["Access-Control-Allow-Headers"] == "content-type"
    assert headers["Access-Control-Max-Age"] == "600"
    status, headers, _ = invoke(server, api["ApiId"], "/anything", method="OPTIONS",
                                headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert status == 204 and "Access-Control-Allow-Origin" not in headers
    status, headers, _ = invoke(server, api["ApiId"], "/x", headers={"Origin": "https://app.example.com"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert headers["Access-Control-Expose-Headers"] == "x-backend"


def test_jwt_authorizer_against_issuer_jwks(server, v2, backend, issuer, unique):
    api_id = v2.create_api(Name=unique, ProtocolType="HTTP")["ApiId"]
    authorizer = v2.create_authorizer(ApiId=api_id, Name="jwt", AuthorizerType="JWT",
                                      IdentitySource=["$request.header.Authorization"],
                                      JwtConfiguration={"Issuer": issuer.url, "Audience": ["my-app"]})
    integration = v2.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                        IntegrationUri=backend.url + "/jwt", PayloadFormatVersion="1.0")
    for key, scopes in (("GET /read", ["read"]), ("GET /admin", ["admin"])):
        v2.create_route(ApiId=api_id, RouteKey=key, AuthorizationType="JWT",
                        AuthorizerId=authorizer["AuthorizerId"], AuthorizationScopes=scopes,
                        Target=f"integrations/{integration['IntegrationId']}")
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    now = _server_now(server)

    def call(path, token):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        status, _, body = invoke(server, api_id, path, headers=headers)
        return status, json.loads(body) if status != 200 else None

    assert call("/read", None) == (401, {"message": "Unauthorized"})
    assert call("/read", issuer.token(now))[0] == 200
    assert call("/admin", issuer.token(now)) == (403, {"message": "Forbidden"})  # scope missing
    assert call("/read", issuer.token(now, aud="other-app")) == (401, {"message": "Unauthorized"})
    assert call("/read", issuer.token(now, iss="https://elsewhere")) == (401, {"message": "Unauthorized"})
    assert call("/read", issuer.token(now, exp=int(now) - 10)) == (401, {"message": "Unauthorized"})
    forged = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert call("/read", issuer.token(now, key=forged)) == (401, {"message": "Unauthorized"})
    assert call("/read", "not.a.jwt") == (401, {"message": "Unauthorized"})
    # expiry follows the virtual clock
    token = issuer.token(now)
    assert call("/read", token)[0] == 200
    server.admin("/_pocketcloud/clock", {"advance": "2h"})
    assert call("/read", token) == (401, {"message": "Unauthorized"})


def test_aws_cli_smoke(server, unique, tmp_path):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}

    def aws(*args):
        out = subprocess.run(["aws", "--endpoint-url", server.endpoint, "--output", "json", *args],
                             capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else None

    api = aws("apigateway", "create-rest-api", "--name", unique)
    resource = aws("apigateway", "create-resource", "--rest-api-id", api["id"], "--parent-id",
                   api["rootResourceId"], "--path-part", "ping")
    aws("apigateway", "put-method", "--rest-api-id", api["id"], "--resource-id", resource["id"],
        "--http-method", "GET", "--authorization-type", "NONE")
    aws("apigateway", "put-integration", "--rest-api-id", api["id"], "--resource-id", resource["id"],
        "--http-method", "GET", "--type", "MOCK", "--request-templates", '{"application/json": "{\\"statusCode\\": 200}"}')
    aws("apigateway", "put-integration-response", "--rest-api-id", api["id"], "--resource-id", resource["id"],
        "--http-method", "GET", "--status-code", "200", "--response-templates", '{"application/json": "{\\"pong\\": true}"}')
    aws("apigateway", "create-deployment", "--rest-api-id", api["id"], "--stage-name", "cli")
    assert invoke(server, api["id"], "/cli/ping")[::2] == (200, b'{"pong": true}')
    http_api = aws("apigatewayv2", "create-api", "--name", unique, "--protocol-type", "HTTP")
    assert aws("apigatewayv2", "get-api", "--api-id", http_api["ApiId"])["Name"] == unique
    stages = aws("apigateway", "get-stages", "--rest-api-id", api["id"])
    assert [s["stageName"] for s in stages["item"]] == ["cli"]


def test_http_proxy_parameter_mapping(server, v2, backend, unique):
    api_id = v2.create_api(Name=unique, ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY", IntegrationUri=backend.url + "/base",
        PayloadFormatVersion="1.0",
        RequestParameters={"overwrite:path": "/mapped/$request.path.id", "append:header.x-from": "gw-$context.stage",
                           "remove:header.x-secret": "''", "overwrite:querystring.q": "$request.header.x-q",
                           "append:querystring.name": "$request.body.user.name"},
        ResponseParameters={"200": {"overwrite:header.x-backend": "mapped-$response.header.x-backend",
                                    "overwrite:statuscode": "202"}})
    v2.create_route(ApiId=api_id, RouteKey="POST /things/{id}", Target=f"integrations/{integration['IntegrationId']}")
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    status, headers, body = invoke(server, api_id, "/things/7?q=old&keep=1", method="POST",
                                   body=json.dumps({"user": {"name": "ann"}}).encode(),
                                   headers={"X-Secret": "s", "X-Q": "new", "Content-Type": "application/json"})
    echoed = json.loads(body)
    assert status == 202 and headers["X-Backend"] == "mapped-echo"
    assert echoed["path"] == "/mapped/7?keep=1&q=new&name=ann"
    lowered = {k.lower(): v for k, v in echoed["headers"].items()}
    assert lowered["x-from"] == "gw-$default" and "x-secret" not in lowered


def test_stage_variables_in_integration_uri(server, v2, backend, unique):
    api_id = v2.create_api(Name=unique, ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                        IntegrationUri=backend.url + "/${stageVariables.prefix}/{proxy}",
                                        PayloadFormatVersion="1.0")
    v2.create_route(ApiId=api_id, RouteKey="ANY /{proxy+}", Target=f"integrations/{integration['IntegrationId']}")
    for stage, prefix in (("blue", "b"), ("green", "g")):
        v2.create_stage(ApiId=api_id, StageName=stage, AutoDeploy=True, StageVariables={"prefix": prefix})
    assert json.loads(invoke(server, api_id, "/blue/x/y")[2])["path"] == "/b/x/y"
    assert json.loads(invoke(server, api_id, "/green/x/y")[2])["path"] == "/g/x/y"
    v2.update_stage(ApiId=api_id, StageName="green", StageVariables={"prefix": "g2"})
    assert json.loads(invoke(server, api_id, "/green/z")[2])["path"] == "/g2/z"


def test_access_logs_go_to_cloudwatch_logs(server, v2, backend, unique):
    logs = server.client("logs")
    group = f"/apigw/{unique}"
    logs.create_log_group(logGroupName=group)
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"
    api = v2.create_api(Name=unique, ProtocolType="HTTP", Target=backend.url + "/logged")
    v2.update_stage(ApiId=api["ApiId"], StageName="$default", AccessLogSettings={
        "DestinationArn": arn, "Format": '{"id":"$context.requestId","route":"$context.routeKey",'
                                         '"status":"$context.status","method":"$context.httpMethod"}'})
    invoke(server, api["ApiId"], "/a")
    rest = server.client("apigateway")
    rest_api = rest.create_rest_api(name=unique)
    rest.put_method(restApiId=rest_api["id"], resourceId=rest_api["rootResourceId"], httpMethod="GET",
                    authorizationType="NONE")
    rest.put_integration(restApiId=rest_api["id"], resourceId=rest_api["rootResourceId"], httpMethod="GET",
                         type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    rest.put_integration_response(restApiId=rest_api["id"], resourceId=rest_api["rootResourceId"],
                                  httpMethod="GET", statusCode="200")
    rest.create_deployment(restApiId=rest_api["id"], stageName="prod")
    rest.update_stage(restApiId=rest_api["id"], stageName="prod", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn + ":*"},
        {"op": "replace", "path": "/accessLogSettings/format",
         "value": "$context.identity.sourceIp $context.httpMethod $context.resourcePath $context.status"}])
    invoke(server, rest_api["id"], "/prod/")
    invoke(server, rest_api["id"], "/prod/missing")
    lines = []
    for _ in range(50):  # delivery happens just after each response
        lines = [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]
        if len(lines) >= 3:
            break
        server.admin("/_pocketcloud/health")
    http_line = json.loads(next(line for line in lines if line.startswith("{")))
    assert http_line["route"] == "$default" and http_line["status"] == "200" and http_line["method"] == "GET"
    assert sorted(line for line in lines if not line.startswith("{")) == \
        ["127.0.0.1 GET - 403", "127.0.0.1 GET / 200"]


def test_import_and_reimport_http_api(server, v2, backend, issuer, unique):
    document = {
        "openapi": "3.0.1", "info": {"title": unique, "version": "2"},
        "x-amazon-apigateway-cors": {"allowOrigins": ["*"], "allowMethods": ["GET"]},
        "components": {"securitySchemes": {"jwt": {"type": "oauth2", "flows": {}, "x-amazon-apigateway-authorizer": {
            "type": "jwt", "identitySource": "$request.header.Authorization",
            "jwtConfiguration": {"issuer": issuer.url, "audience": ["my-app"]}}}}},
        "paths": {
            "/open/{id}": {"get": {"x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": "GET", "uri": backend.url + "/open/{id}",
                "payloadFormatVersion": "1.0"}}},
            "/private": {"x-amazon-apigateway-any-method": {"security": [{"jwt": ["read"]}],
                                                            "x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": "ANY", "uri": backend.url + "/private",
                "payloadFormatVersion": "1.0"}}},
        }}
    api = v2.import_api(Body=json.dumps(document))
    api_id = api["ApiId"]
    assert api["Name"] == unique and api["CorsConfiguration"]["AllowOrigins"] == ["*"]
    routes = {r["RouteKey"]: r for r in v2.get_routes(ApiId=api_id)["Items"]}
    assert set(routes) == {"GET /open/{id}", "ANY /private"}
    assert routes["ANY /private"]["AuthorizationType"] == "JWT"
    assert routes["ANY /private"]["AuthorizationScopes"] == ["read"]
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    assert json.loads(invoke(server, api_id, "/open/5")[2])["path"] == "/open/5"
    assert invoke(server, api_id, "/private", method="DELETE")[0] == 401
    token = issuer.token(_server_now(server))
    assert invoke(server, api_id, "/private", method="DELETE", headers={"Authorization": token})[0] == 200

    exported = v2.export_api(ApiId=api_id, Specification="OAS30", OutputType="YAML", IncludeExtensions=True)
    copy = v2.import_api(Body=exported["body"].read().decode())  # what ExportApi writes, ImportApi reads
    assert {r["RouteKey"] for r in v2.get_routes(ApiId=copy["ApiId"])["Items"]} == {"GET /open/{id}", "ANY /private"}
    assert v2.get_authorizers(ApiId=copy["ApiId"])["Items"][0]["JwtConfiguration"]["Issuer"] == issuer.url

    document["paths"] = {"/only": {"get": document["paths"]["/open/{id}"]["get"]}}
    v2.reimport_api(ApiId=api_id, Body=json.dumps(document))
    assert [r["RouteKey"] for r in v2.get_routes(ApiId=api_id)["Items"]] == ["GET /only"]
    assert invoke(server, api_id, "/open/5")[0] == 404  # auto-deploy picked up the re-import
    with pytest.raises(ClientError) as exc:
        v2.import_api(Body="openapi: [broken")
    assert exc.value.response["Error"]["Code"] == "BadRequestException"


def test_route_throttling(server, v2, backend, unique):
    api_id = v2.create_api(Name=unique, ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                        IntegrationUri=backend.url + "/t", PayloadFormatVersion="1.0")
    for key in ("GET /tight", "GET /loose"):
        v2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration['IntegrationId']}")
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True,
                    DefaultRouteSettings={"ThrottlingBurstLimit": 3, "ThrottlingRateLimit": 0.01},
                    RouteSettings={"GET /tight": {"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 0.01}})
    assert invoke(server, api_id, "/tight")[0] == 200
    status, _, body = invoke(server, api_id, "/tight")
    assert (status, json.loads(body)) == (429, {"message": "Too Many Requests"})
    assert [invoke(server, api_id, "/loose")[0] for _ in range(4)] == [200, 200, 200, 429]
    server.admin("/_pocketcloud/clock", {"advance": "200s"})
    assert invoke(server, api_id, "/tight")[0] == 200


def test_custom_domain_maps_rest_and_http_apis(server, v2, backend, unique):
    rest = server.client("apigateway")
    rest_api = rest.create_rest_api(name=unique)
    rid = rest.create_resource(restApiId=rest_api["id"], parentId=rest_api["rootResourceId"], pathPart="items")["id"]
    rest.put_method(restApiId=rest_api["id"], resourceId=rid, httpMethod="GET", authorizationType="NONE")
    rest.put_integration(restApiId=rest_api["id"], resourceId=rid, httpMethod="GET", type="MOCK",
                         requestTemplates={"application/json": '{"statusCode": 200}'})
    rest.put_integration_response(restApiId=rest_api["id"], resourceId=rid, httpMethod="GET", statusCode="200",
                                  responseTemplates={"application/json": '{"rest": "$context.stage"}'})
    rest.create_deployment(restApiId=rest_api["id"], stageName="prod")
    http_api = v2.create_api(Name=unique, ProtocolType="HTTP", Target=backend.url + "/from-domain")

    name = f"{unique}.example.com"
    domain = rest.create_domain_name(domainName=name, regionalCertificateArn="arn:aws:acm:us-east-1:000000000000:"
                                     "certificate/abc", endpointConfiguration={"types": ["REGIONAL"]})
    regional = domain["regionalDomainName"]
    assert regional.startswith("d-") and regional.endswith(".execute-api.us-east-1.amazonaws.com")
    rest.create_base_path_mapping(domainName=name, restApiId=rest_api["id"], stage="prod")
    v2.create_api_mapping(DomainName=name, ApiId=http_api["ApiId"], Stage="$default", ApiMappingKey="v2")
    assert v2.get_domain_name(DomainName=name)["DomainNameConfigurations"][0]["ApiGatewayDomainName"] == regional
    assert {m["basePath"] for m in rest.get_base_path_mappings(domainName=name)["items"]} == {"(none)", "v2"}
    with pytest.raises(ClientError) as exc:
        rest.create_base_path_mapping(domainName=name, restApiId=rest_api["id"], stage="prod")
    assert exc.value.response["Error"]["Code"] == "ConflictException"

    domain_id = regional.split(".")[0]
    host = {"Host": regional}
    status, _, body = invoke(server, domain_id, "/items", headers=host, host_form=False)
    assert (status, json.loads(body)) == (200, {"rest": "prod"})
    request = urllib.request.Request(f"{server.endpoint}/v2/deep/path", headers=host)
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.loads(response.read())["path"] == "/from-domain"
    rest.delete_domain_name(domainName=name)
    status, _, _ = invoke(server, domain_id, "/items")
    assert status == 404


def test_sqs_service_integrations(server, v2, unique):
    sqs = server.client("sqs")
    queue_url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    # REST API -> SQS, the classic form: path/<account>/<queue>, a form body built by the template
    rest = server.client("apigateway")
    api = rest.create_rest_api(name=unique)
    rid = rest.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="enqueue")["id"]
    rest.put_method(restApiId=api["id"], resourceId=rid, httpMethod="POST", authorizationType="NONE")
    rest.put_integration(
        restApiId=api["id"], resourceId=rid, httpMethod="POST", type="AWS", integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:sqs:path/000000000000/{unique}",
        requestParameters={"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
        requestTemplates={"application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"})
    rest.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="POST", statusCode="200",
                                  responseTemplates={"application/json": '{"queued": true}'})
    rest.create_deployment(restApiId=api["id"], stageName="q")
    status, _, body = invoke(server, api["id"], "/q/enqueue", method="POST", body=b'{"order": 1}',
                             headers={"Content-Type": "application/json"})
    assert (status, body) == (200, b'{"queued": true}')
    # HTTP API -> SQS through an integration subtype
    http_api = v2.create_api(Name=unique, ProtocolType="HTTP")
    integration = v2.create_integration(
        ApiId=http_api["ApiId"], IntegrationType="AWS_PROXY", IntegrationSubtype="SQS-SendMessage",
        PayloadFormatVersion="1.0", CredentialsArn="arn:aws:iam::000000000000:role/apigw-sqs",
        RequestParameters={"QueueUrl": queue_url, "MessageBody": "$request.body.message"})
    v2.create_route(ApiId=http_api["ApiId"], RouteKey="POST /send",
                    Target=f"integrations/{integration['IntegrationId']}")
    v2.create_stage(ApiId=http_api["ApiId"], StageName="$default", AutoDeploy=True)
    status, _, body = invoke(server, http_api["ApiId"], "/send", method="POST",
                             body=json.dumps({"message": "from http api"}).encode(),
                             headers={"Content-Type": "application/json"})
    assert status == 200 and "MessageId" in json.loads(body)
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in received) == ["from http api", '{"order": 1}']


def test_s3_and_sns_service_integrations(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="docs/readme.txt", Body=b"hello from s3")
    sns = server.client("sns")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    sqs = server.client("sqs")
    queue_url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    sqs_arn = queue_arn(sqs, queue_url)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sqs_arn, Attributes={"RawMessageDelivery": "true"})

    rest = server.client("apigateway")
    api = rest.create_rest_api(name=unique)
    files = rest.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="files")["id"]
    item = rest.create_resource(restApiId=api["id"], parentId=files, pathPart="{key+}")["id"]
    rest.put_method(restApiId=api["id"], resourceId=item, httpMethod="GET", authorizationType="NONE",
                    requestParameters={"method.request.path.key": True})
    rest.put_integration(restApiId=api["id"], resourceId=item, httpMethod="GET", type="AWS",
                         integrationHttpMethod="GET", uri=f"arn:aws:apigateway:us-east-1:s3:path/{unique}/{{key}}",
                         requestParameters={"integration.request.path.key": "method.request.path.key"})
    rest.put_integration_response(restApiId=api["id"], resourceId=item, httpMethod="GET", statusCode="200")
    rest.put_integration_response(restApiId=api["id"], resourceId=item, httpMethod="GET", statusCode="404",
                                  selectionPattern="404",
                                  responseTemplates={"application/json": '{"error": "no such file"}'})
    publish = rest.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="publish")["id"]
    rest.put_method(restApiId=api["id"], resourceId=publish, httpMethod="POST", authorizationType="NONE")
    rest.put_integration(
        restApiId=api["id"], resourceId=publish, httpMethod="POST", type="AWS", integrationHttpMethod="POST",
        uri="arn:aws:apigateway:us-east-1:sns:action/Publish",
        requestParameters={"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
        requestTemplates={"application/json": f"TopicArn=$util.urlEncode('{topic}')"
                                              "&Message=$util.urlEncode($input.path('$.text'))"})
    rest.put_integration_response(restApiId=api["id"], resourceId=publish, httpMethod="POST", statusCode="200",
                                  responseTemplates={"application/json": '{"published": true}'})
    rest.create_deployment(restApiId=api["id"], stageName="aws")

    status, _, body = invoke(server, api["id"], "/aws/files/docs/readme.txt")
    assert (status, body) == (200, b"hello from s3")
    status, _, body = invoke(server, api["id"], "/aws/files/missing.txt")
    assert (status, json.loads(body)) == (404, {"error": "no such file"})
    status, _, body = invoke(server, api["id"], "/aws/publish", method="POST", body=b'{"text": "via sns"}',
                             headers={"Content-Type": "application/json"})
    assert (status, body) == (200, b'{"published": true}')
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    assert messages[0]["Body"] == "via sns"
