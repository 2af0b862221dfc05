"""REST APIs from OpenAPI documents (ImportRestApi, PutRestApi): Swagger 2.0 or OpenAPI 3.x,
JSON or YAML, with API Gateway's extensions:

x-amazon-apigateway-integration (type, httpMethod, uri, requestTemplates, requestParameters,
passthroughBehavior, responses keyed by selection pattern or "default"),
x-amazon-apigateway-any-method, x-amazon-apigateway-authorizer / -authtype in security schemes
(TOKEN/REQUEST Lambda authorizers; `api_key` schemes make methods require keys),
x-amazon-apigateway-binary-media-types, x-amazon-apigateway-api-key-source,
x-amazon-apigateway-gateway-responses, x-amazon-apigateway-request-validators and
x-amazon-apigateway-request-validator; definitions / components.schemas become models.
"""

from __future__ import annotations

import json

from .common.index import new_id
from .models import default_models
from .state import bad_request

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method")


def parse(body) -> dict:
    data = body if isinstance(body, (bytes, bytearray)) else str(body or "").encode()
    if not data.strip():
        raise bad_request("Invalid OpenAPI input: the body is empty")
    try:
        spec = json.loads(data)
    except ValueError:
        import yaml

        try:
            spec = yaml.safe_load(data)
        except yaml.YAMLError as exc:
            raise bad_request(f"Invalid OpenAPI input: {str(exc).splitlines()[0]}") from None
    if not isinstance(spec, dict) or not ("swagger" in spec or "openapi" in spec):
        raise bad_request("Invalid OpenAPI input: neither 'swagger' nor 'openapi' is specified")
    if not isinstance(spec.get("paths", {}), dict):
        raise bad_request("Invalid OpenAPI input: 'paths' must be an object")
    return spec


def _schemes(spec: dict) -> dict:
    return spec.get("securityDefinitions") or (spec.get("components") or {}).get("securitySchemes") or {}


def _schemas(spec: dict) -> dict:
    return spec.get("definitions") or (spec.get("components") or {}).get("schemas") or {}


def apply(doc: dict, spec: dict, overwrite: bool) -> None:
    """Build (overwrite) or extend (merge) the API document `doc` from `spec`."""
    api = doc["api"]
    info = spec.get("info") or {}
    if overwrite or info.get("title"):
        api["name"] = info.get("title") or api.get("name") or "imported"
    if info.get("description"):
        api["description"] = info["description"]
    if info.get("version"):
        api["version"] = str(info["version"])
    if spec.get("x-amazon-apigateway-binary-media-types") is not None:
        api["binaryMediaTypes"] = list(spec["x-amazon-apigateway-binary-media-types"])
    if spec.get("x-amazon-apigateway-api-key-source"):
        api["apiKeySource"] = spec["x-amazon-apigateway-api-key-source"]
    if overwrite:
        root = api["rootResourceId"]
        doc["resources"] = {root: {"id": root, "path": "/"}}
        doc["authorizers"], doc["gatewayResponses"], doc["requestValidators"] = {}, {}, {}
        doc["models"] = default_models()

    for name, schema in _schemas(spec).items():
        doc["models"][name] = {"id": doc["models"].get(name, {}).get("id") or new_id(6), "name": name,
                               "contentType": "application/json", "schema": json.dumps(schema)}
    authorizers, key_schemes = _authorizers(doc, spec)
    validators = {}
    for name, config in (spec.get("x-amazon-apigateway-request-validators") or {}).items():
        validator = next((v for v in doc["requestValidators"].values() if v["name"] == name), None)
        if validator is None:
            validator = {"id": new_id(6), "name": name}
            doc["requestValidators"][validator["id"]] = validator
        validator["validateRequestBody"] = bool(config.get("validateRequestBody"))
        validator["validateRequestParameters"] = bool(config.get("validateRequestParameters"))
        validators[name] = validator["id"]
    for kind, response in (spec.get("x-amazon-apigateway-gateway-responses") or {}).items():
        doc["gatewayResponses"][kind] = {"responseType": kind, "defaultResponse": False,
                                         "statusCode": str(response.get("statusCode", "")) or None,
                                         "responseParameters": response.get("responseParameters") or {},
                                         "responseTemplates": response.get("responseTemplates") or {}}
    default_validator = spec.get("x-amazon-apigateway-request-validator")
    global_security = spec.get("security")
    for path, operations in (spec.get("paths") or {}).items():
        resource = _resource_for(doc, path)
        shared_parameters = operations.get("parameters") or []
        for name, operation in operations.items():
            if name.lower() not in _METHODS or not isinstance(operation, dict):
                continue
            method_name = "ANY" if name.lower() == "x-amazon-apigateway-any-method" else name.upper()
            method = _method(operation, shared_parameters, global_security, authorizers, key_schemes)
            validator_name = operation.get("x-amazon-apigateway-request-validator", default_validator)
            if validator_name:
                if validator_name not in validators:
                    raise bad_request(f"Invalid OpenAPI input: unknown request validator '{validator_name}'")
                method["requestValidatorId"] = validators[validator_name]
            integration = operation.get("x-amazon-apigateway-integration")
            if integration:
                method["methodIntegration"] = _integration(integration, resource["id"])
            method["httpMethod"] = method_name
            resource.setdefault("resourceMethods", {})[method_name] = method


