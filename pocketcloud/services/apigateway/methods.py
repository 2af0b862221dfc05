"""Methods, method responses, integrations, integration responses and gateway responses."""

from __future__ import annotations

from .common import patch
from .state import bad_request, editing, integration_of, load_api, method_of, not_found, resource_of

HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}
AUTH_TYPES = {"NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"}
INTEGRATION_TYPES = {"HTTP", "HTTP_PROXY", "AWS", "AWS_PROXY", "MOCK"}
GATEWAY_RESPONSE_TYPES = {
    "DEFAULT_4XX": None, "DEFAULT_5XX": None, "RESOURCE_NOT_FOUND": "404", "UNAUTHORIZED": "401",
    "INVALID_API_KEY": "403", "ACCESS_DENIED": "403", "AUTHORIZER_FAILURE": "500",
    "AUTHORIZER_CONFIGURATION_ERROR": "500", "INVALID_SIGNATURE": "403", "EXPIRED_TOKEN": "403",
    "MISSING_AUTHENTICATION_TOKEN": "403", "INTEGRATION_FAILURE": "504", "INTEGRATION_TIMEOUT": "504",
    "API_CONFIGURATION_ERROR": "500", "UNSUPPORTED_MEDIA_TYPE": "415", "BAD_REQUEST_PARAMETERS": "400",
    "BAD_REQUEST_BODY": "400", "REQUEST_TOO_LARGE": "413", "THROTTLED": "429", "QUOTA_EXCEEDED": "429",
    "WAF_FILTERED": "403",
}


