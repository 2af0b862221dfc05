"""The ASGI application: one endpoint for every service.

HTTP -> route (service, operation, protocol) -> auth (account, region, signatures) -> codec
parse -> provider -> codec serialize. Every failure becomes an AWS-shaped error in the
request's protocol; nothing escapes as a 500 traceback.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging

from ..core.accounts import DEFAULT_ACCOUNT, DEFAULT_REGION, resolve_access_key
from ..core.runtime import Runtime
from ..protocol import codec, specs
from ..protocol.errors import ServiceError, internal_error, not_implemented
from ..protocol.http import HttpRequest, HttpResponse
from ..services.base import RequestContext
from ..services.cloudtrail.recorder import recorder_for
from . import frontdoors
from . import sigv4
from .body import body_left_unread, read_body
from .ids import new_request_id
from .responses import generic_error, send_response
from .router import Route, Router

log = logging.getLogger("pocketcloud.gateway")

_TICK_SECONDS = 1.0
# AWS front ends refuse header sections past a few kilobytes (S3: 8 KiB of user metadata);
# 64 KiB leaves room for any real client while bounding what one request can make us hold.
MAX_HEADER_BYTES = 64 * 1024
# The admin API's paths (gateway/admin.py), and those other local clouds' CI scripts call.
ADMIN_PREFIXES = ("/_pocketcloud/", "/_localstack/", "/moto-api/")
# The caller of an unsigned request, where it may be unsigned: (account, principal ARN, region,
# access key), as Gateway.caller answers.
_ANONYMOUS = (DEFAULT_ACCOUNT, None, DEFAULT_REGION, None)


class Gateway:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.settings = runtime.settings
        self.providers = runtime.providers
        self.router = Router(self.settings.max_body_bytes)
        # IAM users' access keys and STS temporary credentials sign requests too.
        from ..services.iam.credentials import install as install_iam_keys

        install_iam_keys(runtime)
        self.recorder = recorder_for(runtime)
        # A server that does not answer CloudTrail (--services without it) records nothing.
        self.trail_on = self.settings.services is None or "cloudtrail" in self.settings.services
        self._tick_task: asyncio.Task | None = None
        self._authorize = None  # policy.enforcement.authorize, once a request needs it
        self._endpoints: dict[Route, Endpoint] = {}  # one Route per operation and protocol (router.route_to)
        self.service_report: dict | None = None  # health's per-service counts (gateway/admin.py)

    # -- ASGI entry (__call__ = handle_http, below) ---------------------------------------------

    async def _lifespan(self, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._tick_task = asyncio.get_running_loop().create_task(self._tick())
                self.providers.start_background()
                # What start-up built (models, providers, tables) lives as long as the server:
                # out of the collector's sight, full collections stop walking it again and again.
                gc.freeze()
                # A request allocates a few hundred objects, nearly all freed by reference
                # counting: at the default threshold (700) the youngest generation was collected
                # every other request (~2% of a small request's instructions), for cycles that
                # are rare here. Ten thousand keeps them collected within a few dozen requests.
                gc.set_threshold(10_000, 10, 10)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._tick_task:
                    self._tick_task.cancel()
                self.recorder.flush()  # CloudTrail events still queued
                self.runtime.events.publish("pocketcloud.shutdown", {})  # state kept in memory, to write
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _tick(self):
        """Run the scheduler's due work as real time passes."""
        while True:
            await asyncio.sleep(_TICK_SECONDS)
            try:
                self.runtime.scheduler.run_due()
            except Exception:  # pragma: no cover - tasks log their own failures
                log.exception("scheduler tick failed")

    async def handle_http(self, scope, receive, send):
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self._lifespan(receive, send)
            return
        raw = scope.get("raw_path")
        path = raw.decode("latin-1") if raw else scope["path"]
        if "?" in path:  # some servers leave the query on raw_path
            path = path.split("?", 1)[0]
        headers: dict[str, str] = {}
        header_bytes = 0
        for k, v in scope["headers"]:
            name = k.decode("latin-1")  # ASGI servers hand header names over in lower case
            value = v.decode("latin-1")
            header_bytes += len(name) + len(value)
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        request = HttpRequest(scope["method"], path, scope["query_string"].decode("latin-1"), headers)
        if scope.get("client"):
            request.client = scope["client"][0]

        if path.startswith(ADMIN_PREFIXES):
            from . import admin  # loaded on the first admin call, not at every cold start

            response = await admin.handle(self, request, receive)
            await send_response(send, response, scope["method"])
            return
        door = frontdoors.find(request, self.settings.services)
        if door is not None:
            # Not an AWS API call: a website, an invoke URL, a runtime API... served by its service.
            response = await door(self, request, receive)
            await send_response(send, response, scope["method"])
            return

        request_id = new_request_id()
        route: Route | None = None
        endpoint: Endpoint | None = None
        failure: ServiceError | None = None
        try:
            if header_bytes > MAX_HEADER_BYTES:
                raise self.router.early_error(ServiceError(
                    "RequestHeaderSectionTooLarge",
                    f"Your request header section exceeds the maximum allowed size ({MAX_HEADER_BYTES} bytes)."),
                    request)
            route = self.router.find(request)
            if route is None:  # a query-protocol call may name its operation in its body
                route = await self.router.route_by_body(request, receive)
            await read_body(request, receive, self.router.max_body_bytes, route)
            # The operation's call, written out here rather than in a coroutine of its own (one
            # per request less): its caller, input, provider method and answer.
            endpoint = self._endpoints.get(route) or self._endpoint(route)
            if request.credentials is None and not self.settings.enforce_signatures:
                account, principal, region, access_key = _ANONYMOUS
            else:
                account, principal, region, access_key = self.caller(route, endpoint, request)
            params = endpoint.parse(request)
            if not endpoint.valid(params):
                codec.validate_input(endpoint.operation_model, route.protocol, params)  # words the violations
            handler = endpoint.handler
            if handler is None:
                raise not_implemented(endpoint.service_model.metadata.get("serviceId", route.service), route.operation)
            ctx = RequestContext(self.runtime, route.service, route.operation, route.protocol, account, region,
                                 access_key, principal, request, request_id)
            request.audit = [ctx, params, None]
            if self.settings.enforce_iam or (access_key is not None and access_key.startswith("ASIA")):
                await self.authorize(ctx, params, request.credentials)
            result = (await handler(ctx, params)) if endpoint.is_async else handler(ctx, params)
            request.audit[2] = result
            response = endpoint.serialize(result or {}, request_id)
        except ServiceError as error:
            # Its traceback holds this frame, which holds it: dropped, so that the error and
            # everything the frames held are freed by reference counting (see request.audit).
            failure = error.with_traceback(None)
            response = self.error_response(route, error, request_id)
        except Exception as exc:  # a bug of ours: still answer like AWS would
            log.exception("internal error on %s %s", scope["method"], path)
            failure = internal_error(type(exc).__name__)
            response = self.error_response(route, failure, request_id)
        if route is not None and self.trail_on:
            if endpoint is None:  # refused before its endpoint was looked up (its body, say)
                endpoint = self._endpoints.get(route)
            # A data event (S3 object calls...) is recorded only while a trail selects data events.
            if endpoint is None or not endpoint.data_event or self.recorder.data_events_wanted:
                self.record_trail(route, request, request_id, failure)
        # The audit entry holds the context, which holds the request: a cycle, which reference
        # counting cannot free. Left to the collector, every request's body, headers and params
        # stayed allocated until the next collection: megabytes of garbage between collections,
        # and the cache misses of never reusing warm memory (~8% of a 1 KiB PUT's CPU).
        request.audit = None
        if "expect" in headers and body_left_unread(request):
            # The client waits for "100 Continue" before sending the body, and we answered
            # without asking for it: the connection cannot carry another request.
            response.headers.append((b"connection", b"close") if response.wire else ("Connection", "close"))
        body = response.body
        if response.wire and type(body) is bytes:  # most answers: sent here, headers as they are
            await send({"type": "http.response.start", "status": response.status, "headers": response.headers})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
            return
        # With the request body read, `receive` can only tell of the client going away: a long
        # response stream (Live Tail) watches it so that it ends with its client.
        await send_response(send, response, scope["method"], None if body_left_unread(request) else receive)

    # The ASGI entry is handle_http itself (lifespan included): no coroutine around it per request.
    __call__ = handle_http

    # -- auth + provider --------------------------------------------------------------------------
    def caller(self, route: Route, endpoint: "Endpoint", request: HttpRequest) -> tuple:
        """(account, principal ARN, region, access key) of a signed request, its signature
        checked as the settings ask; of an anonymous one where it may be anonymous."""
        creds = request.credentials
        if creds is None:  # anonymous: the default account's, unless signatures are enforced
            if self.settings.enforce_signatures and not _allows_anonymous(route, endpoint.operation_model):
                raise _missing_token(route.protocol)
            return _ANONYMOUS
        access_key = creds.access_key
        account, secret, principal = resolve_access_key(access_key)
        now = _signature_now(self.runtime.clock, creds)
        if creds.presigned:
            sigv4.check_presigned_expiry(creds, now, route.service)
        # A presigned URL is a capability handed to others: when its key's secret is known,
        # a tampered one is refused even without --enforce-signatures.
        if self.settings.enforce_signatures or (creds.presigned and secret is not None):
            self.verify_signature(route, request, creds, secret, now)
        return account, principal, creds.region or DEFAULT_REGION, access_key

    def _endpoint(self, route: Route) -> "Endpoint":
        """What a call of one operation needs, looked up once: its models, the codec's parser,
        input check and serializer for its protocol, and its provider method."""
        service_model = specs.model_for(route.service, route.protocol)
        operation_model = service_model.operation_model(route.operation)
        enabled = self.settings.services
        handler, is_async = self.providers.handler(route.service, route.operation) \
            if enabled is None or route.service in enabled else (None, False)
        endpoint = Endpoint(service_model, operation_model, codec.operation_parser(operation_model, route.protocol),
                            codec.input_check(operation_model, route.protocol),
                            codec.operation_serializer(operation_model, route.protocol),
                            handler, is_async, self.recorder.is_data_event(route.service, route.operation))
        self._endpoints[route] = endpoint
        return endpoint

    def record_trail(self, route: Route, request: HttpRequest, request_id: str, failure: ServiceError | None) -> None:
        """Hand the call to CloudTrail's recorder (it queues; the record is built later)."""
        if request.audit is not None:
            ctx, params, result = request.audit
            account, region, principal, access_key = ctx.account, ctx.region, ctx.principal_arn, ctx.access_key
        else:  # refused before the operation ran (signature, parsing...)
            creds = request.credentials
            access_key = creds.access_key if creds else None
            account, _, principal = resolve_access_key(access_key)
            region = (creds.region if creds and creds.region else None) or DEFAULT_REGION
            params = result = None
        self.recorder.record(route.service, route.operation, account, region, principal, access_key, params,
                             result, None if failure is None else (failure.code, failure.message), request_id,
                             request.client, request.headers.get("user-agent", ""))

    async def authorize(self, ctx: RequestContext, params: dict, creds) -> None:
        """Temporary credentials must carry their session token and be unexpired; with
        --enforce-iam the caller's policies must allow the operation (policy/enforcement.py).
        handle_http calls it only then: other requests skip a coroutine."""
        if self._authorize is None:  # loaded on first use: most servers never enforce anything
            from ..policy.enforcement import authorize

            self._authorize = authorize
        await self._authorize(self.runtime, ctx, params, creds)

    def verify_signature(self, route: Route, request: HttpRequest, creds, secret, now) -> None:
        if secret is None:
            raise sigv4.unknown_access_key(creds, route.service)
        signing_name = self.router.table.services[route.service]["signingName"]
        if creds.version == 4 and creds.service != signing_name:
            raise sigv4.wrong_service(creds, signing_name, route.service)
        payload_hash = None
        if sigv4.payload_hash_needed(creds, request.headers):
            payload_hash = hashlib.sha256(request.body).hexdigest()
        elif request.stream is None and request.body_read:
            # The signature covers the declared hash, so the body must match it. (A streamed
            # body is checked by its service as it is read.)
            sigv4.check_content_sha256(request.headers, hashlib.sha256(request.body).hexdigest())
        bucket = request.uri_params.get("Bucket") if route.service == "s3" and request.original_path else None
        sigv4.verify(creds, secret, request.method, request.original_path or request.path,
                     request.query_string, request.headers, payload_hash, now, virtual_host_bucket=bucket)
        if creds.version == 4 and request.headers.get("x-amz-content-sha256", "").startswith(
                "STREAMING-AWS4-HMAC-SHA256-"):
            # Signed aws-chunked upload: each chunk (and the trailer) is signed on from the seed.
            request.chunk_signatures = sigv4.ChunkSignatureChain(creds, secret)

    def error_response(self, route: Route | None, error: ServiceError, request_id: str) -> HttpResponse:
        service = route.service if route else getattr(error, "service", None)
        protocol = route.protocol if route else getattr(error, "protocol", None)
        if service and protocol:
            service_model = specs.model_for(service, protocol)
            op_model = None
            if route is not None:
                try:
                    op_model = service_model.operation_model(route.operation)
                except Exception:
                    op_model = None
            try:
                return codec.serialize_error(service_model, op_model, protocol, error, request_id)
            except Exception:
                log.exception("could not serialize %s in %s", error.code, protocol)
        return generic_error(error, request_id, protocol)


