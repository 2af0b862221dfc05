"""Browser form uploads: a POST to a bucket with multipart/form-data (what boto3's
generate_presigned_post prepares), answered as S3 answers it.

The form's fields come first and the file last (S3 ignores parts after the file). A signed form
carries a policy (base64 JSON: an expiration and conditions) and its signature: SigV4
(x-amz-signature, the HMAC of the base64 policy under the signing key of x-amz-credential) or
SigV2 (signature, under AWSAccessKeyId's secret). The policy must be unexpired and every
condition met, and every field must be named by a condition; a form whose key's secret is known
is refused when its signature does not match, as presigned URLs are. The file streams into
PutObject as any upload does (memory stays flat), with the content-length-range enforced while
it arrives, so a refused upload stores nothing.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
from urllib.parse import quote, urlencode

from python_multipart.multipart import MultipartParser, parse_options_header

from ...core.accounts import DEFAULT_REGION, resolve_access_key
from ...core.clock import parse_when
from ...gateway.ids import new_request_id
from ...gateway.sigv4.credentials import Credentials
from ...gateway.sigv4.signing import _same_signature, _sign, _signing_key
from ...protocol.errors import ServiceError
from ...protocol.http import BodyStream, HttpResponse
from ...protocol.parsers._xml import MalformedXml, parse_xml
from ...protocol.serializers._xml import escape
from ..base import RequestContext
from . import cors
from .objects import MAX_PUT_BYTES

log = logging.getLogger("pocketcloud.s3")

MAX_FIELDS_BYTES = 20 * 1024  # the form fields before the file: S3's limit
# Fields a policy need not name: the signature itself, the policy, the file, x-ignore-*.
_UNCHECKED = frozenset(("x-amz-signature", "policy", "file", "awsaccesskeyid", "signature"))
# Form fields that become PutObject parameters as they are.
_PARAMS = {"content-type": "ContentType", "cache-control": "CacheControl", "content-disposition":
           "ContentDisposition", "content-encoding": "ContentEncoding", "acl": "ACL",
           "x-amz-storage-class": "StorageClass", "x-amz-server-side-encryption": "ServerSideEncryption",
           "x-amz-server-side-encryption-aws-kms-key-id": "SSEKMSKeyId",
           "x-amz-website-redirect-location": "WebsiteRedirectLocation"}


class _Form:
    """A multipart/form-data body parsed as it arrives: fields in `fields` (lower-case names),
    the file's bytes in `pending` until taken."""

    def __init__(self, boundary: bytes):
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.file_started = self.file_ended = False
        self.pending: list[bytes] = []
        self._size = 0
        self._name: str | None = None
        self._value: list[bytes] = []
        self._header: list[bytes] = []
        self._header_value: list[bytes] = []
        self._disposition: bytes | None = None
        self._in_file = False
        self.parser = MultipartParser(boundary, {
            "on_part_begin": self._begin, "on_part_data": self._data, "on_part_end": self._end,
            "on_header_field": lambda d, s, e: self._header.append(d[s:e]),
            "on_header_value": lambda d, s, e: self._header_value.append(d[s:e]),
            "on_header_end": self._header_end, "on_headers_finished": self._headers_done})

    def feed(self, data: bytes) -> None:
        if data and not self.file_ended:
            try:
                self.parser.write(data)
            except ServiceError:
                raise
            except Exception:  # the parser's MultipartParseError and the like
                raise _malformed() from None

    def _begin(self) -> None:
        self._name, self._value, self._disposition = None, [], None

    def _header_end(self) -> None:
        if b"".join(self._header).lower() == b"content-disposition":
            self._disposition = b"".join(self._header_value)
        self._header, self._header_value = [], []

    def _headers_done(self) -> None:
        if self.file_ended:
            return
        _, options = parse_options_header(self._disposition or b"")
        self._name = options.get(b"name", b"").decode("utf-8", "replace").lower()
        if self._name == "file":
            self.file_started = self._in_file = True
            self.filename = options.get(b"filename", b"").decode("utf-8", "replace")

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self.file_ended:
            return
        if self._in_file:
            self.pending.append(bytes(data[start:end]))
            return
        self._size += end - start
        if self._size > MAX_FIELDS_BYTES:
            raise ServiceError("MaxPostPreDataLengthExceeded",
                               "Your POST request fields preceding the upload file were too large.", 400)
        self._value.append(bytes(data[start:end]))

    def _end(self) -> None:
        if self._in_file:
            self._in_file, self.file_ended = False, True
        elif self._name and not self.file_ended:
            self.fields.setdefault(self._name, b"".join(self._value).decode("utf-8", "replace"))


def _malformed() -> ServiceError:
    return ServiceError("MalformedPOSTRequest", "The body of your POST request is not well-formed "
                        "multipart/form-data.", 400)