def _http_method(params: dict) -> str:
    method = params["httpMethod"].upper()
    if method not in HTTP_METHODS:
        raise bad_request("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
    return method


# -- methods -----------------------------------------------------------------------------------

def put_method(ctx, params: dict) -> dict:
    method_name = _http_method(params)
    auth = params["authorizationType"]
    if auth not in AUTH_TYPES:
        raise bad_request(f"Invalid authorization type specified. Valid options are {', '.join(sorted(AUTH_TYPES))}")
    with editing(ctx, params["restApiId"]) as doc:
        resource = resource_of(doc, params["resourceId"])
        if params.get("requestValidatorId") and params["requestValidatorId"] not in doc.get("requestValidators", {}):
            raise bad_request("Invalid Request Validator identifier specified")
        for model_name in (params.get("requestModels") or {}).values():
            if model_name not in doc.get("models", {}):
                raise bad_request(f"Invalid model identifier specified: {model_name}")
        if auth in ("CUSTOM", "COGNITO_USER_POOLS"):
            if not params.get("authorizerId") or params["authorizerId"] not in doc["authorizers"]:
                raise bad_request("Invalid authorizer ID specified. Setting the authorization type to CUSTOM "
                                  "or COGNITO_USER_POOLS requires a valid authorizer.")
        method = {"httpMethod": method_name, "authorizationType": auth,
                  "apiKeyRequired": bool(params.get("apiKeyRequired"))}
        for key in ("authorizerId", "operationName", "requestParameters", "requestModels",
                    "requestValidatorId", "authorizationScopes"):
            if params.get(key) is not None:
                method[key] = params[key]
        resource.setdefault("resourceMethods", {})[method_name] = method
    return {**method, "__status__": 201}


def get_method(ctx, params: dict) -> dict:
    return method_of(load_api(ctx, params["restApiId"]), params["resourceId"], params["httpMethod"])


def update_method(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        method = method_of(doc, params["resourceId"], params["httpMethod"])
        patch.apply(method, params.get("patchOperations"),
                    {"authorizationType", "authorizerId", "apiKeyRequired", "operationName",
                     "requestParameters", "requestModels", "requestValidatorId", "authorizationScopes"})
    return method


def delete_method(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        method_of(doc, params["resourceId"], params["httpMethod"])
        del doc["resources"][params["resourceId"]]["resourceMethods"][params["httpMethod"].upper()]
    return {"__status__": 204}


# -- method responses --------------------------------------------------------------------------

def put_method_response(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        method = method_of(doc, params["resourceId"], params["httpMethod"])
        response = {"statusCode": params["statusCode"]}
        for key in ("responseParameters", "responseModels"):
            if params.get(key) is not None:
                response[key] = params[key]
        method.setdefault("methodResponses", {})[params["statusCode"]] = response
    return {**response, "__status__": 201}


def _method_response(doc: dict, params: dict) -> dict:
    method = method_of(doc, params["resourceId"], params["httpMethod"])
    response = method.get("methodResponses", {}).get(params["statusCode"])
    if response is None:
        raise not_found("Invalid Response status code specified")
    return response


def get_method_response(ctx, params: dict) -> dict:
    return _method_response(load_api(ctx, params["restApiId"]), params)


def update_method_response(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        response = _method_response(doc, params)
        patch.apply(response, params.get("patchOperations"), {"responseParameters", "responseModels"})
    return response


def delete_method_response(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        _method_response(doc, params)
        del method_of(doc, params["resourceId"], params["httpMethod"])["methodResponses"][params["statusCode"]]
    return {"__status__": 204}


# -- integrations ------------------------------------------------------------------------------

def put_integration(ctx, params: dict) -> dict:
    kind = params["type"]
    if kind not in INTEGRATION_TYPES:
        raise bad_request(f"Invalid integration type specified. Valid options are {', '.join(sorted(INTEGRATION_TYPES))}")
    if kind in ("HTTP", "HTTP_PROXY", "AWS", "AWS_PROXY"):
        if not params.get("uri"):
            raise bad_request("Enumeration value for HttpMethod must be non-empty" if not params.get("integrationHttpMethod")
                              else "Invalid integration URI specified")
        if not params.get("integrationHttpMethod"):
            raise bad_request("Enumeration value for HttpMethod must be non-empty")
        if kind == "AWS_PROXY" and ":lambda:path/" not in params["uri"]:
            raise bad_request("Integrations of type 'AWS_PROXY' currently only supports Lambda function "
                              "and Firehose stream invocations.")
    timeout = params.get("timeoutInMillis")
    if timeout is not None and not 50 <= timeout <= 29000:
        raise bad_request("Timeout should be between 50 ms and 29000 ms")
    with editing(ctx, params["restApiId"]) as doc:
        method = method_of(doc, params["resourceId"], params["httpMethod"])
        integration = {
            "type": kind, "passthroughBehavior": params.get("passthroughBehavior") or "WHEN_NO_MATCH",
            "timeoutInMillis": params.get("timeoutInMillis") or 29000,
            "cacheNamespace": params["resourceId"], "cacheKeyParameters": params.get("cacheKeyParameters") or [],
        }
        if params.get("integrationHttpMethod"):
            integration["httpMethod"] = params["integrationHttpMethod"].upper()
        for key in ("uri", "connectionType", "connectionId", "credentials", "requestParameters",
                    "requestTemplates", "contentHandling", "tlsConfig"):
            if params.get(key) is not None:
                integration[key] = params[key]
        if kind in ("HTTP", "HTTP_PROXY", "AWS", "AWS_PROXY") and "connectionType" not in integration:
            integration["connectionType"] = "INTERNET"
        method["methodIntegration"] = integration
    return {**integration, "__status__": 201}


def get_integration(ctx, params: dict) -> dict:
    return integration_of(load_api(ctx, params["restApiId"]), params["resourceId"], params["httpMethod"])


def update_integration(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        integration = integration_of(doc, params["resourceId"], params["httpMethod"])
        patch.apply(integration, params.get("patchOperations"),
                    {"uri", "httpMethod", "requestParameters", "requestTemplates", "passthroughBehavior",
                     "contentHandling", "timeoutInMillis", "cacheKeyParameters", "connectionType",
                     "connectionId", "credentials", "type"})
    return integration


def delete_integration(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        method = method_of(doc, params["resourceId"], params["httpMethod"])
        if method.pop("methodIntegration", None) is None:
            raise not_found("No integration defined for method")
    return {"__status__": 204}


def put_integration_response(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        integration = integration_of(doc, params["resourceId"], params["httpMethod"])
        response = {"statusCode": params["statusCode"]}
        for key in ("selectionPattern", "responseParameters", "responseTemplates", "contentHandling"):
            if params.get(key) is not None:
                response[key] = params[key]
        integration.setdefault("integrationResponses", {})[params["statusCode"]] = response
    return {**response, "__status__": 201}


def _integration_response(doc: dict, params: dict) -> dict:
    integration = integration_of(doc, params["resourceId"], params["httpMethod"])
    response = integration.get("integrationResponses", {}).get(params["statusCode"])
    if response is None:
        raise not_found("Invalid Response status code specified")
    return response


def get_integration_response(ctx, params: dict) -> dict:
    return _integration_response(load_api(ctx, params["restApiId"]), params)


def update_integration_response(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        response = _integration_response(doc, params)
        patch.apply(response, params.get("patchOperations"),
                    {"selectionPattern", "responseParameters", "responseTemplates", "contentHandling"})
    return response


def delete_integration_response(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        _integration_response(doc, params)
        del integration_of(doc, params["resourceId"], params["httpMethod"])["integrationResponses"][params["statusCode"]]
    return {"__status__": 204}


# -- gateway responses -------------------------------------------------------------------------

def _gateway_response_type(params: dict) -> str:
    kind = params["responseType"]
    if kind not in GATEWAY_RESPONSE_TYPES:
        raise bad_request(f"Invalid response type specified: {kind}")
    return kind


def put_gateway_response(ctx, params: dict) -> dict:
    kind = _gateway_response_type(params)
    with editing(ctx, params["restApiId"]) as doc:
        response = {"responseType": kind, "defaultResponse": False,
                    "responseParameters": params.get("responseParameters") or {},
                    "responseTemplates": params.get("responseTemplates") or {}}
        if params.get("statusCode"):
            response["statusCode"] = params["statusCode"]
        doc["gatewayResponses"][kind] = response
    return {**response, "__status__": 201}


def get_gateway_response(ctx, params: dict) -> dict:
    kind = _gateway_response_type(params)
    doc = load_api(ctx, params["restApiId"])
    return doc["gatewayResponses"].get(kind) or _default_gateway_response(kind)


def _default_gateway_response(kind: str) -> dict:
    out = {"responseType": kind, "defaultResponse": True, "responseParameters": {},
           "responseTemplates": {"application/json": '{"message":$context.error.messageString}'}}
    if GATEWAY_RESPONSE_TYPES[kind]:
        out["statusCode"] = GATEWAY_RESPONSE_TYPES[kind]
    return out


def get_gateway_responses(ctx, params: dict) -> dict:
    doc = load_api(ctx, params["restApiId"])
    return {"items": [doc["gatewayResponses"].get(k) or _default_gateway_response(k) for k in GATEWAY_RESPONSE_TYPES]}


def update_gateway_response(ctx, params: dict) -> dict:
    kind = _gateway_response_type(params)
    with editing(ctx, params["restApiId"]) as doc:
        response = doc["gatewayResponses"].setdefault(kind, {**_default_gateway_response(kind), "defaultResponse": False})
        patch.apply(response, params.get("patchOperations"), {"statusCode", "responseParameters", "responseTemplates"})
    return response


def delete_gateway_response(ctx, params: dict) -> dict:
    kind = _gateway_response_type(params)
    with editing(ctx, params["restApiId"]) as doc:
        if doc["gatewayResponses"].pop(kind, None) is None:
            raise not_found("Invalid Gateway Response type specified")
    return {"__status__": 202}
