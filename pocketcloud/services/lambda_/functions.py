"""Functions, versions and aliases: the control plane.

Stored in the "lambda" namespace: kind "function" (the $LATEST configuration, with internal
fields prefixed "_": code hash, resolved layers, reserved concurrency, tags, next version
number), "version" ("<name>:<number, zero-padded>" -> frozen configuration), "alias"
("<name>:<alias>").
"""

from __future__ import annotations

import json
import random
import uuid

from ...protocol.errors import ServiceError
from .names import ALIAS_NAME, conflict, function_arn, invalid, not_found, public, resolve, validation

RESERVED_VARIABLES = frozenset((
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
))
MAX_VARIABLES_BYTES = 4096
VERSION_KEY = "{}:{:010d}"


def timestamp(ctx) -> str:
    now = ctx.now
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"


def version_key(name: str, number: int) -> str:
    return VERSION_KEY.format(name, number)


# -- reading --------------------------------------------------------------------------------
def load_latest(ns, name: str) -> dict:
    record = ns.get("function", name)
    if record is None:
        raise not_found(f"Function not found: {function_arn(ns.region, ns.account, name)}")
    return record


def load_config(ns, name: str, qualifier: str | None) -> dict:
    """The configuration a qualifier names: $LATEST, a version number, or an alias's target
    version (its primary one; weighted routing is the invoker's business)."""
    latest = load_latest(ns, name)
    if qualifier in (None, "$LATEST"):
        return latest
    if qualifier.isdigit():
        record = ns.get("version", version_key(name, int(qualifier)))
    else:
        alias = ns.get("alias", f"{name}:{qualifier}")
        record = None
        if alias is not None:
            return load_config(ns, name, alias["FunctionVersion"])
    if record is None:
        raise not_found(f"Function not found: {function_arn(ns.region, ns.account, name, qualifier)}")
    return record


def load_alias(ns, name: str, alias: str) -> dict:
    record = ns.get("alias", f"{name}:{alias}")
    if record is None:
        raise not_found(f"Cannot find alias arn: {function_arn(ns.region, ns.account, name, alias)}")
    return record


def pick_version(alias: dict) -> str:
    """The version one invocation through an alias runs: weighted routing as AWS does it."""
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    if weights:
        roll = random.random()
        for version, weight in weights.items():
            if roll < weight:
                return version
            roll -= weight
    return alias["FunctionVersion"]