def _denied(detail: str) -> ServiceError:
    return ServiceError("AccessDenied", f"Invalid according to Policy: {detail}", 403)


def _check_policy(policy: dict, fields: dict, bucket: str, now: float) -> tuple[int, int] | None:
    """Refuse a form its policy does not allow; the content-length-range, if any."""
    try:
        expires = parse_when(str(policy["expiration"]))
        conditions = list(policy.get("conditions") or [])
    except (KeyError, TypeError, ValueError):
        raise ServiceError("InvalidPolicyDocument", "Invalid Policy: Invalid 'expiration' value.", 400) from None
    if expires.timestamp() <= now:
        raise _denied("Policy expired.")
    values = dict(fields, bucket=bucket)
    named, size_range = {"bucket"}, None
    for condition in conditions:
        if isinstance(condition, dict) and len(condition) == 1:
            (name, expected), = condition.items()
            op, name = "eq", name.lower()
        elif isinstance(condition, list) and len(condition) == 3:
            op = str(condition[0]).lower()
            if op == "content-length-range":
                try:
                    size_range = (int(condition[1]), int(condition[2]))
                except (TypeError, ValueError):
                    raise ServiceError("InvalidPolicyDocument", "Invalid Policy: Invalid content-length-range.",
                                       400) from None
                continue
            name, expected = str(condition[1]).lstrip("$").lower(), condition[2]
        else:
            raise ServiceError("InvalidPolicyDocument", "Invalid Policy: Invalid Simple-Condition: "
                               "Simple-Conditions must have exactly one property specified.", 400)
        named.add(name)
        actual = values.get(name, "")
        if op == "eq" and actual != str(expected) or op == "starts-with" and not actual.startswith(str(expected)):
            raise _denied(f"Policy Condition failed: {json.dumps(condition)}")
        if op not in ("eq", "starts-with"):
            raise ServiceError("InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {op}", 400)
    extra = sorted(name for name in fields if name not in named and name not in _UNCHECKED
                   and not name.startswith("x-ignore-"))
    if extra:
        raise _denied(f"Extra input fields: {', '.join(extra)}")
    return size_range


def _credentials(gateway, fields: dict, policy_text: str):
    """The signer's Credentials, the form's signature checked when its key's secret is known:
    SigV4 (x-amz-credential, x-amz-signature: hex HMAC-SHA256 under the signing key) or SigV2
    (AWSAccessKeyId, signature: base64 HMAC-SHA1 under the secret)."""
    credential = fields.get("x-amz-credential")
    if credential is not None:
        scope = credential.split("/")
        if len(scope) != 5 or fields.get("x-amz-algorithm") != "AWS4-HMAC-SHA256" or "x-amz-signature" not in fields:
            raise ServiceError("InvalidArgument", "Bucket POST must contain a valid x-amz-credential, "
                               "x-amz-algorithm and x-amz-signature.", 400)
        creds = Credentials(scope[0], scope[1], scope[2], scope[3], [], fields["x-amz-signature"], True,
                            fields.get("x-amz-date"), None, fields.get("x-amz-security-token"))
    elif "awsaccesskeyid" in fields:
        if "signature" not in fields:
            raise ServiceError("InvalidArgument", "Bucket POST must contain a field named 'signature'.", 400)
        creds = Credentials(fields["awsaccesskeyid"], "", None, "", [], fields["signature"], True, None, None,
                            fields.get("x-amz-security-token"), version=2)
    else:
        return None
    _, secret, _ = resolve_access_key(creds.access_key)
    if secret is None:
        if gateway.settings.enforce_signatures:
            raise ServiceError("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our "
                               "records.", 403, AWSAccessKeyId=creds.access_key)
        return creds
    if creds.version == 4:
        expected = _sign(_signing_key(secret, creds.date, creds.region, creds.service), policy_text)
    else:
        expected = base64.b64encode(hmac.digest(secret.encode(), policy_text.encode(), "sha1")).decode()
    if not _same_signature(expected, creds.signature):
        raise ServiceError("SignatureDoesNotMatch", "The request signature we calculated does not match the "
                           "signature you provided. Check your key and signing method.", 403)
    return creds


async def handle(gateway, request, receive) -> HttpResponse:
    try:
        return await _upload(gateway, request, receive)
    except ServiceError as error:
        return cors._error(error.status, error.code, error.message)
    except Exception:  # a bug of ours: still an S3-shaped answer
        log.exception("form upload to %s failed", request.path)
        return cors._error(500, "InternalError", "We encountered an internal error. Please try again.")


