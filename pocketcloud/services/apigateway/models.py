"""Models (JSON Schema draft 4 documents) and request validators of a REST API, and the checks
a validator makes when a method names it."""

from __future__ import annotations

import json

from .common import patch
from .common.index import new_id
from .state import bad_request, conflict, editing, load_api, not_found, page

# Every new REST API gets these two, as on AWS.
DEFAULT_MODELS = {
    "Empty": {"contentType": "application/json", "description": "This is a default empty schema model",
              "schema": json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "title": "Empty Schema",
                                    "type": "object"}, indent=2)},
    "Error": {"contentType": "application/json", "description": "This is a default error schema model",
              "schema": json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "title": "Error Schema",
                                    "type": "object", "properties": {"message": {"type": "string"}}}, indent=2)},
}


def default_models() -> dict:
    return {name: {"id": new_id(6), "name": name, **model} for name, model in DEFAULT_MODELS.items()}


def _check_schema(schema: str | None) -> None:
    if schema is None:
        return
    try:
        document = json.loads(schema)
    except ValueError:
        raise bad_request("Invalid model specified: Validation Result: warnings : [], errors : "
                          "[Invalid model schema specified]") from None
    from jsonschema import Draft4Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft4Validator.check_schema(document)
    except SchemaError as exc:
        raise bad_request(f"Invalid model specified: Validation Result: warnings : [], errors : [{exc.message}]") from None


def create_model(ctx, params: dict) -> dict:
    _check_schema(params.get("schema"))
    with editing(ctx, params["restApiId"]) as doc:
        models = doc.setdefault("models", {})
        if params["name"] in models:
            raise conflict("Model name already exists for this REST API")
        if not params["name"].isalnum():
            raise bad_request("Model name must be alphanumeric")
        model = {"id": new_id(6), "name": params["name"], "contentType": params["contentType"]}
        for key in ("description", "schema"):
            if params.get(key) is not None:
                model[key] = params[key]
        models[model["name"]] = model
    return {**model, "__status__": 201}


def _model(doc: dict, name: str) -> dict:
    model = doc.get("models", {}).get(name)
    if model is None:
        raise not_found("Invalid model name specified: " + name)
    return model


def get_model(ctx, params: dict) -> dict:
    return _model(load_api(ctx, params["restApiId"]), params["modelName"])


def get_models(ctx, params: dict) -> dict:
    return page(sorted(load_api(ctx, params["restApiId"]).get("models", {}).values(), key=lambda m: m["name"]), params)


def update_model(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        model = _model(doc, params["modelName"])
        patch.apply(model, params.get("patchOperations"), {"description", "schema"})
        _check_schema(model.get("schema"))
    return model


def delete_model(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        _model(doc, params["modelName"])
        for resource in doc["resources"].values():
            for method in (resource.get("resourceMethods") or {}).values():
                if params["modelName"] in (method.get("requestModels") or {}).values():
                    raise conflict(f"Cannot delete model '{params['modelName']}', is referenced in method request: "
                                   f"{resource['path']}/{method['httpMethod']}")
        del doc["models"][params["modelName"]]
    return {"__status__": 202}


# -- request validators ------------------------------------------------------------------------

def create_request_validator(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        validator = {"id": new_id(6), "name": params.get("name") or "",
                     "validateRequestBody": bool(params.get("validateRequestBody")),
                     "validateRequestParameters": bool(params.get("validateRequestParameters"))}
        doc.setdefault("requestValidators", {})[validator["id"]] = validator
    return {**validator, "__status__": 201}


def _validator(doc: dict, validator_id: str) -> dict:
    validator = doc.get("requestValidators", {}).get(validator_id)
    if validator is None:
        raise not_found("Invalid Request Validator identifier specified")
    return validator


def get_request_validator(ctx, params: dict) -> dict:
    return _validator(load_api(ctx, params["restApiId"]), params["requestValidatorId"])


def get_request_validators(ctx, params: dict) -> dict:
    return page(list(load_api(ctx, params["restApiId"]).get("requestValidators", {}).values()), params)


def update_request_validator(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        validator = _validator(doc, params["requestValidatorId"])
        patch.apply(validator, params.get("patchOperations"), {"name", "validateRequestBody", "validateRequestParameters"})
    return validator


def delete_request_validator(ctx, params: dict) -> dict:
    with editing(ctx, params["restApiId"]) as doc:
        _validator(doc, params["requestValidatorId"])
        del doc["requestValidators"][params["requestValidatorId"]]
    return {"__status__": 202}


# -- serving -----------------------------------------------------------------------------------

_validators_cache: dict[str, object] = {}


def missing_parameters(method: dict, headers: dict, query: dict, path_params: dict) -> list[str]:
    missing = []
    for name, required in (method.get("requestParameters") or {}).items():
        if not required:
            continue
        kind, _, key = name[len("method.request."):].partition(".")
        present = {"header": lambda: key.lower() in headers, "querystring": lambda: key in query,
                   "path": lambda: key in path_params}.get(kind, lambda: True)()
        if not present:
            missing.append(key)
    return missing


def body_errors(snapshot: dict, method: dict, content_type: str, body: bytes) -> bool:
    """True when the body does not satisfy the method's model for its content type."""
    model_name = (method.get("requestModels") or {}).get(content_type)
    model = (snapshot.get("models") or {}).get(model_name or "")
    if model is None or not model.get("schema"):
        return False
    validator = _validators_cache.get(model["schema"])
    if validator is None:
        from jsonschema import Draft4Validator

        if len(_validators_cache) > 500:
            _validators_cache.clear()
        validator = _validators_cache[model["schema"]] = Draft4Validator(json.loads(model["schema"]))
    try:
        document = json.loads(body or b"null")
    except ValueError:
        return True
    return not validator.is_valid(document)