# -- validation -----------------------------------------------------------------------------
def check_runtime(runtime: str | None, package_type: str) -> None:
    if package_type == "Image":
        raise invalid("pocketcloud runs zip packages only: container images need Docker.")
    if not runtime:
        raise invalid("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
    from ...protocol import specs

    allowed = specs.service_model("lambda").shape_for("Runtime").enum
    if runtime not in allowed:
        raise validation(runtime, "runtime", f"Member must satisfy enum value set: [{', '.join(allowed)}]")


def check_variables(environment: dict | None) -> None:
    variables = (environment or {}).get("Variables") or {}
    reserved = sorted(k for k in variables if k in RESERVED_VARIABLES)
    if reserved:
        raise invalid("Lambda was unable to configure your environment variables because the environment variables "
                      "you have provided contains reserved keys that are currently not supported for modification. "
                      f"Reserved keys used in this request: {', '.join(reserved)}")
    measured = json.dumps(variables, separators=(",", ":"))
    if len(measured.encode()) > MAX_VARIABLES_BYTES:
        raise invalid("Lambda was unable to configure your environment variables because the environment variables "
                      f"you have provided exceeded the 4KB limit. String measured: {measured}")


def resolve_layers(ctx, arns: list[str] | None) -> list[dict]:
    from .layers import layer_by_arn

    if arns and len(arns) > 5:
        raise invalid("Cannot reference more than 5 layers.")
    return [layer_by_arn(ctx, arn) for arn in arns or ()]


async def code_from(ctx, provider, code: dict) -> dict:
    """Store a function's code from ZipFile or S3Bucket/S3Key; {"sha", "CodeSha256", "CodeSize"}."""
    if code.get("ImageUri"):
        raise invalid("pocketcloud runs zip packages only: container images need Docker.")
    data = code.get("ZipFile")
    if data is None:
        data = await s3_object(ctx, code.get("S3Bucket"), code.get("S3Key"), code.get("S3ObjectVersion"))
    import asyncio

    return await asyncio.to_thread(provider.code.save_zip, data)


async def s3_object(ctx, bucket: str | None, key: str | None, version: str | None) -> bytes:
    if not bucket or not key:
        raise invalid("Please provide a source for function code.")
    params = {"Bucket": bucket, "Key": key}
    if version:
        params["VersionId"] = version
    try:
        result = await ctx.runtime.providers.call("s3", "GetObject", params, ctx.account, ctx.region)
    except LookupError:
        raise invalid("Error occurred while GetObject. S3 is not available on this pocketcloud.") from None
    except ServiceError as exc:
        raise invalid(f"Error occurred while GetObject. S3 Error Code: {exc.code}. S3 Error Message: {exc.message}") \
            from None
    return await read_body(result.get("Body"))


async def read_body(body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        if hasattr(data, "__await__"):
            data = await data
        if hasattr(body, "close"):
            body.close()
        return bytes(data)
    parts = []
    if hasattr(body, "__aiter__"):
        async for chunk in body:
            parts.append(bytes(chunk))
    else:
        for chunk in body:
            parts.append(bytes(chunk))
    return b"".join(parts)


# -- operations -----------------------------------------------------------------------------
async def create_function(provider, ctx, params: dict) -> dict:
    ns, name, qualifier = resolve(ctx, params["FunctionName"])
    if qualifier or ns.account != ctx.account:
        raise validation(params["FunctionName"], "functionName", "Member must satisfy regular expression pattern")
    package_type = params.get("PackageType", "Zip")
    check_runtime(params.get("Runtime"), package_type)
    if not params.get("Handler") and not params["Runtime"].startswith("provided"):
        raise invalid("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
    check_variables(params.get("Environment"))
    layers = resolve_layers(ctx, params.get("Layers"))
    if ns.get("function", name) is not None:
        raise conflict(f"Function already exist: {name}")
    code = await code_from(ctx, provider, params["Code"])
    arn = function_arn(ns.region, ns.account, name)
    config = {
        "FunctionName": name,
        "FunctionArn": arn,
        "Runtime": params["Runtime"],
        "Role": params["Role"],
        "Handler": params.get("Handler", ""),
        "CodeSize": code["CodeSize"],
        "Description": params.get("Description", ""),
        "Timeout": params.get("Timeout", 3),
        "MemorySize": params.get("MemorySize", 128),
        "LastModified": timestamp(ctx),
        "CodeSha256": code["CodeSha256"],
        "Version": "$LATEST",
        "TracingConfig": params.get("TracingConfig") or {"Mode": "PassThrough"},
        "RevisionId": str(uuid.uuid4()),
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": package_type,
        "Architectures": params.get("Architectures") or ["x86_64"],
        "EphemeralStorage": params.get("EphemeralStorage") or {"Size": 512},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}",
                          **(params.get("LoggingConfig") or {})},
        "_code": code["sha"],
        "_layers": layers,
        "_tags": params.get("Tags") or {},
        "_next_version": 1,
    }
    if params.get("Environment"):
        config["Environment"] = {"Variables": (params["Environment"].get("Variables") or {})}
    if params.get("DeadLetterConfig"):
        config["DeadLetterConfig"] = params["DeadLetterConfig"]
    if params.get("VpcConfig"):
        config["VpcConfig"] = {**params["VpcConfig"], "VpcId": ""}
    if layers:
        config["Layers"] = [{"Arn": layer["Arn"], "CodeSize": layer["CodeSize"]} for layer in layers]
    with ctx.runtime.store.transaction():
        if ns.get("function", name) is not None:
            raise conflict(f"Function already exist: {name}")
        ns.put("function", name, config)
    out = public(config)
    if params.get("Publish"):
        out = publish(ctx, ns, name, {})
        out = {**out}
    # AWS answers while the function is still being created; it is Active right after.
    out.update(State="Pending", StateReason="The function is being created.", StateReasonCode="Creating")
    return out


def get_function(provider, ctx, params: dict) -> dict:
    ns, name, qualifier = resolve(ctx, params["FunctionName"], params.get("Qualifier"))
    config = load_config(ns, name, qualifier)
    latest = load_latest(ns, name) if qualifier not in (None, "$LATEST") else config
    location = f"{provider.public_endpoint(ctx)}/_aws/lambda-code/{config['_code']}.zip"
    out = {"Configuration": public(config), "Code": {"RepositoryType": "S3", "Location": location}}
    if latest.get("_tags"):
        out["Tags"] = latest["_tags"]
    if latest.get("_reserved") is not None:
        out["Concurrency"] = {"ReservedConcurrentExecutions": latest["_reserved"]}
    return out


def get_function_configuration(ctx, params: dict) -> dict:
    ns, name, qualifier = resolve(ctx, params["FunctionName"], params.get("Qualifier"))
    return public(load_config(ns, name, qualifier))


def list_functions(ctx, params: dict) -> dict:
    ns = ctx.namespace("lambda")
    configs = [public(record) for _, record in ns.list("function")]
    if params.get("FunctionVersion") == "ALL":
        configs += [public(record) for _, record in ns.list("version")]
        configs.sort(key=lambda c: (c["FunctionName"], c["Version"] != "$LATEST", c["Version"].zfill(10)))
    return paginate(configs, params, "Functions")


def paginate(items: list, params: dict, key: str) -> dict:
    start = int(params["Marker"]) if str(params.get("Marker") or "").isdigit() else 0
    size = params.get("MaxItems") or 50
    out = {key: items[start:start + size]}
    if start + size < len(items):
        out["NextMarker"] = str(start + size)
    return out


def delete_function(provider, ctx, params: dict) -> dict:
    ns, name, qualifier = resolve(ctx, params["FunctionName"], params.get("Qualifier"))
    load_latest(ns, name)
    if qualifier and qualifier != "$LATEST":
        if not qualifier.isdigit() or not ns.delete("version", version_key(name, int(qualifier))):
            raise not_found(f"Function not found: {function_arn(ns.region, ns.account, name, qualifier)}")
        return {"__status__": 204}
    if qualifier == "$LATEST":
        raise invalid("$LATEST version cannot be deleted without deleting the function.")
    provider.forget_function(ns, name)
    with ctx.runtime.store.transaction():
        for kind in ("version", "alias", "policy", "eic", "url"):
            for key, _ in ns.list(kind, f"{name}:"):
                ns.delete(kind, key)
        ns.delete("function", name)
    provider.workers.retire(ns.account, ns.region, name)
    return {"__status__": 204}


def _check_revision(config: dict, params: dict) -> None:
    if params.get("RevisionId") and params["RevisionId"] != config.get("RevisionId"):
        raise ServiceError("PreconditionFailedException",
                           "The Revision Id provided does not match the latest Revision Id. "
                           "Call the GetFunction/GetAlias API to retrieve the latest Revision Id", 412, Type="User")


async def update_function_code(provider, ctx, params: dict) -> dict:
    ns, name, _ = resolve(ctx, params["FunctionName"])
    config = load_latest(ns, name)
    _check_revision(config, params)
    code = await code_from(ctx, provider, params)
    if params.get("DryRun"):
        return public({**config, "CodeSha256": code["CodeSha256"], "CodeSize": code["CodeSize"]})
    with ctx.runtime.store.transaction():
        config = load_latest(ns, name)
        config.update(_code=code["sha"], CodeSha256=code["CodeSha256"], CodeSize=code["CodeSize"],
                      LastModified=timestamp(ctx), RevisionId=str(uuid.uuid4()), LastUpdateStatus="Successful")
        if params.get("Architectures"):
            config["Architectures"] = params["Architectures"]
        ns.put("function", name, config)
    provider.workers.retire(ns.account, ns.region, name)
    out = publish(ctx, ns, name, {}) if params.get("Publish") else public(config)
    return {**out, "LastUpdateStatus": "InProgress", "LastUpdateStatusReason": "The function is being created.",
            "LastUpdateStatusReasonCode": "Creating"}


def update_function_configuration(provider, ctx, params: dict) -> dict:
    ns, name, _ = resolve(ctx, params["FunctionName"])
    if params.get("Runtime"):
        check_runtime(params["Runtime"], "Zip")
    if "Environment" in params:
        check_variables(params["Environment"])
    layers = resolve_layers(ctx, params["Layers"]) if "Layers" in params else None
    with ctx.runtime.store.transaction():
        config = load_latest(ns, name)
        _check_revision(config, params)
        for key in ("Role", "Handler", "Description", "Timeout", "MemorySize", "Runtime", "TracingConfig",
                    "DeadLetterConfig", "EphemeralStorage"):
            if key in params:
                config[key] = params[key]
        if "Environment" in params:
            config["Environment"] = {"Variables": params["Environment"].get("Variables") or {}}
        if "LoggingConfig" in params:
            config["LoggingConfig"] = {**config.get("LoggingConfig", {}), **params["LoggingConfig"]}
        if layers is not None:
            config["_layers"] = layers
            config["Layers"] = [{"Arn": layer["Arn"], "CodeSize": layer["CodeSize"]} for layer in layers]
            if not layers:
                config.pop("Layers")
        config.update(LastModified=timestamp(ctx), RevisionId=str(uuid.uuid4()), LastUpdateStatus="Successful")
        ns.put("function", name, config)
    provider.workers.retire(ns.account, ns.region, name)
    return {**public(config), "LastUpdateStatus": "InProgress"}


def publish(ctx, ns, name: str, params: dict) -> dict:
    with ctx.runtime.store.transaction():
        latest = load_latest(ns, name)
        if params.get("CodeSha256") and params["CodeSha256"] != latest["CodeSha256"]:
            raise invalid(f"CodeSHA256 ({params['CodeSha256']}) is different from current CodeSHA256 in $LATEST "
                          f"({latest['CodeSha256']}). Please try again with the CodeSHA256 in $LATEST.")
        _check_revision(latest, params)
        previous = ns.list("version", f"{name}:")
        if previous:
            last = previous[-1][1]
            if last["CodeSha256"] == latest["CodeSha256"] and last.get("_source_revision") == latest["RevisionId"]:
                return public(last)  # nothing changed since: AWS returns the existing version
        number = latest.get("_next_version", 1)
        version = {k: v for k, v in latest.items() if k not in ("_tags", "_reserved", "_next_version")}
        version.update(Version=str(number), FunctionArn=function_arn(ns.region, ns.account, name, str(number)),
                       RevisionId=str(uuid.uuid4()), _source_revision=latest["RevisionId"])
        if params.get("Description") is not None:
            version["Description"] = params["Description"]
        latest["_next_version"] = number + 1
        ns.put("function", name, latest)
        ns.put("version", version_key(name, number), version)
    return public(version)


def publish_version(ctx, params: dict) -> dict:
    ns, name, _ = resolve(ctx, params["FunctionName"])
    return {**publish(ctx, ns, name, params), "__status__": 201}


def list_versions_by_function(ctx, params: dict) -> dict:
    ns, name, _ = resolve(ctx, params["FunctionName"])
    latest = load_latest(ns, name)
    versions = [public(latest)] + [public(v) for _, v in ns.list("version", f"{name}:")]
    return paginate(versions, params, "Versions")


# -- aliases ---------------------------------------------------------------------------------
def _check_alias_target(ns, name: str, version: str, routing: dict | None) -> None:
    for target in [version, *((routing or {}).get("AdditionalVersionWeights") or {})]:
        if target != "$LATEST" and (not target.isdigit() or ns.get("version", version_key(name, int(target))) is None):
            raise not_found(f"Function not found: {function_arn(ns.region, ns.account, name, target)}")
    weights = (routing or {}).get("AdditionalVersionWeights") or {}
    if version in weights:
        raise invalid("Invalid function version for routing config: the primary version cannot have an additional weight")
    if any(not (0.0 <= w <= 1.0) for w in weights.values()) or sum(weights.values()) > 1.0:
        raise invalid("The sum of the additional version weights must not exceed 1.0")


def create_alias(ctx, params: dict) -> dict:
    ns, name, _ = resolve(ctx, params["FunctionName"])
    alias = params["Name"]
    if not ALIAS_NAME.match(alias) or alias == "$LATEST":
        raise validation(alias, "name", "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)")
    load_latest(ns, name)
    _check_alias_target(ns, name, params["FunctionVersion"], params.get("RoutingConfig"))
    record = {"AliasArn": function_arn(ns.region, ns.account, name, alias), "Name": alias,
              "FunctionVersion": params["FunctionVersion"], "Description": params.get("Description", ""),
              "RevisionId": str(uuid.uuid4())}
    if params.get("RoutingConfig"):
        record["RoutingConfig"] = params["RoutingConfig"]
    with ctx.runtime.store.transaction():
        if ns.get("alias", f"{name}:{alias}") is not None:
            raise conflict(f"Alias already exists: {record['AliasArn']}")
        ns.put("alias", f"{name}:{alias}", record)
    return {**record, "__status__": 201}


def get_alias(ctx, params: dict) -> dict:
    ns, name, _ = resolve(ctx, params["FunctionName"])
    load_latest(ns, name)
    return load_alias(ns, name, params["Name"])


def update_alias(ctx, params: dict) -> dict:
    ns, name, _ = resolve(ctx, params["FunctionName"])
    with ctx.runtime.store.transaction():
        record = load_alias(ns, name, params["Name"])
        _check_revision(record, params)
        version = params.get("FunctionVersion", record["FunctionVersion"])
        routing = params["RoutingConfig"] if "RoutingConfig" in params else record.get("RoutingConfig")
        _check_alias_target(ns, name, version, routing)
        record.update(FunctionVersion=version, RevisionId=str(uuid.uuid4()))
        if "Description" in params:
            record["Description"] = params["Description"]
        if routing:
            record["RoutingConfig"] = routing
        else:
            record.pop("RoutingConfig", None)
        ns.put("alias", f"{name}:{params['Name']}", record)
    return record


def delete_alias(ctx, params: dict) -> dict:
    ns, name, _ = resolve(ctx, params["FunctionName"])
    ns.delete("alias", f"{name}:{params['Name']}")
    return {"__status__": 204}


def list_aliases(ctx, params: dict) -> dict:
    ns, name, _ = resolve(ctx, params["FunctionName"])
    load_latest(ns, name)
    aliases = [a for _, a in ns.list("alias", f"{name}:")]
    if params.get("FunctionVersion"):
        aliases = [a for a in aliases if a["FunctionVersion"] == params["FunctionVersion"]]
    return paginate(aliases, params, "Aliases")


# -- concurrency and tags ------------------------------------------------------------------------
ACCOUNT_CONCURRENCY = 1000
UNRESERVED_MINIMUM = 100


def put_function_concurrency(ctx, params: dict) -> dict:
    ns, name, _ = resolve(ctx, params["FunctionName"])
    wanted = params["ReservedConcurrentExecutions"]
    with ctx.runtime.store.transaction():
        config = load_latest(ns, name)
        others = sum(c.get("_reserved") or 0 for n, c in ns.list("function") if n != name)
        if ACCOUNT_CONCURRENCY - others - wanted < UNRESERVED_MINIMUM:
            raise invalid(f"Specified ReservedConcurrentExecutions for function decreases account's "
                          f"UnreservedConcurrentExecution below its minimum value of [{UNRESERVED_MINIMUM}].")
        config["_reserved"] = wanted
        ns.put("function", name, config)
    return {"ReservedConcurrentExecutions": wanted}


def get_function_concurrency(ctx, params: dict) -> dict:
    ns, name, _ = resolve(ctx, params["FunctionName"])
    reserved = load_latest(ns, name).get("_reserved")
    return {} if reserved is None else {"ReservedConcurrentExecutions": reserved}


def delete_function_concurrency(ctx, params: dict) -> dict:
    ns, name, _ = resolve(ctx, params["FunctionName"])
    with ctx.runtime.store.transaction():
        config = load_latest(ns, name)
        config.pop("_reserved", None)
        ns.put("function", name, config)
    return {"__status__": 204}


def get_account_settings(ctx, params: dict) -> dict:
    ns = ctx.namespace("lambda")
    functions = ns.list("function")
    reserved = sum(c.get("_reserved") or 0 for _, c in functions)
    return {"AccountLimit": {"TotalCodeSize": 80530636800, "CodeSizeUnzipped": 262144000, "CodeSizeZipped": 52428800,
                             "ConcurrentExecutions": ACCOUNT_CONCURRENCY,
                             "UnreservedConcurrentExecutions": ACCOUNT_CONCURRENCY - reserved},
            "AccountUsage": {"TotalCodeSize": sum(c.get("CodeSize", 0) for _, c in functions),
                             "FunctionCount": len(functions)}}


def _tagged(ctx, arn: str):
    ns, name, _ = resolve(ctx, arn)
    return ns, name


def tag_resource(ctx, params: dict) -> dict:
    ns, name = _tagged(ctx, params["Resource"])
    with ctx.runtime.store.transaction():
        config = load_latest(ns, name)
        config["_tags"] = {**config.get("_tags", {}), **params["Tags"]}
        ns.put("function", name, config)
    return {"__status__": 204}


def untag_resource(ctx, params: dict) -> dict:
    ns, name = _tagged(ctx, params["Resource"])
    with ctx.runtime.store.transaction():
        config = load_latest(ns, name)
        config["_tags"] = {k: v for k, v in config.get("_tags", {}).items() if k not in params["TagKeys"]}
        ns.put("function", name, config)
    return {"__status__": 204}


def list_tags(ctx, params: dict) -> dict:
    ns, name = _tagged(ctx, params["Resource"])
    return {"Tags": load_latest(ns, name).get("_tags", {})}
