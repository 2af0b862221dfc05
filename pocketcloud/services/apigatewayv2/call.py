"""One request to an HTTP API stage as the serving code sees it, and the failures API Gateway
answers itself."""

from __future__ import annotations

import json
from datetime import timezone

from ..apigateway.common.replies import body_for_lambda, client_ip, split_query


class Failure(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class Call:
    def __init__(self, inv, stage: dict, route: dict, path: str, path_params: dict):
        self.inv, self.stage, self.route, self.path, self.path_params = inv, stage, route, path, path_params
        now = inv.runtime.clock.now().astimezone(timezone.utc)
        self.epoch_ms = int(now.timestamp() * 1000)
        self.time = now.strftime("%d/%b/%Y:%H:%M:%S +0000")
        self.authorizer: dict | None = None

    @property
    def raw_path(self) -> str:
        name = self.stage["StageName"]
        return self.path if name == "$default" or self.inv.stage is not None else f"/{name}{self.path}"

    def event_v2(self) -> dict:
        inv, request = self.inv, self.inv.request
        headers = inv.forwarded_headers()
        cookie = headers.pop("cookie", None)
        single, multi = split_query(request.query_string)
        body, encoded = body_for_lambda(request.body, headers.get("content-type"))
        context = {
            "accountId": inv.account, "apiId": inv.api_id, "domainName": inv.domain,
            "domainPrefix": inv.domain.split(".")[0],
            "http": {"method": request.method, "path": self.raw_path, "protocol": "HTTP/1.1",
                     "sourceIp": client_ip(request), "userAgent": headers.get("user-agent", "")},
            "requestId": inv.request_id, "routeKey": self.route["RouteKey"], "stage": self.stage["StageName"],
            "time": self.time, "timeEpoch": self.epoch_ms,
        }
        if self.authorizer is not None:
            context["authorizer"] = self.authorizer
        event = {"version": "2.0", "routeKey": self.route["RouteKey"], "rawPath": self.raw_path,
                 "rawQueryString": request.query_string}
        if cookie:
            event["cookies"] = [c.strip() for c in cookie.split(";") if c.strip()]
        event["headers"] = headers
        if multi:
            event["queryStringParameters"] = {k: ",".join(v) for k, v in multi.items()}
        if self.path_params:
            event["pathParameters"] = dict(self.path_params)
        if self.stage.get("StageVariables"):
            event["stageVariables"] = dict(self.stage["StageVariables"])
        event["requestContext"] = context
        if body is not None:
            event["body"] = body
        event["isBase64Encoded"] = encoded
        return event

    def event_v1(self) -> dict:
        inv, request = self.inv, self.inv.request
        headers = inv.forwarded_headers()
        single, multi = split_query(request.query_string)
        body, encoded = body_for_lambda(request.body, request.headers.get("content-type"))
        context = {
            "accountId": inv.account, "apiId": inv.api_id, "domainName": inv.domain,
            "domainPrefix": inv.domain.split(".")[0], "extendedRequestId": inv.request_id, "httpMethod": request.method,
            "identity": {"sourceIp": client_ip(request), "userAgent": request.headers.get("user-agent", ""),
                         "accessKey": None, "accountId": None, "caller": None, "cognitoAuthenticationProvider": None,
                         "cognitoAuthenticationType": None, "cognitoIdentityId": None, "cognitoIdentityPoolId": None,
                         "principalOrgId": None, "user": None, "userArn": None},
            "path": self.raw_path, "protocol": "HTTP/1.1", "requestId": inv.request_id, "requestTime": self.time,
            "requestTimeEpoch": self.epoch_ms, "resourceId": self.route["RouteKey"],
            "resourcePath": self.route["RouteKey"].partition(" ")[2] or "$default", "stage": self.stage["StageName"],
        }
        if self.authorizer is not None:
            context["authorizer"] = self.authorizer
        return {"version": "1.0", "resource": context["resourcePath"], "path": self.raw_path,
                "httpMethod": request.method, "headers": headers,
                "multiValueHeaders": {k: [v] for k, v in headers.items()},
                "queryStringParameters": single or None, "multiValueQueryStringParameters": multi or None,
                "requestContext": context, "pathParameters": self.path_params or None,
                "stageVariables": self.stage.get("StageVariables") or None, "body": body, "isBase64Encoded": encoded}

    def route_arn(self) -> str:
        inv = self.inv
        method, _, path = self.route["RouteKey"].partition(" ")
        resource = f"{method}{path}" if path else "$default"
        return f"arn:aws:execute-api:{inv.region}:{inv.account}:{inv.api_id}/{self.stage['StageName']}/{resource}"


def mapping_sources(call: Call) -> dict:
    request = call.inv.request
    try:
        body = json.loads(request.body) if request.body else None
    except ValueError:
        body = None
    single, _ = split_query(request.query_string)
    return {"request.header": request.headers, "request.querystring": single, "request.path": call.path_params,
            "request.rawpath": call.path, "request.body": body,
            "context": {"requestId": call.inv.request_id, "apiId": call.inv.api_id, "stage": call.stage["StageName"],
                        "routeKey": (call.route or {}).get("RouteKey"), "domainName": call.inv.domain,
                        "httpMethod": request.method, "path": call.raw_path,
                        "identity": {"sourceIp": client_ip(request)},
                        "authorizer": call.authorizer or {}},
            "stageVariables": call.stage.get("StageVariables") or {}}
