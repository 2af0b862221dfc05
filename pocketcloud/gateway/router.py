"""Service and operation detection, table-driven from the botocore models' routing index.

In order: X-Amz-Target (json protocol), the Smithy RPC v2 path /service/<S>/operation/<Op>
(cbor), the SigV4 signing name (Authorization header or presigned query), Action=/Version= for
query-protocol services, REST request-URI templates by method and path, and finally S3 by path
and Host for unsigned requests (browsers, curl). ELB and ELBv2 share a signing name and are told
apart by Version; API Gateway v1 and v2 share one and are told apart by path.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..protocol import specs
from ..protocol.errors import ServiceError
from ..protocol.http import HttpRequest, split_form
from ..protocol.uri import UriTemplate, compile_template, decoded_label
from . import sigv4
from .body import read_body


class Route:
    """Where a request goes: service, operation, and the protocol it speaks. One per operation
    and protocol (route_to), made once: the gateway keys what it keeps per operation by it. A
    REST request's label values go on the request (HttpRequest.uri_params)."""

    __slots__ = ("service", "operation", "protocol", "streams_input")

    def __init__(self, service: str, operation: str, protocol: str):
        self.service = service
        self.operation = operation
        self.protocol = protocol
        self.streams_input: bool | None = None  # whether its payload streams, once read_body has asked


_ROUTES: dict[tuple[str, str, str], Route] = {}


def route_to(service: str, operation: str, protocol: str) -> Route:
    """The Route of an operation the models have (callers check first: the names come from
    clients, and only real operations are kept)."""
    key = (service, operation, protocol)
    found = _ROUTES.get(key)
    if found is None:
        found = _ROUTES[key] = Route(service, operation, protocol)
    return found


class RouteError(ServiceError):
    """Raised with the protocol the error must be written in (None = generic XML)."""

    def __init__(self, code, message, status=400, service=None, protocol=None):
        super().__init__(code, message, status)
        self.service = service
        self.protocol = protocol