async def _upload(gateway, request, receive) -> HttpResponse:
    bucket = cors.bucket_of(request)
    _, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if not bucket or not boundary:
        raise _malformed()
    form = _Form(boundary)
    more = True
    while more and not form.file_started:
        message = await receive()
        form.feed(message.get("body", b""))
        more = message.get("more_body", False)
    fields = form.fields
    if not form.file_started:
        raise ServiceError("InvalidArgument", "POST requires exactly one file upload per request.", 400)
    if "key" not in fields:
        raise ServiceError("InvalidArgument", "Bucket POST must contain a field named 'key'.  If it is specified, "
                           "please check the order of the fields.", 400)
    key = fields["key"].replace("${filename}", form.filename or "")
    size_range = None
    creds = None
    if "policy" in fields:
        try:
            policy = json.loads(base64.b64decode(fields["policy"], validate=True))
        except ValueError:
            raise ServiceError("InvalidPolicyDocument", "Invalid Policy: Invalid JSON.", 400) from None
        if not isinstance(policy, dict):
            raise ServiceError("InvalidPolicyDocument", "Invalid Policy: Invalid JSON.", 400)
        creds = _credentials(gateway, fields, fields["policy"])
        if creds is None:
            raise ServiceError("InvalidArgument", "Bucket POST must contain a field named 'X-Amz-Credential'.  If "
                               "it is specified, please check the order of the fields.", 400)
        size_range = _check_policy(policy, fields, bucket, gateway.runtime.clock.time())
    elif gateway.settings.enforce_signatures:
        raise ServiceError("AccessDenied", "Access Denied", 403)

    low, high = size_range or (0, MAX_PUT_BYTES)

    async def file_chunks():
        nonlocal more
        received = 0
        while True:
            while form.pending:
                chunk = form.pending.pop(0)
                received += len(chunk)
                if received > high:
                    raise ServiceError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
                                       400, MaxSizeAllowed=high)
                yield chunk
            if form.file_ended or not more:
                break
            message = await receive()
            form.feed(message.get("body", b""))
            more = message.get("more_body", False)
        if not form.file_ended:
            raise ServiceError("IncompleteBody", "The request body terminated unexpectedly", 400)
        if received < low:
            raise ServiceError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size",
                               400, MinSizeAllowed=low)

    params = {"Bucket": bucket, "Key": key, "Body": BodyStream(file_chunks())}
    for name, value in fields.items():
        if name in _PARAMS:
            params[_PARAMS[name]] = value
        elif name.startswith("x-amz-meta-"):
            params.setdefault("Metadata", {})[name[len("x-amz-meta-"):]] = value
    if "tagging" in fields:
        params["Tagging"] = _tagging(fields["tagging"])
    account, _, principal = resolve_access_key(creds.access_key if creds else None)
    region = (creds.region if creds else None) or DEFAULT_REGION
    request_id = new_request_id()
    ctx = RequestContext(gateway.runtime, "s3", "PutObject", "rest-xml", account, region,
                         creds.access_key if creds else None, principal, request, request_id)
    if gateway.settings.enforce_iam or (creds is not None and creds.access_key.startswith("ASIA")):
        await gateway.authorize(ctx, params, creds)
    result = await gateway.providers.provider("s3").put_object(ctx, params)
    return _answer(request, fields, bucket, key, result["ETag"])


def _tagging(document: str) -> str:
    """The form's tagging field (a <Tagging> XML document) as PutObject's Tagging (k=v&...)."""
    try:
        root = parse_xml(document.encode("utf-8"))
    except MalformedXml:
        raise ServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate "
                           "against our published schema", 400) from None
    pairs = []
    for tag_set in (c for c in root.children if c.tag == "TagSet"):
        for tag in (c for c in tag_set.children if c.tag == "Tag"):
            parts = {c.tag: c.text_value() for c in tag.children}
            pairs.append((parts.get("Key", ""), parts.get("Value", "")))
    return urlencode(pairs)


def _answer(request, fields: dict, bucket: str, key: str, etag: str) -> HttpResponse:
    location = f"http://{request.headers.get('host', 'localhost')}/{quote(bucket)}/{quote(key)}"
    headers = [("ETag", etag), ("Location", location), *cors.request_id_headers()]
    redirect = fields.get("success_action_redirect") or fields.get("redirect")
    if redirect:
        joiner = "&" if "?" in redirect else "?"
        target = f"{redirect}{joiner}bucket={quote(bucket)}&key={quote(key)}&etag={quote(etag)}"
        return HttpResponse(303, [("Location", target), *headers[2:]], b"")
    status = fields.get("success_action_status")
    if status == "201":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>'
                f"<Location>{escape(location)}</Location><Bucket>{escape(bucket)}</Bucket><Key>{escape(key)}</Key>"
                f"<ETag>{escape(etag)}</ETag></PostResponse>").encode()
        return HttpResponse(201, [("Content-Type", "application/xml"), *headers], body)
    return HttpResponse(200 if status == "200" else 204, headers, b"")