def _authorizers(doc: dict, spec: dict) -> tuple[dict, set]:
    found, key_schemes = {}, set()
    for name, scheme in _schemes(spec).items():
        config = scheme.get("x-amazon-apigateway-authorizer")
        if config is None:
            if scheme.get("type") == "apiKey":
                key_schemes.add(name)
            continue
        authorizer = next((a for a in doc["authorizers"].values() if a["name"] == name), None)
        if authorizer is None:
            authorizer = {"id": new_id(6), "name": name}
            doc["authorizers"][authorizer["id"]] = authorizer
        kind = str(config.get("type", "token")).upper()
        if kind == "COGNITO_USER_POOLS":
            authorizer["providerARNs"] = config.get("providerARNs") or []
        authorizer.update({"type": kind, "authType": scheme.get("x-amazon-apigateway-authtype", "custom"),
                           "authorizerResultTtlInSeconds": int(config.get("authorizerResultTtlInSeconds", 300))})
        for key in ("authorizerUri", "authorizerCredentials", "identityValidationExpression"):
            if config.get(key):
                authorizer[key] = config[key]
        source = config.get("identitySource") or (f"method.request.header.{scheme['name']}" if scheme.get("name")
                                                   and kind == "TOKEN" else None)
        if source:
            authorizer["identitySource"] = source
        found[name] = authorizer
    return found, key_schemes


def _resource_for(doc: dict, path: str) -> dict:
    resource = doc["resources"][doc["api"]["rootResourceId"]]
    for part in [p for p in path.split("/") if p]:
        child = next((r for r in doc["resources"].values()
                      if r.get("parentId") == resource["id"] and r["pathPart"] == part), None)
        if child is None:
            rid = new_id()
            child = doc["resources"][rid] = {"id": rid, "parentId": resource["id"], "pathPart": part,
                                             "path": resource["path"].rstrip("/") + "/" + part}
        resource = child
    return resource


def _method(operation: dict, shared: list, global_security, authorizers: dict, key_schemes: set) -> dict:
    method = {"authorizationType": "NONE", "apiKeyRequired": False}
    if operation.get("operationId"):
        method["operationName"] = operation["operationId"]
    parameters = {}
    for parameter in [*shared, *(operation.get("parameters") or [])]:
        where = {"path": "path", "query": "querystring", "header": "header"}.get(parameter.get("in"))
        if where and parameter.get("name"):
            parameters[f"method.request.{where}.{parameter['name']}"] = bool(parameter.get("required"))
    if parameters:
        method["requestParameters"] = parameters
    for requirement in operation.get("security", global_security) or []:
        for name in requirement:
            if name in authorizers:
                authorizer = authorizers[name]
                method["authorizationType"] = "COGNITO_USER_POOLS" if authorizer["type"] == "COGNITO_USER_POOLS" \
                    else "CUSTOM"
                method["authorizerId"] = authorizer["id"]
            elif name in key_schemes:
                method["apiKeyRequired"] = True
    responses = {}
    for status, response in (operation.get("responses") or {}).items():
        if not str(status).isdigit():
            continue
        headers = (response or {}).get("headers") or {}
        responses[str(status)] = {"statusCode": str(status)}
        if headers:
            responses[str(status)]["responseParameters"] = {f"method.response.header.{h}": False for h in headers}
    if responses:
        method["methodResponses"] = responses
    return method


def _integration(config: dict, resource_id: str) -> dict:
    kind = str(config.get("type", "")).upper()
    if kind not in ("HTTP", "HTTP_PROXY", "AWS", "AWS_PROXY", "MOCK"):
        raise bad_request(f"Invalid OpenAPI input: unsupported integration type '{config.get('type')}'")
    integration = {"type": kind, "passthroughBehavior": str(config.get("passthroughBehavior", "when_no_match")).upper(),
                   "timeoutInMillis": int(config.get("timeoutInMillis", 29000)), "cacheNamespace": resource_id,
                   "cacheKeyParameters": config.get("cacheKeyParameters") or []}
    if config.get("httpMethod"):
        integration["httpMethod"] = str(config["httpMethod"]).upper()
    for key in ("uri", "credentials", "requestParameters", "requestTemplates", "contentHandling", "connectionType",
                "connectionId"):
        if config.get(key) is not None:
            integration[key] = config[key]
    if kind != "MOCK":
        integration.setdefault("connectionType", "INTERNET")
    responses = {}
    for pattern, response in (config.get("responses") or {}).items():
        status = str((response or {}).get("statusCode", "200"))
        entry = {"statusCode": status}
        if pattern != "default":
            entry["selectionPattern"] = pattern
        for key in ("responseParameters", "responseTemplates", "contentHandling"):
            if (response or {}).get(key) is not None:
                entry[key] = response[key]
        responses[status] = entry
    if responses:
        integration["integrationResponses"] = responses
    return integration
