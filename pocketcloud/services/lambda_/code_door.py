"""GET /_aws/lambda-code/<sha256>.zip: the download behind GetFunction's Code.Location (and
GetLayerVersion's Content.Location). The name is the SHA-256 of the zip itself, so only a
caller who was given the location (or already has the code) can ask for it."""

from __future__ import annotations

import re

from ...protocol.http import HttpResponse

PREFIX = "/_aws/lambda-code/"
_NAME = re.compile(r"^([0-9a-f]{64})\.zip$")


async def handle(gateway, request, receive) -> HttpResponse:
    match = _NAME.match(request.path[len(PREFIX):])
    provider = gateway.providers.provider("lambda")
    path = provider.code.zip_path(match.group(1)) if match else None
    if request.method not in ("GET", "HEAD") or path is None or not path.is_file():
        return HttpResponse(404, [("Content-Type", "application/xml")],
                            b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>")
    return HttpResponse(200, [("Content-Type", "application/zip")], path.read_bytes())