class Routes:
    """Lookup tables built once from the routing index."""

    def __init__(self, index: dict | None = None):
        services = (index or specs.index())["services"]
        self.services = services
        self.by_target: dict[str, str] = {}
        self.by_signing: dict[str, list[str]] = {}
        self.query_by_version: dict[str, list[str]] = {}
        self.query_by_action: dict[str, list[str]] = {}
        self.rest_services: list[str] = []
        # Per REST service, built on its first request (compiling ~700 templates up front
        # would cost a cold start 15 ms): (method, URI template, operation, required headers,
        # required query members), most specific first.
        self._rest: dict[str, list[tuple[str, UriTemplate, str, tuple[str, ...], tuple[str, ...]]]] = {}
        self._rest_by_method: dict[tuple[str, str], list] = {}
        self._by_method: dict[tuple[str, str], _MethodCandidates] = {}
        self._rest_signed: dict[str | None, tuple[str, ...]] = {}
        for name, info in services.items():
            protocols = info["protocols"]
            if info.get("targetPrefix"):
                self.by_target[info["targetPrefix"]] = name
            self.by_signing.setdefault(info["signingName"], []).append(name)
            if "query" in protocols or "ec2" in protocols or info.get("legacyQuery"):
                self.query_by_version.setdefault(info["apiVersion"], []).append(name)
                for op in info["operations"]:
                    self.query_by_action.setdefault(op, []).append(name)
            if protocols[0].startswith("rest-"):
                self.rest_services.append(name)

    # -- helpers -------------------------------------------------------------------------------
    def protocol_for(self, service: str, preferred: str) -> str | None:
        protocols = self.services[service]["protocols"]
        return preferred if preferred in protocols else None

    def speaks_query(self, service: str) -> bool:
        info = self.services[service]
        return "query" in info["protocols"] or "ec2" in info["protocols"] or bool(info.get("legacyQuery"))

    def query_protocol(self, service: str) -> str:
        """The form-encoded protocol a service speaks: ec2 for EC2, query for the rest."""
        return "ec2" if "ec2" in self.services[service]["protocols"] else "query"

    @lru_cache(maxsize=None)  # noqa: B019 - one Routes lives as long as the server; keys are known names
    def any_speaks_query(self, signing: str) -> bool:
        """Whether a service signed as `signing` speaks a query protocol."""
        return any(self.speaks_query(name) for name in self.by_signing[signing])

    def rest_services_signed(self, signing: str | None) -> tuple[str, ...]:
        """The REST services a request signed as `signing` may be for (None: unsigned, S3)."""
        found = self._rest_signed.get(signing)
        if found is None:  # signing names are the models' (route checks): few, all kept
            names = self.by_signing[signing] if signing else ["s3"]
            found = self._rest_signed[signing] = tuple(name for name in names if name in self.rest_services)
        return found

    def has_operation(self, service: str, operation: str) -> bool:
        return operation in self.services[service]["operations"]

    def rest_table(self, service: str):
        table = self._rest.get(service)
        if table is None:
            table = [
                (method, compile_template(uri), op, frozenset(headers), tuple(query))
                for op, (method, uri, headers, query) in self.services[service]["operations"].items()
            ]
            # Most specific first: required query keys (in the URI or as required members),
            # then literal path characters, non-greedy before greedy, then required headers;
            # among equals, a deprecated operation after the one that replaced it (S3's
            # PutBucketLifecycle and PutBucketLifecycleConfiguration share PUT /{Bucket}?lifecycle).
            deprecated = _deprecated_operations(service)
            table.sort(key=lambda t: (-len(t[1].required_query) - len(t[4]), t[1].greedy,
                                      -t[1].literal_weight, -len(t[3]), t[2] in deprecated))
            self._rest[service] = table
        return table

    def rest_candidates(self, service: str, method: str):
        """rest_table's entries for one HTTP method, in the same order, each with every query
        key it requires (from the URI and the required members) so most are ruled out before
        their path regex runs: (template, operation, required headers, required query keys)."""
        key = (service, method)
        found = self._rest_by_method.get(key)
        if found is None:
            found = self._rest_by_method[key] = [
                (template, op, headers, frozenset((*(k for k, _ in template.required_query), *query)))
                for op_method, template, op, headers, query in self.rest_table(service) if op_method == method
            ]
        return found

    def candidates_for(self, service: str, method: str, query: dict[str, str],
                       headers: dict[str, str]) -> "Candidates":
        """rest_candidates whose required query keys and headers are all present. Most
        requests carry one of a handful of key sets (none, ?uploads, ?list-type...), so the
        filtered lists are kept, up to a bound (the keys come from clients); the commonest,
        neither keys nor headers, costs two lookups."""
        by_method = self._by_method.get((service, method))
        if by_method is None:
            by_method = self._by_method[(service, method)] = _MethodCandidates(
                frozenset(name for _, _, required, _ in self.rest_candidates(service, method) for name in required))
        sent = _NO_KEYS
        for name in by_method.header_names:  # usually none or one (S3's x-amz-copy-source)
            if name in headers:
                sent = by_method.header_names.intersection(headers)
                break
        if not query and sent is _NO_KEYS and by_method.plain is not None:
            return by_method.plain
        key = (frozenset(query) if query else _NO_KEYS, sent)
        found = by_method.by_keys.get(key)
        if found is None:
            present, _ = key
            names = tuple(op for _, op, required_headers, required in self.rest_candidates(service, method)
                          if required <= present and required_headers <= sent)
            # Key sets that leave the same operations (most keys a client sends are required by
            # none) share one Candidates: its regex is compiled once per distinct list.
            found = by_method.by_operations.get(names)
            if found is None:
                protocol = self.services[service]["protocols"][0]
                found = by_method.by_operations[names] = Candidates(
                    [(template, route_to(service, op, protocol))
                     for template, op, _, _ in self.rest_candidates(service, method) if op in names])
            if key == (_NO_KEYS, _NO_KEYS):
                by_method.plain = found
            elif len(by_method.by_keys) < _QUERY_KEY_SETS_KEPT:
                by_method.by_keys[key] = found
        return found

    def query_service(self, candidates: list[str], action: str, version: str | None) -> str | None:
        if version:
            for name in candidates:
                if self.services[name]["apiVersion"] == version and self.has_operation(name, action):
                    return name
        for name in candidates:
            if self.has_operation(name, action):
                return name
        return None


