"""The ASGI application: one endpoint for every service.

HTTP -> route (service, operation, protocol) -> auth (account, region, signatures) -> codec
parse -> provider -> codec serialize. Every failure becomes an AWS-shaped error in the
request's protocol; nothing escapes as a 500 traceback.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

from ..core.accounts import DEFAULT_REGION, resolve_access_key
from ..core.runtime import Runtime
from ..protocol import codec, specs
from ..protocol.errors import ServiceError, internal_error, not_implemented
from ..protocol.http import HttpRequest, HttpResponse
from ..services.base import Providers, RequestContext
from . import admin, sigv4
from .body import body_left_unread, read_body
from .ids import new_request_id
from .responses import generic_error, send_response
from .router import Route, RouteError, action_and_version, routes, s3_bucket_from_host

log = logging.getLogger("pocketcloud.gateway")

_TICK_SECONDS = 1.0
# AWS front ends refuse header sections past a few kilobytes (S3: 8 KiB of user metadata);
# 64 KiB leaves room for any real client while bounding what one request can make us hold.
MAX_HEADER_BYTES = 64 * 1024


class Gateway:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.settings = runtime.settings
        self.providers = Providers(runtime)
        self.routes = routes()
        self._tick_task: asyncio.Task | None = None

    # -- ASGI entry ------------------------------------------------------------------------------
    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "http":
            await self.handle_http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._tick_task = asyncio.get_running_loop().create_task(self._tick())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._tick_task:
                    self._tick_task.cancel()
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

        if path.startswith(admin.PREFIXES):
            response = await admin.handle(self, request, receive)
            await send_response(send, response, scope["method"])
            return

        request_id = new_request_id()
        route: Route | None = None
        try:
            if header_bytes > MAX_HEADER_BYTES:
                raise self._as_route_error(ServiceError(
                    "RequestHeaderSectionTooLarge",
                    f"Your request header section exceeds the maximum allowed size ({MAX_HEADER_BYTES} bytes)."),
                    request)
            route = await self.route(request, receive)
            response = await self.dispatch(route, request, request_id)
        except ServiceError as error:
            response = self.error_response(route, error, request_id)
        except Exception as exc:  # a bug of ours: still answer like AWS would
            log.exception("internal error on %s %s", scope["method"], path)
            response = self.error_response(route, internal_error(type(exc).__name__), request_id)
        if "expect" in headers and body_left_unread(request):
            # The client waits for "100 Continue" before sending the body, and we answered
            # without asking for it: the connection cannot carry another request.
            response.headers.append(("Connection", "close"))
        await send_response(send, response, scope["method"])

    # -- routing ---------------------------------------------------------------------------------
    async def route(self, request: HttpRequest, receive) -> Route:
        headers = request.headers
        table = self.routes
        try:
            creds = sigv4.parse_credentials(request.method, request.path, request.query_string, headers)
        except ServiceError as error:
            raise self._as_route_error(error, request) from None
        request.credentials = creds
        target = headers.get("x-amz-target")
        if target:
            prefix, _, operation = target.rpartition(".")
            service = table.by_target.get(prefix)
            if service is None or not table.protocol_for(service, "json"):
                raise RouteError("UnknownOperationException", f"Unknown target {target}", 400, protocol="json")
            route = Route(service, operation, "json")
            if not table.has_operation(service, operation):
                raise RouteError("UnknownOperationException", f"Unknown operation {operation}", 400, service, "json")
            await read_body(request, receive, self.settings.max_body_bytes)
            return route

        if request.path.startswith("/service/") and "/operation/" in request.path:
            parts = request.path.split("/")
            if len(parts) == 5 and parts[3] == "operation":
                service = table.by_target.get(parts[2])
                if service and table.protocol_for(service, "smithy-rpc-v2-cbor"):
                    route = Route(service, parts[4], "smithy-rpc-v2-cbor")
                    if not table.has_operation(service, parts[4]):
                        raise RouteError("UnknownOperationException", f"Unknown operation {parts[4]}", 404,
                                         service, "smithy-rpc-v2-cbor")
                    await read_body(request, receive, self.settings.max_body_bytes)
                    return route

        signing = creds.service if creds is not None else None
        candidates = table.by_signing.get(signing) if signing else None
        if signing and candidates is None:
            raise RouteError("NotImplemented", f"pocketcloud does not serve the AWS service signed as {signing!r}", 501)

        if candidates is None or any(table.speaks_query(c) for c in candidates):
            query_route = await self.query_route(request, receive, candidates)
            if query_route is not None:
                return query_route

        rest_candidates = [c for c in (candidates or ["s3"]) if c in table.rest_services]
        query = request.query_dict()
        for service in rest_candidates:
            path = request.path
            if service == "s3":
                bucket = s3_bucket_from_host(request.host)
                if bucket:
                    path = "/" + bucket + (path if path != "/" else "")
            route = table.rest_route(service, request.method, path, query, request.headers)
            if route is not None:
                route.path = path
                if path != request.path:
                    request.original_path, request.path = request.path, path
                await read_body(request, receive, self.settings.max_body_bytes, route)
                return route
        service = rest_candidates[0] if rest_candidates else (candidates or ["s3"])[0]
        protocol = table.services[service]["protocols"][0]
        if service == "s3":
            raise RouteError("MethodNotAllowed", "The specified method is not allowed against this resource.",
                             405, service, protocol)
        raise RouteError("UnknownOperationException", f"No {service} operation matches {request.method} {request.path}",
                         404, service, protocol)

    def _as_route_error(self, error: ServiceError, request: HttpRequest) -> RouteError:
        """An auth error met before routing finished, written in the protocol the request
        speaks: told by its credential scope, X-Amz-Target or Smithy RPC v2 path; else the
        generic <ErrorResponse> every XML client reads."""
        table = self.routes
        service = protocol = None
        names = table.by_signing.get(_scope_service(request) or "")
        target = request.headers.get("x-amz-target")
        if target:
            service = table.by_target.get(target.rpartition(".")[0]) or (names[0] if names else None)
            protocol = "json" if service else None
        elif request.path.startswith("/service/"):
            parts = request.path.split("/")
            service = table.by_target.get(parts[2]) if len(parts) > 2 else None
            protocol = "smithy-rpc-v2-cbor" if service else None
        elif names:
            service = names[0]
            protocol = table.query_protocol(service) if table.speaks_query(service) else \
                table.services[service]["protocols"][0]
        routed = RouteError(error.code, error.message, error.status, service, protocol)
        routed.fields = error.fields
        return routed

    async def query_route(self, request: HttpRequest, receive, candidates) -> Route | None:
        """Query/EC2 protocol: Action (and Version) from the query string or form body."""
        table = self.routes
        if request.method == "POST":
            await read_body(request, receive, self.settings.max_body_bytes)
        action, version = action_and_version(request)
        if not action:
            if candidates and all(table.speaks_query(c) for c in candidates):
                raise RouteError("MissingAction", "Missing Action", 400, candidates[0],
                                 table.query_protocol(candidates[0]))
            return None
        pool = candidates or table.query_by_version.get(version) or table.query_by_action.get(action) or []
        service = table.query_service(pool, action, version)
        if service is None:
            if not pool:
                return None
            raise RouteError("InvalidAction", f"The action {action} is not valid for this web service.", 400,
                             pool[0], table.query_protocol(pool[0]))
        return Route(service, action, table.query_protocol(service))

    # -- auth + provider --------------------------------------------------------------------------
    async def dispatch(self, route: Route, request: HttpRequest, request_id: str) -> HttpResponse:
        creds = request.credentials
        service_model = specs.service_model(route.service)
        operation_model = service_model.operation_model(route.operation)
        account, secret, principal = resolve_access_key(creds.access_key if creds else None)
        region = (creds.region if creds and creds.region else None) or DEFAULT_REGION
        if creds is not None:
            now = self.runtime.clock.now()
            if creds.presigned:
                sigv4.check_presigned_expiry(creds, now, route.service)
            if self.settings.enforce_signatures:
                self.verify_signature(route, request, creds, secret, now)
        elif self.settings.enforce_signatures and not _allows_anonymous(route, operation_model):
            raise _missing_token(route.protocol)

        request.uri_params = route.uri_params
        params = codec.parse_request(operation_model, route.protocol, request)

        handler, is_async = self.providers.handler(route.service, route.operation)
        if handler is None:
            raise not_implemented(service_model.metadata.get("serviceId", route.service), route.operation)
        ctx = RequestContext(self.runtime, route.service, route.operation, route.protocol, account, region,
                             creds.access_key if creds else None, principal, request, request_id)
        result = (await handler(ctx, params)) if is_async else handler(ctx, params)
        return codec.serialize_response(operation_model, route.protocol, result or {}, request_id)

    def verify_signature(self, route: Route, request: HttpRequest, creds, secret, now) -> None:
        if secret is None:
            raise sigv4.unknown_access_key(creds, route.service)
        payload_hash = None
        if sigv4.payload_hash_needed(creds, request.headers):
            payload_hash = hashlib.sha256(request.body).hexdigest()
        elif request.stream is None and request.body_read:
            # The signature covers the declared hash, so the body must match it. (A streamed
            # body is checked by its service as it is read.)
            sigv4.check_content_sha256(request.headers, hashlib.sha256(request.body).hexdigest())
        bucket = route.uri_params.get("Bucket") if route.service == "s3" and request.original_path else None
        sigv4.verify(creds, secret, request.method, request.original_path or request.path,
                     request.query_string, request.headers, payload_hash, now, virtual_host_bucket=bucket)

    def error_response(self, route: Route | None, error: ServiceError, request_id: str) -> HttpResponse:
        service = route.service if route else getattr(error, "service", None)
        protocol = route.protocol if route else getattr(error, "protocol", None)
        if service and protocol:
            service_model = specs.service_model(service)
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


def _scope_service(request: HttpRequest) -> str | None:
    """The service named by the request's SigV4 credential scope, however malformed the rest."""
    credential = None
    auth = request.headers.get("authorization", "")
    if "Credential=" in auth:
        credential = auth.split("Credential=", 1)[1].split(",", 1)[0]
    else:
        for key, value in request.query:
            if key == "X-Amz-Credential":
                credential = value
                break
    parts = credential.strip().split("/") if credential else []
    return parts[3] if len(parts) >= 5 else None


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