class Endpoint:
    __slots__ = ("service_model", "operation_model", "parse", "valid", "serialize", "handler", "is_async",
                 "data_event")

    def __init__(self, service_model, operation_model, parse, valid, serialize, handler, is_async, data_event):
        self.service_model = service_model
        self.operation_model = operation_model
        self.parse = parse  # request -> params
        self.valid = valid  # params -> bool; codec.validate_input words a refusal
        self.serialize = serialize  # (result, request_id) -> HttpResponse
        self.handler = handler  # the provider's bound method, or None (not implemented, or not served)
        self.is_async = is_async
        self.data_event = data_event  # a CloudTrail data event (recorded only when a trail asks)


def _signature_now(clock, creds):
    """The clock a signature is judged by (core.clock: moving the virtual clock ages only the
    signatures made before the move)."""
    signed_at = sigv4.signing_time(creds)
    if signed_at is not None:
        return clock.signature_now(signed_at)
    if creds.presigned and creds.signature:
        return clock.undated_signature_now(creds.signature)
    return clock.now()


def _allows_anonymous(route: Route, operation_model) -> bool:
    if route.service == "s3":
        return True  # anonymous S3 access is decided by bucket policies and ACLs
    auth = operation_model.auth_type or ""
    return auth == "none" or "smithy.api#noAuth" in (getattr(operation_model, "auth", None) or [])


def _missing_token(protocol: str) -> ServiceError:
    if protocol in ("query", "ec2"):
        return ServiceError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
    return ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)


def create_app(settings=None) -> Gateway:
    from ..config import Settings

    return Gateway(Runtime(settings or Settings()))
