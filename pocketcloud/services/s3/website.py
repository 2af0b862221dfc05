"""Static website hosting: the website endpoint a browser or curl reaches.

Hosts: <bucket>.s3-website-<region>.amazonaws.com and <bucket>.s3-website.<region>.amazonaws.com,
and the same under any other domain (<bucket>.s3-website.localhost:4566). For clients that
cannot set Host: http://localhost:4566/_aws/s3-website/<bucket>/<key>.

Index documents for "directories", the error document (with 404/403), redirect-all, routing
rules, per-object redirects; anonymous readers only see what the bucket makes public.
"""

from __future__ import annotations

import fnmatch
import json
from html import escape
from urllib.parse import quote, unquote

from ...protocol.errors import ServiceError
from ...protocol.http import HttpResponse
from . import objectmeta as om
from .cors import request_id_headers

PATH_PREFIX = "/_aws/s3-website/"


def _page(status: int, code: str, message: str, extra: dict | None = None) -> HttpResponse:
    items = "".join(f"<li>{escape(k)}: {escape(str(v))}</li>" for k, v in
                    {"Code": code, "Message": message, **(extra or {})}.items())
    title = {403: "403 Forbidden", 404: "404 Not Found", 405: "405 Method Not Allowed"}.get(status, str(status))
    body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><ul>{items}</ul></body></html>"
    return HttpResponse(status, [("Content-Type", "text/html; charset=utf-8"), *request_id_headers()], body.encode())


def _redirect(status: int, location: str) -> HttpResponse:
    return HttpResponse(status, [("Location", location), ("Content-Length", "0"), *request_id_headers()], b"")


def _target(request) -> tuple[str, str, str]:
    """(bucket, key, prefix of the URL path before the key)."""
    if request.path.startswith(PATH_PREFIX):
        rest = request.path[len(PATH_PREFIX):]
        bucket, _, key = rest.partition("/")
        return unquote(bucket), unquote(key), PATH_PREFIX + bucket + "/"
    host = request.headers.get("host", "").lower()
    return host.split(".s3-website", 1)[0], unquote(request.path.lstrip("/")), "/"