class _MethodCandidates:
    """Routes.candidates_for's lists for one service and HTTP method."""

    __slots__ = ("header_names", "plain", "by_keys", "by_operations")

    def __init__(self, header_names: frozenset):
        self.header_names = header_names  # the headers some of its operations require
        self.plain: Candidates | None = None  # for a request with no query key and none of them
        self.by_keys: dict[tuple[frozenset, frozenset], Candidates] = {}  # (query keys, those headers sent)
        # the operations left -> their Candidates: as many as the models' combinations of required
        # query keys and headers allow, whatever keys clients send
        self.by_operations: dict[tuple[str, ...], Candidates] = {}


class Candidates:
    """The templates a request may match, most specific first, tried with one regex: their
    patterns as alternatives of one, each closed by an empty group that tells which matched
    (Match.lastindex). One match call costs a little more than one template's; trying them in
    turn cost one each (an S3 object PUT tried CreateBucket's /{Bucket} first)."""

    __slots__ = ("items", "regex", "ends")

    def __init__(self, items: list[tuple[UriTemplate, Route]]):
        self.items = items
        alternatives = []
        self.ends: dict[int, tuple[int, int, int]] = {}  # marker group -> (item, its first group, label count)
        group = 0
        for position, (template, _) in enumerate(items):
            alternatives.append(f"(?:{template.regex.pattern[1:-1]})()")  # each pattern is ^...$
            count = len(template.labels)
            group += count + 1
            self.ends[group] = (position, group - count - 1, count)
        self.regex = re.compile(f"^(?:{'|'.join(alternatives)})$", re.S) if items else None

    def match(self, path: str, query: dict[str, str]) -> tuple[Route, dict[str, str]] | None:
        if self.regex is None:
            return None
        m = self.regex.match(path)
        if m is None:
            return None
        position, first, count = self.ends[m.lastindex]
        template, route = self.items[position]
        if template.required_query and not _query_values_fit(template, query):
            # A required query value differs (?list-type=2): the later templates, one by one.
            for template, route in self.items[position + 1:]:
                params = template.match(path, query)
                if params is not None:
                    return route, params
            return None
        values = m.groups()
        if "%" in path:  # as UriTemplate.match: label values percent-decoded
            labelled = zip(template.labels, values[first:first + count])
            return route, {name: decoded_label(value) for name, value in labelled}
        if count == 2:
            first_label, second_label = template.labels
            return route, {first_label: values[first], second_label: values[first + 1]}
        return route, dict(zip(template.labels, values[first:first + count]))


def _query_values_fit(template: UriTemplate, query: dict[str, str]) -> bool:
    """Whether the query has the values a template requires (Candidates: its keys are there)."""
    return all(value is None or query.get(key) == value for key, value in template.required_query)


def _deprecated_operations(service: str) -> set[str]:
    operations = specs.load_service_data(service)["operations"]
    return {name for name, op in operations.items() if op.get("deprecated")}


@lru_cache(maxsize=1)
def routes() -> Routes:
    return Routes()


_FORM = "application/x-www-form-urlencoded"
_NO_KEYS: frozenset = frozenset()  # one object: its hash is computed once, not per request
_NO_QUERY: dict[str, str] = {}  # the query of a request without one (read, never written)
_QUERY_KEY_SETS_KEPT = 2048


