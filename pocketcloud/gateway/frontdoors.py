"""Front doors: HTTP endpoints that are not AWS API calls but that services serve on the same
port (S3 website endpoints, API Gateway invoke URLs, Lambda function URLs, SNS signing
certificates...).

Each door is claimed either by a marker in the Host header (e.g. ".s3-website"), by a path
prefix under /_aws/ (the documented path form for clients that cannot set Host), or by an HTTP
method no API operation uses (OPTIONS: CORS preflights). The handler
module is imported on first use and must define

    async def handle(gateway, request: HttpRequest, receive) -> HttpResponse

which reads any body itself from `receive` (gateway.body.read_body) and answers every failure
itself (never raising). Checking a request costs a few substring tests, so API calls stay fast.
"""

from __future__ import annotations

import re
from importlib import import_module

# Host substring -> module. Checked only when the Host has one of these markers.
HOST_DOORS: dict[str, str] = {
    ".s3-website": "pocketcloud.services.s3.website",  # <bucket>.s3-website[-.]<region>.<domain>
    ".lambda-url.": "pocketcloud.services.lambda_.urls",
    ".execute-api.": "pocketcloud.services.apigateway.common.door",
}
# Path prefix -> module.
PATH_DOORS: dict[str, str] = {
    "/_aws/s3-website/": "pocketcloud.services.s3.website",  # /_aws/s3-website/<bucket>/<key>
    "/_aws/sns/": "pocketcloud.services.sns.frontdoor",  # signing certificate, subscribe/unsubscribe URLs
    "/_aws/lambda-url/": "pocketcloud.services.lambda_.urls",
    "/_aws/lambda-code/": "pocketcloud.services.lambda_.code_door",
    "/_aws/execute-api/": "pocketcloud.services.apigateway.common.door",
}
# HTTP method -> (a header the request must carry, what its value starts with, module), for
# requests no API operation takes (checked after the others): a browser's CORS preflight to S3
# (OPTIONS with an Origin), a browser's form upload to S3.
METHOD_DOORS: dict[str, tuple[str, str, str]] = {
    "OPTIONS": ("origin", "", "pocketcloud.services.s3.cors"),
    # A browser's form upload to a bucket (boto3's generate_presigned_post): no API operation
    # takes multipart/form-data.
    "POST": ("content-type", "multipart/form-data", "pocketcloud.services.s3.post_object"),
}

# Whether a Host has any door's marker, in one scan (most requests have none), remembered per
# Host header (clients send the same few; they come from clients, so a bounded number is kept).
_HOST_MARKERS = re.compile("|".join(map(re.escape, HOST_DOORS)))
_MARKED_HOSTS: dict[str, bool] = {}
_HOSTS_KEPT = 1024
_loaded: dict[str, object] = {}


def _handler(module: str):
    found = _loaded.get(module)
    if found is None:
        found = _loaded[module] = import_module(module).handle
    return found


def _serves(module: str, enabled) -> bool:
    """Whether the service owning a door's module (pocketcloud.services.<package>...) is one
    this server answers (--services)."""
    if enabled is None:
        return True
    parts = module.split(".")
    return len(parts) < 3 or parts[2].replace("_", "-") in enabled


def find(request, enabled=None):
    """The handler of the door this request comes through, or None for an API call. `enabled`:
    the services this server answers (None: all); other services' doors stay shut."""
    if PATH_DOORS and request.path.startswith("/_aws/"):
        for prefix, module in PATH_DOORS.items():
            if request.path.startswith(prefix) and _serves(module, enabled):
                return _handler(module)
    host = request.headers.get("host", "")
    marked = _MARKED_HOSTS.get(host)
    if marked is None:
        marked = _HOST_MARKERS.search(host) is not None
        if len(_MARKED_HOSTS) < _HOSTS_KEPT:
            _MARKED_HOSTS[host] = marked
    if marked:
        for marker, module in HOST_DOORS.items():
            if marker in host and _serves(module, enabled):
                return _handler(module)
    door = METHOD_DOORS.get(request.method)
    if door is not None:
        header, prefix, module = door
        value = request.headers.get(header)
        if value is not None and value.startswith(prefix) and _serves(module, enabled):
            return _handler(module)
    return None
