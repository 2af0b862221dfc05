"""Invoke: RequestResponse (run now, answer with the function's result), Event (queued, see
async_invoke.py) and DryRun (permission check only)."""

from __future__ import annotations

import base64
import json
import uuid

from ...protocol.errors import ServiceError
from .functions import load_alias, load_config, load_latest, pick_version
from .names import function_arn, invalid, resolve
from .workers import FunctionSpec, Invocation, Outcome

MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_ASYNC_PAYLOAD = 256 * 1024
TAIL_BYTES = 4096


def too_many_requests() -> ServiceError:
    return ServiceError("TooManyRequestsException", "Rate Exceeded.", 429, Type="User",
                        Reason="ReservedFunctionConcurrentInvocationLimitExceeded")


def select(ns, name: str, qualifier: str | None) -> tuple[dict, dict, str]:
    """($LATEST config, config of the version this invocation runs, ARN it was invoked as)."""
    latest = load_latest(ns, name)
    invoked = function_arn(ns.region, ns.account, name, qualifier)
    if qualifier in (None, "$LATEST"):
        return latest, latest, invoked
    if not qualifier.isdigit():
        alias = load_alias(ns, name, qualifier)
        return latest, load_config(ns, name, pick_version(alias)), invoked
    return latest, load_config(ns, name, qualifier), invoked


def check_payload(payload: bytes, limit: int) -> None:
    if len(payload) > limit:
        raise ServiceError("RequestTooLargeException",
                           f"Request must be smaller than {limit} bytes for the InvokeFunction operation", 413,
                           Type="User")
    if payload:
        try:
            json.loads(payload)
        except ValueError as exc:
            raise ServiceError("InvalidRequestContentException",
                               f"Could not parse request body into json: Could not parse payload into json: {exc}",
                               400, Type="User") from None


def decode_client_context(value: str | None) -> str | None:
    if not value:
        return None
    try:
        text = base64.b64decode(value, validate=True).decode()
        json.loads(text)
    except ValueError:
        raise invalid("Client context must be a valid Base64-encoded JSON object.") from None
    return text


async def invoke(provider, ctx, params: dict) -> dict:
    ns, name, qualifier = resolve(ctx, params["FunctionName"], params.get("Qualifier"))
    kind = params.get("InvocationType") or "RequestResponse"
    payload = params.get("Payload") or b""
    if isinstance(payload, str):
        payload = payload.encode()
    latest, config, invoked_arn = select(ns, name, qualifier)
    check_payload(payload, MAX_ASYNC_PAYLOAD if kind == "Event" else MAX_SYNC_PAYLOAD)
    if kind == "DryRun":
        return {"StatusCode": 204}
    if kind == "Event":
        provider.events.enqueue(ns, name, qualifier, payload)
        return {"StatusCode": 202}
    if kind != "RequestResponse":
        raise invalid(f"Unsupported invocation type: {kind}")
    client_context = decode_client_context(params.get("ClientContext"))
    outcome = await run(provider, ns, latest, config, payload, invoked_arn, client_context)
    result = {"StatusCode": 200, "Payload": outcome.payload, "ExecutedVersion": config["Version"]}
    if outcome.kind == "error":
        result["FunctionError"] = "Unhandled"
    if params.get("LogType") == "Tail":
        result["LogResult"] = base64.b64encode(outcome.log.encode()[-TAIL_BYTES:]).decode()
    return result


async def run(provider, ns, latest: dict, config: dict, payload: bytes, invoked_arn: str,
              client_context: str | None = None, identity: str | None = None) -> Outcome:
    """Run one invocation of a function version now; ships its log. Every way of invoking
    (Invoke, async events, event source mappings, function URLs, API Gateway) comes here."""
    spec = FunctionSpec(ns.account, ns.region, config)
    reserved = latest.get("_reserved")
    if reserved is not None and provider.workers.busy(spec.function_key) >= reserved:
        raise too_many_requests()
    inv = Invocation(str(uuid.uuid4()), payload, invoked_arn, client_context, identity)
    outcome = await provider.workers.invoke(spec, inv)
    provider.logs.ship(ns.account, ns.region, spec.log_group, outcome.env_stream, outcome.log,
                       int(provider.runtime.clock.time() * 1000))
    return outcome


async def invoke_with_response_stream(provider, ctx, params: dict) -> dict:
    """The function runs to completion (functions here return their whole answer), then the
    answer goes out as AWS's event stream: one PayloadChunk and an InvokeComplete."""
    result = await invoke(provider, ctx, {**params, "InvocationType": params.get("InvocationType") or "RequestResponse"})
    if result["StatusCode"] != 200:
        return result
    complete: dict = {}
    if result.get("FunctionError"):
        try:
            document = json.loads(result["Payload"])
            complete = {"ErrorCode": document.get("errorType", "Unhandled"), "ErrorDetails": document.get("errorMessage", "")}
        except (ValueError, AttributeError):
            complete = {"ErrorCode": "Unhandled", "ErrorDetails": ""}
    if result.get("LogResult"):
        complete["LogResult"] = result["LogResult"]
    events = [{"PayloadChunk": {"Payload": result["Payload"]}}] if result["Payload"] else []
    events.append({"InvokeComplete": complete})
    return {"StatusCode": 200, "ExecutedVersion": result["ExecutedVersion"],
            "ResponseStreamContentType": "application/vnd.amazon.eventstream", "EventStream": events}