def action_and_version(request) -> tuple[str | None, str | None]:
    """Action and Version of a query/ec2 request, from its query string or form body."""
    content_type = request.headers.get("content-type", "")
    if not content_type or content_type.startswith(_FORM):
        pairs = request.form_pairs()
    else:
        pairs = split_form(request.query_string)
    action = version = None
    for key, value in pairs:
        if key == "Action" and action is None:
            action = value
        elif key == "Version" and version is None:
            version = value
    return action, version


# Each label group matches one way only ([a-z0-9]+ between separators), so matching stays linear
# whatever the Host header holds; longer names than DNS allows are not looked at.
_S3_VHOST = re.compile(r"^(?P<bucket>[^:]+?)\.s3(?:[.-][a-z0-9]+)*\.(?:amazonaws\.com|[^:]+)(?::\d+)?$")
_S3_HOST = re.compile(r"^s3(?:[.-][a-z0-9]+)*\.(?:amazonaws\.com|[^:]+)(?::\d+)?$")
_MAX_HOST = 260
_IP_HOST = re.compile(r"^(\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:]+\])(?::\d+)?$")


_HOST_BUCKETS: dict[str, str | None] = {}
_HOSTS_KEPT = 1024  # Host headers come from clients: a bounded number of answers is kept


def vhost_bucket(host: str) -> str | None:
    """s3_bucket_from_host, remembered per Host header (clients send the same few)."""
    try:
        return _HOST_BUCKETS[host]
    except KeyError:
        pass
    bucket = s3_bucket_from_host(host)
    if len(_HOST_BUCKETS) < _HOSTS_KEPT:
        _HOST_BUCKETS[host] = bucket
    return bucket


def s3_bucket_from_host(host: str, local_names: tuple[str, ...] = ("localhost",)) -> str | None:
    """The bucket of a virtual-hosted-style S3 request, from its Host header, if any.

    Accepts AWS's forms (<bucket>.s3.amazonaws.com, <bucket>.s3.<region>.amazonaws.com,
    <bucket>.s3-<region>.amazonaws.com) and the same under any other domain (e.g.
    <bucket>.s3.localhost.localstack.cloud), plus <bucket>.localhost, which is what boto3 sends
    with endpoint_url=http://localhost:4566.
    """
    host = host.lower()
    if not host or len(host) > _MAX_HOST or _IP_HOST.match(host) or _S3_HOST.match(host):
        return None
    m = _S3_VHOST.match(host)
    if m and ".s3-website" not in host:
        return m.group("bucket")
    bare = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    for name in local_names:
        if bare.endswith("." + name):
            return bare[: -len(name) - 1]
    return None


