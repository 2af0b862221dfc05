"""Calling integrations: Lambda functions in-process, HTTP endpoints over the network."""

from __future__ import annotations

import asyncio
import re
import urllib.error
import urllib.request

from ....protocol.errors import ServiceError

# arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations
_LAMBDA_URI = re.compile(r"^arn:aws[\w-]*:apigateway:[\w-]+:lambda:path/[\d-]+/functions/(.+?)/invocations$")
_FUNCTION_ARN = re.compile(r"^arn:aws[\w-]*:lambda:([\w-]+):(\d{12}):function:.+$")
# Hop-by-hop headers are the connection's, not the message's: never forwarded.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "host", "content-length"}


class IntegrationFailure(Exception):
    """The integration could not be reached or answered nonsense (API Gateway answers 5xx)."""


class IntegrationTimeout(IntegrationFailure):
    """The integration did not answer within the integration's timeout."""


def _swallow(task: asyncio.Task) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so a late failure is not reported as never awaited


def function_arn(uri: str) -> str | None:
    """The Lambda function ARN an integration URI (or a bare function ARN) names."""
    match = _LAMBDA_URI.match(uri or "")
    if match:
        return match.group(1)
    return uri if _FUNCTION_ARN.match(uri or "") else None


async def invoke_lambda(runtime, arn: str, payload: bytes, account: str, region: str,
                        timeout_ms: int | None = None, source_arn: str | None = None) -> tuple[bytes, str | None]:
    """(response payload, FunctionError or None). Raises IntegrationFailure when the function
    cannot be invoked (missing, Lambda not available, or, with --enforce-iam, its resource
    policy does not let API Gateway invoke it for `source_arn`), IntegrationTimeout when it has
    not answered within timeout_ms (the invocation itself runs on to its end, as on AWS)."""
    match = _FUNCTION_ARN.match(arn)
    if match:
        region, account = match.group(1), match.group(2)
    if source_arn and runtime.settings.enforce_iam:
        await _check_permission(runtime, arn, account, region, source_arn)
    task = asyncio.ensure_future(runtime.providers.call("lambda", "Invoke", {
        "FunctionName": arn, "InvocationType": "RequestResponse", "Payload": payload}, account, region))
    if timeout_ms:
        done, _ = await asyncio.wait({task}, timeout=timeout_ms / 1000)
        if not done:
            task.add_done_callback(_swallow)
            raise IntegrationTimeout(f"{arn} did not answer within {timeout_ms} ms")
    try:
        result = await task
    except (LookupError, ServiceError) as exc:
        raise IntegrationFailure(str(exc)) from None
    body = result.get("Payload") or b""
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    return bytes(body), result.get("FunctionError")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # API Gateway hands a 3xx back as it is
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _fetch(method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float):
    request = urllib.request.Request(url, data=body if body or method not in ("GET", "HEAD") else None,
                                     method=method, headers=headers)
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, list(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, list(exc.headers.items()), exc.read()
    except TimeoutError:
        raise IntegrationTimeout(url) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise IntegrationTimeout(url) from None
        raise IntegrationFailure(str(exc)) from None
    except (OSError, ValueError) as exc:
        raise IntegrationFailure(str(exc)) from None


async def forward_http(method: str, url: str, headers: dict[str, str], body: bytes | None,
                       timeout_ms: int = 29000) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) from an HTTP endpoint; the blocking client runs off the loop."""
    clean = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
    return await asyncio.to_thread(_fetch, method, url, clean, body, max(timeout_ms, 50) / 1000)


async def _check_permission(runtime, arn: str, account: str, region: str, source_arn: str) -> None:
    """The function's resource policy must allow lambda:InvokeFunction to apigateway.amazonaws.com
    for this method (AddPermission with its SourceArn), as AWS checks before invoking."""
    from ....policy.context import base_context
    from ....policy.document import PolicyError, parse
    from ....policy.evaluate import Principal, Source, evaluate

    try:
        found = await runtime.providers.call("lambda", "GetPolicy", {"FunctionName": arn}, account, region)
        source = Source(parse(found["Policy"], "resource"), "resource", "resource")
    except LookupError:
        return  # no Lambda service: nothing to check against
    except (ServiceError, PolicyError, KeyError):
        raise IntegrationFailure("Invalid permissions on Lambda function") from None
    principal = Principal("service", None, None, service="apigateway.amazonaws.com")
    context = {**base_context(principal, runtime.clock.now(), region), "aws:sourcearn": source_arn,
               "aws:sourceaccount": source_arn.split(":")[4]}
    resource = arn if ":function:" in arn else f"arn:aws:lambda:{region}:{account}:function:{arn}"
    decision = evaluate(principal, "lambda:InvokeFunction", resource, context, resource_policy=source,
                        resource_account=account)
    if not decision.allowed:
        raise IntegrationFailure("Invalid permissions on Lambda function")
