"""Front doors: HTTP endpoints that are not AWS API calls but that services serve on the same
port (S3 website endpoints, API Gateway invoke URLs, Lambda function URLs, SNS signing
certificates...).

Each door is claimed either by a marker in the Host header (e.g. ".s3-website") or by a path
prefix under /_aws/ (the documented path form for clients that cannot set Host). The handler
module is imported on first use and must define

    async def handle(gateway, request: HttpRequest, receive) -> HttpResponse

which reads any body itself from `receive` (gateway.body.read_body) and answers every failure
itself (never raising). Checking a request costs a few substring tests, so API calls stay fast.
"""

from __future__ import annotations

from importlib import import_module

# Host substring -> module. Checked only when the Host has one of these markers.
HOST_DOORS: dict[str, str] = {
    ".lambda-url.": "pocketcloud.services.lambda_.urls",
    ".execute-api.": "pocketcloud.services.apigateway.common.door",
}
# Path prefix -> module.
PATH_DOORS: dict[str, str] = {
    "/_aws/lambda-url/": "pocketcloud.services.lambda_.urls",
    "/_aws/lambda-code/": "pocketcloud.services.lambda_.code_door",
    "/_aws/execute-api/": "pocketcloud.services.apigateway.common.door",
}

_loaded: dict[str, object] = {}


def _handler(module: str):
    found = _loaded.get(module)
    if found is None:
        found = _loaded[module] = import_module(module).handle
    return found


def find(request):
    """The handler of the door this request comes through, or None for an API call."""
    if PATH_DOORS and request.path.startswith("/_aws/"):
        for prefix, module in PATH_DOORS.items():
            if request.path.startswith(prefix):
                return _handler(module)
    if HOST_DOORS:
        host = request.headers.get("host", "")
        for marker, module in HOST_DOORS.items():
            if marker in host:
                return _handler(module)
    return None