class Router:
    """Finds the service, operation and protocol of a request (reading its body when the
    operation is named inside it, as the query protocols do)."""

    def __init__(self, max_body_bytes: int):
        self.table = routes()
        self.max_body_bytes = max_body_bytes

    def find(self, request: HttpRequest) -> Route | None:
        """The route a request's line and headers name, its body unread (a REST request's
        label values go on request.uri_params); None when a query-protocol form body may
        name it instead (route_by_body). Raises RouteError."""
        headers = request.headers
        table = self.table
        try:
            creds = sigv4.parse_credentials(request.method, request.path, request.query_string, headers)
        except ServiceError as error:
            raise self.early_error(error, request) from None
        request.credentials = creds
        target = headers.get("x-amz-target")
        if target:
            prefix, _, operation = target.rpartition(".")
            service = table.by_target.get(prefix)
            if service is None or not table.protocol_for(service, "json"):
                raise RouteError("UnknownOperationException", f"Unknown target {target}", 400, protocol="json")
            if not table.has_operation(service, operation):
                raise RouteError("UnknownOperationException", f"Unknown operation {operation}", 400, service, "json")
            return route_to(service, operation, "json")

        if request.path.startswith("/service/") and "/operation/" in request.path:
            parts = request.path.split("/")
            if len(parts) == 5 and parts[3] == "operation":
                service = table.by_target.get(parts[2])
                if service and table.protocol_for(service, "smithy-rpc-v2-cbor"):
                    if not table.has_operation(service, parts[4]):
                        raise RouteError("UnknownOperationException", f"Unknown operation {parts[4]}", 404,
                                         service, "smithy-rpc-v2-cbor")
                    return route_to(service, parts[4], "smithy-rpc-v2-cbor")

        signing = creds.service if creds is not None else None
        candidates = table.by_signing.get(signing) if signing else None
        if signing and candidates is None:
            raise RouteError("NotImplemented", f"pocketcloud does not serve the AWS service signed as {signing!r}", 501)

        # Outside a POST the router reads no body, so an unsigned query-protocol call names its
        # Action in the query string; without one (S3 object GETs and PUTs) none is looked for.
        maybe_query = candidates is not None or request.method == "POST" or "Action=" in request.query_string
        if maybe_query and (candidates is None or table.any_speaks_query(signing)):
            return None
        return self.rest_route(request, signing)

    async def route_by_body(self, request: HttpRequest, receive) -> Route:
        """find's None: the query protocols' Action, from the query string or the form body
        (read here), else the REST route."""
        creds = request.credentials
        signing = creds.service if creds is not None else None
        query_route = await self._query_route(request, receive, self.table.by_signing.get(signing) if signing else None)
        if query_route is not None:
            return query_route
        return self.rest_route(request, signing)

    def rest_route(self, request: HttpRequest, signing: str | None) -> Route:
        """The REST operation whose URI template the request's method and path match, among
        the services signed as `signing`; raises RouteError."""
        table = self.table
        rest_candidates = table.rest_services_signed(signing)
        query = request.query_dict() if request.query_string else _NO_QUERY
        for service in rest_candidates:
            path = request.path
            if service == "s3":
                bucket = vhost_bucket(request.headers.get("host", ""))
                if bucket:
                    path = "/" + bucket + (path if path != "/" else "")
            found = table.candidates_for(service, request.method, query, request.headers).match(path, query)
            if found is not None:
                route, request.uri_params = found
                if path != request.path:
                    request.original_path, request.path = request.path, path
                return route
        service = rest_candidates[0] if rest_candidates else (table.by_signing.get(signing) or ["s3"])[0]
        protocol = table.services[service]["protocols"][0]
        if service == "s3":
            raise RouteError("MethodNotAllowed", "The specified method is not allowed against this resource.",
                             405, service, protocol)
        raise RouteError("UnknownOperationException", f"No {service} operation matches {request.method} {request.path}",
                         404, service, protocol)

    async def _read_body_unrouted(self, request: HttpRequest, receive) -> None:
        """read_body before routing (a query-protocol form), its errors in the protocol the
        request speaks (early_error). Routed requests' are read_body's to word."""
        try:
            await read_body(request, receive, self.max_body_bytes)
        except ServiceError as error:
            raise self.early_error(error, request) from None

    def early_error(self, error: ServiceError, request: HttpRequest) -> RouteError:
        """An auth error met before routing finished, written in the protocol the request
        speaks: told by its credential scope, X-Amz-Target or Smithy RPC v2 path; else the
        generic <ErrorResponse> every XML client reads."""
        table = self.table
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
        return _routed(error, service, protocol)

    async def _query_route(self, request: HttpRequest, receive, candidates) -> Route | None:
        """Query/EC2 protocol: Action (and Version) from the query string or form body."""
        table = self.table
        if request.method == "POST":
            await self._read_body_unrouted(request, receive)
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
        return route_to(service, action, table.query_protocol(service))


def _routed(error: ServiceError, service: str | None, protocol: str | None) -> RouteError:
    """`error`, to be written in `protocol` (None: the generic XML error)."""
    routed = RouteError(error.code, error.message, error.status, service, protocol)
    routed.fields = error.fields
    return routed


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