def _publicly_readable(bucket: dict, key: str, meta: dict) -> bool:
    """What an anonymous reader may GET: a bucket policy granting s3:GetObject to everyone, or
    a public-read ACL, unless Block Public Access says otherwise. (A simple reading of the
    policy for the website endpoint; full policy evaluation is the IAM engine's.)"""
    block = bucket.get("public_access_block") or {}
    if not block.get("RestrictPublicBuckets") and bucket.get("policy"):
        try:
            document = json.loads(bucket["policy"])
        except ValueError:
            document = {}
        statements = document.get("Statement") or []
        statements = [statements] if isinstance(statements, dict) else statements
        resource = f"arn:aws:s3:::{bucket['name']}/{key}"
        allowed = False
        for statement in statements:
            if not isinstance(statement, dict):
                continue
            principal = statement.get("Principal")
            if not (principal == "*" or (isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"]))):
                continue
            actions = statement.get("Action") or []
            actions = [actions] if isinstance(actions, str) else actions
            resources = statement.get("Resource") or []
            resources = [resources] if isinstance(resources, str) else resources
            if any(fnmatch.fnmatchcase("s3:GetObject", a) for a in actions) and \
                    any(fnmatch.fnmatchcase(resource, r) for r in resources):
                if statement.get("Effect") == "Deny":
                    return False
                if statement.get("Effect") == "Allow":
                    allowed = True
        if allowed:
            return True
    if block.get("IgnorePublicAcls"):
        return False
    return meta.get("acl") in ("public-read", "public-read-write") or \
        bucket.get("acl") in ("public-read", "public-read-write")


def _routing_redirect(config: dict, key: str, error_code: int | None, request) -> HttpResponse | None:
    for rule in config.get("RoutingRules") or []:
        condition = rule.get("Condition") or {}
        prefix = condition.get("KeyPrefixEquals")
        code = condition.get("HttpErrorCodeReturnedEquals")
        if prefix is not None and not key.startswith(prefix):
            continue
        if code is not None and str(error_code) != str(code):
            continue
        if code is None and error_code is not None and prefix is None:
            continue
        redirect = rule["Redirect"]
        if redirect.get("ReplaceKeyWith") is not None:
            new_key = redirect["ReplaceKeyWith"]
        elif redirect.get("ReplaceKeyPrefixWith") is not None:
            new_key = redirect["ReplaceKeyPrefixWith"] + key[len(prefix or ""):]
        else:
            new_key = key
        host = redirect.get("HostName") or request.headers.get("host", "")
        protocol = redirect.get("Protocol") or "http"
        return _redirect(int(redirect.get("HttpRedirectCode") or 301), f"{protocol}://{host}/{quote(new_key)}")
    return None


async def _object_response(provider, bucket: dict, key: str, meta: dict, status: int = 200) -> HttpResponse:
    data_key = await provider.sse.data_key(meta["enc"], {})
    headers = [("Content-Type", meta.get("content_type") or "binary/octet-stream"), ("ETag", meta["etag"]),
               ("Last-Modified", om.http_date(meta["modified"])), ("Content-Length", str(meta["size"])),
               *request_id_headers()]
    for name, header in (("CacheControl", "Cache-Control"), ("ContentEncoding", "Content-Encoding"),
                         ("ContentDisposition", "Content-Disposition"), ("ContentLanguage", "Content-Language")):
        value = (meta.get("headers") or {}).get(name)
        if value:
            headers.append((header, value))
    return HttpResponse(status, headers, provider.blobs.read(meta["segments"], data_key))


async def handle(gateway, request, receive) -> HttpResponse:
    try:
        return await _serve(gateway, request)
    except ServiceError as error:  # an object we cannot decrypt for the public (SSE-C), KMS missing...
        return _page(403 if error.status in (400, 403) else error.status, error.code, error.message)


async def _serve(gateway, request) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _page(405, "MethodNotAllowed", "The specified method is not allowed against this resource.",
                     {"Method": request.method, "ResourceType": "OBJECT"})
    provider = gateway.providers.provider("s3")
    name, key, _ = _target(request)
    bucket = provider.buckets.get(name)
    if bucket is None:
        return _page(404, "NoSuchBucket", "The specified bucket does not exist", {"BucketName": name})
    config = bucket.get("website")
    if config is None:
        return _page(404, "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration",
                     {"BucketName": name})
    everything = config.get("RedirectAllRequestsTo")
    if everything:
        protocol = everything.get("Protocol") or "http"
        return _redirect(301, f"{protocol}://{everything['HostName']}/{quote(key)}")
    early = _routing_redirect(config, key, None, request)
    if early is not None:
        return early
    suffix = config["IndexDocument"]["Suffix"]
    lookup = key + suffix if key == "" or key.endswith("/") else key
    found = provider.index.latest(name, lookup)
    if found is None or found.marker:
        folder = provider.index.latest(name, key + "/" + suffix) if key and not key.endswith("/") else None
        if folder is not None and not folder.marker:
            return _redirect(302, request.path + "/")
        return await _error(provider, bucket, config, key, 404, "NoSuchKey", "The specified key does not exist.",
                            request)
    meta = found.meta
    if not _publicly_readable(bucket, lookup, meta):
        return await _error(provider, bucket, config, key, 403, "AccessDenied", "Access Denied", request)
    if meta.get("redirect"):
        return _redirect(301, meta["redirect"])
    if meta.get("storage_class") in om.ARCHIVED and not om.readable_archive(meta, provider.runtime.clock.time()):
        return _page(403, "InvalidObjectState", "The operation is not valid for the object's storage class")
    return await _object_response(provider, bucket, lookup, meta)


async def _error(provider, bucket, config, key, status, code, message, request) -> HttpResponse:
    routed = _routing_redirect(config, key, status, request)
    if routed is not None:
        return routed
    document = (config.get("ErrorDocument") or {}).get("Key")
    if document:
        found = provider.index.latest(bucket["name"], document)
        if found is not None and not found.marker and _publicly_readable(bucket, document, found.meta):
            return await _object_response(provider, bucket, document, found.meta, status)
    return _page(status, code, message, {"Key": key} if status == 404 else None)
