"""Object operations: put, get, head, delete (one and many), copy, tagging, ACL, restore."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone
from urllib.parse import unquote

from ...protocol.errors import ServiceError
from ...protocol.http import BodyStream
from . import checksums, cors, errors
from . import objectmeta as om
from .blobs import INLINE_MAX, Digests
from .objectlock import LOCK_PARAMS

MAX_PUT_BYTES = 5 * 1024 ** 3
MAX_KEY_BYTES = om.MAX_KEY_BYTES
_HEADER_FIELDS = frozenset(om.HEADER_FIELDS)
_RARE_FIELDS = _HEADER_FIELDS | {"WebsiteRedirectLocation", "ACL"}  # new_meta's optional members
_READ_CONDITIONS = frozenset(("IfMatch", "IfNoneMatch", "IfModifiedSince", "IfUnmodifiedSince"))
# GET's response-* query parameters: the header each one overrides.
_OVERRIDDEN = tuple((name, "Response" + name) for name in (
    "CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "ContentType", "Expires"))
_RESPONSE_OVERRIDES = frozenset(param for _, param in _OVERRIDDEN)


def _too_large(size: int | None = None):
    def make():
        return ServiceError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400,
                            ProposedSize=size, MaxSizeAllowed=MAX_PUT_BYTES)
    return make


async def _iterate(chunks):
    """An async source for BlobFiles.write from what BlobFiles.read returns (bytes or chunks)."""
    if isinstance(chunks, bytes):
        yield chunks
        return
    if hasattr(chunks, "__aiter__"):
        async for chunk in chunks:
            yield chunk
        return
    for chunk in chunks:
        yield chunk


def _check_if_match(found, key: str, if_match: str) -> None:
    """If-Match of a write or delete against the version it would replace or remove: none (or a
    delete marker) is NoSuchKey; another ETag is 412 PreconditionFailed; "*" matches any."""
    if found is None or found.marker:
        raise errors.no_such_key(key)
    if if_match != "*" and if_match.strip('"') != found.etag.strip('"'):
        raise errors.precondition_failed("If-Match")


def as_source(body):
    if body is None or isinstance(body, BodyStream):
        return body
    if isinstance(body, (bytes, bytearray)):
        return BodyStream.from_bytes(bytes(body)) if body else None
    if isinstance(body, str):
        return BodyStream.from_bytes(body.encode())
    return _iterate(body)


class ObjectOps:
    # -- shared pieces ----------------------------------------------------------------------------
    def versioned(self, bucket: dict) -> bool:
        return bucket.get("versioning") == "Enabled"

    def find(self, bucket: dict, key: str, version_id: str | None):
        """The version a request names: NoSuchKey / NoSuchVersion, and delete markers as S3
        answers them (404 with x-amz-delete-marker, or 405 when named by version id)."""
        if version_id is None:
            found = self.index.latest(bucket["name"], key)
            if found is None:
                raise errors.no_such_key(key)
            if found.marker:
                error = errors.no_such_key(key)
                error.fields["__headers__"] = {"x-amz-delete-marker": "true",
                                               **({"x-amz-version-id": found.version_id}
                                                  if found.version_id != "null" else {})}
                raise error
            return found
        self.check_version_id(version_id)
        found = self.index.version(bucket["name"], key, version_id)
        if found is None:
            raise errors.no_such_version(key, version_id)
        if found.marker:
            raise errors.method_not_allowed(__headers__={"x-amz-delete-marker": "true",
                                                         "x-amz-version-id": version_id,
                                                         "Allow": "DELETE"})
        return found

    @staticmethod
    def check_accelerate(bucket: dict, request) -> None:
        """Requests through the accelerate endpoint (<bucket>.s3-accelerate[.dualstack].<domain>)
        need Transfer Acceleration enabled on the bucket."""
        if ".s3-accelerate" in request.headers.get("host", "") and bucket.get("accelerate") != "Enabled":
            raise errors.invalid_request("S3 Transfer Acceleration is not configured on this bucket")

    @staticmethod
    def check_version_id(version_id: str) -> None:
        if version_id != "null" and len(version_id) != 32:
            raise errors.invalid_argument("Invalid version id specified", "versionId", version_id)

    async def write_body(self, source, data_key: bytes, params: dict, headers: dict, limit: int,
                         default_checksum: bool = True):
        """Stream a body into a new segment; verify Content-MD5 and the additional checksum.
        Returns (segment, size, MD5 hash object, checksum algorithm or None, checksum value)."""
        algorithm, sent = checksums.requested(params, headers)
        if algorithm is None and default_checksum:
            algorithm = checksums.DEFAULT
        held = source.held() if type(source) is BodyStream else None
        if held is not None and len(held) <= INLINE_MAX:  # read whole by the gateway: sealed here
            size, md5 = len(held), hashlib.md5(held)
            value = checksums.of(algorithm, held) if algorithm else None
            segment = self.blobs.inline_segment(data_key, held)
        else:
            hasher = checksums.hasher(algorithm) if algorithm else None
            digests = Digests([hasher] if hasher else ())
            segment = await self.blobs.write(source, data_key, digests, limit, _too_large())
            size, md5 = digests.size, digests.md5
            value = checksums.encode(hasher.digest()) if hasher else None
        try:
            md5_sent = params.get("ContentMD5")
            if md5_sent is not None:
                try:
                    raw = base64.b64decode(md5_sent, validate=True)
                except ValueError:
                    raw = b""
                if len(raw) != 16:
                    raise ServiceError("InvalidDigest", "The Content-MD5 you specified was invalid.", 400,
                                       **{"Content-MD5": md5_sent})
                if raw != md5.digest():
                    raise ServiceError("BadDigest", "The Content-MD5 you specified did not match what we received.",
                                       400, ExpectedDigest=md5_sent, CalculatedDigest=base64.b64encode(
                                           md5.digest()).decode())
            if value is not None:
                if sent is None and getattr(source, "trailers", None):
                    sent = source.trailers.get("x-amz-checksum-" + algorithm.lower())
                checksums.check(algorithm, sent, value)
        except ServiceError:
            self.blobs.delete([segment])
            raise
        return segment, size, md5, algorithm, value

    def commit_version(self, bucket: dict, key: str, meta: dict, event: str | None = None, ctx=None) -> None:
        """Write a new version (and the event it causes, in the same transaction: NotificationOps)."""
        self._after_commit(*self.index_with_event(bucket, key, meta, event, ctx))

    def _after_commit(self, removed: list[dict], pending: dict | None) -> None:
        """Once a version is durable: the bodies it replaced go, its event is sent."""
        for old in removed:
            self.blobs.delete(old.get("segments", ()))
        if pending is not None:
            self.send_event(pending)

    def _index_version(self, bucket: dict, key: str, meta: dict) -> list[dict]:
        state = bucket.get("versioning")
        if state is None:  # never versioned: one row per key
            meta["version_id"] = "null"
            return self.index.put_only_version(bucket["name"], key, meta)
        versioned = self.versioned(bucket)
        meta["version_id"] = om.new_version_id() if versioned else "null"
        return self.index.add(bucket["name"], key, meta["version_id"], meta, replace_null=not versioned)

    # -- PUT ----------------------------------------------------------------------------------------
    # PutObject is S3's hottest write: what a request does not ask for (conditions, ACLs, metadata,
    # tags, SSE headers, a lifecycle or CORS on its bucket) costs it a lookup, not a call.
    async def put_object(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        key = params["Key"]
        if len(key) > MAX_KEY_BYTES // 4:  # shorter keys cannot exceed the limit in UTF-8
            om.check_key(key)
        request = ctx.request
        self.check_accelerate(bucket, request)
        declared = params.get("ContentLength")
        if declared is not None and declared > MAX_PUT_BYTES:
            raise _too_large(declared)()
        conditional = params.get("IfNoneMatch") is not None or params.get("IfMatch") is not None
        if conditional:
            self.check_write_conditions(bucket, key, params)
        if params.get("ACL"):
            self.check_acl_allowed(bucket, params)
        storage_class = params.get("StorageClass")
        storage_class = "STANDARD" if storage_class is None else om.check_storage_class(storage_class)
        metadata = params.get("Metadata")
        metadata = om.check_metadata(metadata) if metadata else {}
        tags = params.get("Tagging")
        tags = om.parse_tagging_header(tags) if tags else {}
        sse = self.sse.master_key_for(bucket, params)
        data_key, enc, enc_fields = sse if sse is not None else \
            await self.sse.for_new_object(ctx.account, ctx.region, bucket, key, params)
        segment, size, md5, algorithm, value = await self.write_body(
            as_source(params.get("Body")), data_key, params, request.headers, MAX_PUT_BYTES)
        meta = self.new_meta(ctx, params, size, f'"{md5.hexdigest()}"', storage_class, metadata,
                             tags, enc, [segment])
        if algorithm:
            meta["checksum_algorithm"], meta["checksum"], meta["checksum_type"] = algorithm, value, "FULL_OBJECT"
        if bucket.get("object_lock") or not LOCK_PARAMS.isdisjoint(params):
            meta.update(self.lock_fields(bucket, params, meta["modified"]))
        if conditional:
            self.check_write_conditions(bucket, key, params)  # again: another writer may have won meanwhile
            self.commit_version(bucket, key, meta, "ObjectCreated:Put", ctx)  # check and write with no await between
        else:
            # commit_version, the index write sharing a commit with concurrent PUTs (written
            # here, not in a coroutine of its own: one level less for the wait to resume);
            # replaced bodies are deleted only once the new version is durable.
            try:
                removed, pending = await self.writes.run(
                    lambda: self.index_with_event(bucket, key, meta, "ObjectCreated:Put", ctx))
            except Exception:
                self.index.forget_cached()  # the group was rolled back: cached versions may be unwritten
                raise
            self._after_commit(removed, pending)
        out = {"ETag": meta["etag"], **enc_fields}
        if self.versioned(bucket):
            out["VersionId"] = meta["version_id"]
        if algorithm:
            out["Checksum" + algorithm] = value
            out["ChecksumType"] = "FULL_OBJECT"
        if bucket.get("lifecycle"):
            expiration = self.expiration_header(bucket, key, meta)
            if expiration:
                out["Expiration"] = expiration
        if bucket.get("cors"):
            out["__headers__"] = cors.headers_for(bucket, ctx.request)
        return out

    def new_meta(self, ctx, params, size, etag, storage_class, metadata, tags, enc, segments) -> dict:
        # What an object has not got (a Content-Type, standard headers, user metadata, tags) is
        # left out rather than stored empty: every reader takes its absence for "none", and each
        # field fewer is less for every PUT to encode and every cold GET to decode.
        meta = {"size": size, "etag": etag, "modified": ctx.runtime.clock.stamp(),
                "storage_class": storage_class, "enc": enc, "segments": segments, "owner": ctx.account}
        content_type = params.get("ContentType")
        if content_type is not None:
            meta["content_type"] = content_type
        if metadata:
            meta["metadata"] = metadata
        if tags:
            meta["tags"] = tags
        if not _RARE_FIELDS.isdisjoint(params):  # one test for what few requests send
            if not _HEADER_FIELDS.isdisjoint(params):
                meta["headers"] = {k: params[k] for k in om.HEADER_FIELDS if params.get(k) is not None}
            if params.get("WebsiteRedirectLocation"):
                meta["redirect"] = params["WebsiteRedirectLocation"]
            if params.get("ACL"):
                meta["acl"] = params["ACL"]
        return meta

    def check_write_conditions(self, bucket: dict, key: str, params: dict) -> None:
        if_none_match, if_match = params.get("IfNoneMatch"), params.get("IfMatch")
        if if_none_match is None and if_match is None:
            return
        if if_none_match is not None and if_none_match != "*":
            raise ServiceError("NotImplemented", "A header you provided implies functionality that is not "
                               "implemented", 501, Header="If-None-Match")
        current = self.index.latest(bucket["name"], key)
        if if_none_match == "*" and current is not None and not current.marker:
            raise errors.precondition_failed("If-None-Match")
        if if_match is not None:
            _check_if_match(current, key, if_match)

    def check_delete_condition(self, bucket: dict, key: str, version_id: str | None, if_match: str) -> None:
        """A conditional delete (If-Match on DeleteObject, an entry's ETag in DeleteObjects):
        the version it would remove (the current one, or the one named) must have that ETag,
        as for a conditional write."""
        if version_id is not None:
            self.check_version_id(version_id)
        found = self.index.latest(bucket["name"], key) if version_id is None else \
            self.index.version(bucket["name"], key, version_id)
        _check_if_match(found, key, if_match)

    # -- GET / HEAD ---------------------------------------------------------------------------------
    async def _read(self, ctx, params, with_body: bool):
        # GetObject is S3's hottest read: as for PUT, what a request does not ask for (conditions,
        # ranges, response overrides, SSE-C, a lifecycle or CORS) costs a lookup, not a call.
        bucket = self.buckets.require(params["Bucket"])
        key = params["Key"]
        request = ctx.request
        self.check_accelerate(bucket, request)
        version_id = params.get("VersionId")
        found = self.find(bucket, key, version_id)
        meta = found.meta
        now = ctx.runtime.clock.time()
        if not _READ_CONDITIONS.isdisjoint(params):
            om.check_read_conditions(meta, params.get("IfMatch"), params.get("IfNoneMatch"),
                                     params.get("IfModifiedSince"), params.get("IfUnmodifiedSince"), now)
        storage_class = meta.get("storage_class")
        tiering = self.tiering_read(bucket, found, with_body, now) if storage_class == "INTELLIGENT_TIERING" else None
        if with_body and storage_class in om.ARCHIVED and not om.readable_archive(meta, now):
            raise ServiceError("InvalidObjectState", "The operation is not valid for the object's storage class",
                               403, StorageClass=meta["storage_class"])
        enc = meta["enc"]
        data_key = self.sse.key_at_hand(enc, params)
        if data_key is None:
            data_key = await self.sse.kms_key(enc)
        out = om.response_fields(meta, params.get("ChecksumMode") == "ENABLED", now, False)
        out.update(self.sse.response_fields(enc))
        if "lock_mode" in meta or "legal_hold" in meta:
            out.update(self.lock_headers(meta))
        if version_id or self.versioned(bucket) or meta["version_id"] != "null":
            out["VersionId"] = meta["version_id"]
        if bucket.get("lifecycle"):
            expiration = self.expiration_header(bucket, key, meta)
            if expiration:
                out["Expiration"] = expiration
        size = meta["size"]
        start, end = 0, size
        part_number = params.get("PartNumber")
        if part_number is not None:
            start, end = self.part_range(meta, part_number)
            out["ContentRange"] = f"bytes {start}-{end - 1}/{size}" if size else None
            out["PartsCount"] = meta.get("parts") or 1
            out["__status__"] = 206 if meta.get("parts") else 200
        elif "Range" in params:
            ranged = om.parse_range(params.get("Range"), size)
            if ranged is not None:
                start, end = ranged
                out["ContentRange"] = f"bytes {start}-{end - 1}/{size}"
                out["__status__"] = 206
                out.pop("Checksum" + (meta.get("checksum_algorithm") or ""), None)
        out["ContentLength"] = end - start
        if not _RESPONSE_OVERRIDES.isdisjoint(params):
            for name, param in _OVERRIDDEN:
                override = params.get(param)
                if override is not None:
                    out[name] = override
        if with_body:
            out["Body"] = self.blobs.read(meta["segments"], data_key, start, end) if end > start else b""
        if bucket.get("cors"):
            out["__headers__"] = cors.headers_for(bucket, ctx.request)
        if tiering:
            self.add_tiering_fields(out, tiering)
        return out

    def part_range(self, meta: dict, number: int) -> tuple[int, int]:
        sizes = meta.get("part_sizes") or [meta["size"]]
        if number < 1 or number > len(sizes):
            raise ServiceError("InvalidPartNumber", "The requested partnumber is not satisfiable", 416,
                               PartNumberRequested=number, ActualPartCount=len(sizes))
        start = sum(sizes[:number - 1])
        return start, start + sizes[number - 1]

    async def get_object(self, ctx, params):
        return await self._read(ctx, params, True)

    async def head_object(self, ctx, params):
        return await self._read(ctx, params, False)

    # -- DELETE -------------------------------------------------------------------------------------
    def delete_one(self, ctx, bucket: dict, key: str, version_id: str | None, bypass: bool = False) -> dict:
        name = bucket["name"]
        if version_id is not None:
            self.check_version_id(version_id)
            if bucket.get("object_lock"):
                found = self.index.version(name, key, version_id)
                self.check_removable(bucket, found.meta if found else None, bypass, ctx.runtime.clock.time())
            removed = self.index.remove(name, key, version_id)
            out = {"VersionId": version_id}
            if removed is not None:
                self.blobs.delete(removed.get("segments", ()))
                if removed.get("marker"):
                    out["DeleteMarker"] = True
                    self.notify(bucket, "ObjectRemoved:Delete", key, removed, ctx)
                else:
                    self.notify(bucket, "ObjectRemoved:Delete", key, removed, ctx)
            return out
        state = bucket.get("versioning")
        if state is None:
            removed = self.index.remove(name, key, "null")
            if removed is not None:
                self.blobs.delete(removed.get("segments", ()))
                self.notify(bucket, "ObjectRemoved:Delete", key, removed, ctx)
            return {}
        marker = {"marker": True, "size": 0, "etag": "", "modified": ctx.runtime.clock.stamp(),
                  "owner": ctx.account}
        self.commit_version(bucket, key, marker, "ObjectRemoved:DeleteMarkerCreated", ctx)
        return {"DeleteMarker": True, "VersionId": marker["version_id"]}

    def delete_object(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        if params.get("IfMatch") is not None:
            self.check_delete_condition(bucket, params["Key"], params.get("VersionId"), params["IfMatch"])
        out = self.delete_one(ctx, bucket, params["Key"], params.get("VersionId"),
                              bool(params.get("BypassGovernanceRetention")))
        out["__status__"] = 204
        return out

    def delete_objects(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        entries = params["Delete"].get("Objects") or []
        if len(entries) > 1000:
            raise errors.malformed_xml()
        quiet = params["Delete"].get("Quiet", False)
        deleted, failed = [], []
        for entry in entries:
            key, version_id = entry["Key"], entry.get("VersionId")
            try:
                if entry.get("ETag") is not None:
                    self.check_delete_condition(bucket, key, version_id, entry["ETag"])
                out = self.delete_one(ctx, bucket, key, version_id, bool(params.get("BypassGovernanceRetention")))
            except ServiceError as error:
                failed.append({"Key": key, "Code": error.code, "Message": error.message,
                               **({"VersionId": version_id} if version_id else {})})
                continue
            if quiet:
                continue
            item = {"Key": key}
            if version_id:
                item["VersionId"] = version_id
            if out.get("DeleteMarker"):
                item["DeleteMarker"] = True
                if version_id is None:
                    item["DeleteMarkerVersionId"] = out["VersionId"]
                else:
                    item["DeleteMarkerVersionId"] = version_id
            deleted.append(item)
        return {"Deleted": deleted, "Errors": failed}

    # -- COPY ---------------------------------------------------------------------------------------
    def copy_source(self, text: str) -> tuple[dict, str, str | None]:
        text = unquote(text)
        version_id = None
        if "?versionId=" in text:
            text, version_id = text.split("?versionId=", 1)
        bucket_name, sep, key = text.lstrip("/").partition("/")
        if not sep or not key:
            raise errors.invalid_argument("Invalid copy source object key", "x-amz-copy-source", text)
        return self.buckets.require(bucket_name), key, version_id

    async def read_source(self, ctx, params, prefix: str = "CopySource"):
        """(bucket, version, plaintext iterator factory) of a copy's source, its conditions checked."""
        bucket, key, version_id = self.copy_source(params["CopySource"])
        found = self.find(bucket, key, version_id)
        meta = found.meta
        now = ctx.runtime.clock.time()
        om.check_read_conditions(meta, params.get(prefix + "IfMatch"), params.get(prefix + "IfNoneMatch"),
                                 params.get(prefix + "IfModifiedSince"), params.get(prefix + "IfUnmodifiedSince"),
                                 now, copy=True)
        if meta.get("storage_class") == "INTELLIGENT_TIERING":
            self.tiering_read(bucket, found, True, now)  # an access; archived tiers cannot be copied
        if meta.get("storage_class") in om.ARCHIVED and not om.readable_archive(meta, now):
            raise ServiceError("InvalidObjectState", "The source object of the COPY action is not in the active "
                               "tier and is only stored in Amazon S3 Glacier.", 403)
        data_key = await self.sse.data_key(meta["enc"], params, "CopySourceSSECustomer")
        return bucket, found, data_key

    async def copy_object(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        key = params["Key"]
        om.check_key(key)
        src_bucket, src, src_key = await self.read_source(ctx, params)
        meta = src.meta
        directive = params.get("MetadataDirective", "COPY")
        tag_directive = params.get("TaggingDirective", "COPY")
        if directive not in ("COPY", "REPLACE") or tag_directive not in ("COPY", "REPLACE"):
            raise errors.invalid_argument("Unknown metadata directive.", "x-amz-metadata-directive", directive)
        same = src_bucket["name"] == bucket["name"] and src.key == key
        changes = directive == "REPLACE" or params.get("StorageClass") or params.get("ServerSideEncryption") \
            or params.get("SSECustomerKey") or params.get("WebsiteRedirectLocation") or params.get("SSEKMSKeyId")
        if same and not changes:
            raise errors.invalid_request("This copy request is illegal because it is trying to copy an object to "
                                         "itself without changing the object's metadata, storage class, website "
                                         "redirect location or encryption attributes.")
        if meta["size"] > MAX_PUT_BYTES:
            raise errors.invalid_request("The specified copy source is larger than the maximum allowable size for a "
                                         "copy source: 5368709120")
        self.check_write_conditions(bucket, key, params)
        storage_class = om.check_storage_class(params.get("StorageClass"))
        if directive == "REPLACE":
            fields = params
            metadata = om.check_metadata(params.get("Metadata"))
        else:
            fields = {"ContentType": meta.get("content_type"), **(meta.get("headers") or {}),
                      "WebsiteRedirectLocation": params.get("WebsiteRedirectLocation") or meta.get("redirect")}
            metadata = meta.get("metadata") or {}
        tags = om.parse_tagging_header(params.get("Tagging")) if tag_directive == "REPLACE" else \
            dict(meta.get("tags") or {})
        data_key, enc, enc_fields = await self.sse.for_new_object(ctx.account, ctx.region, bucket, key, params)
        algorithm = params.get("ChecksumAlgorithm") or meta.get("checksum_algorithm")
        segment, size, md5, algorithm, value = await self.write_body(
            _iterate(self.blobs.read(meta["segments"], src_key)), data_key,
            {"ChecksumAlgorithm": algorithm} if algorithm else {}, {}, MAX_PUT_BYTES)
        new = self.new_meta(ctx, fields, size, f'"{md5.hexdigest()}"', storage_class, metadata,
                            tags, enc, [segment])
        if algorithm:
            new.update(checksum_algorithm=algorithm, checksum=value, checksum_type="FULL_OBJECT")
        if bucket.get("object_lock") or not LOCK_PARAMS.isdisjoint(params):
            new.update(self.lock_fields(bucket, params, new["modified"]))  # the copy's own, not the source's
        self.commit_version(bucket, key, new, "ObjectCreated:Copy", ctx)
        result = {"ETag": new["etag"], "LastModified": datetime.fromtimestamp(int(new["modified"]), timezone.utc)}
        if algorithm:
            result["Checksum" + algorithm] = value
        out = {"CopyObjectResult": result, **enc_fields}
        if src.version_id != "null":
            out["CopySourceVersionId"] = src.version_id
        if self.versioned(bucket):
            out["VersionId"] = new["version_id"]
        return out

    # -- tagging, ACL, attributes -------------------------------------------------------------------
    def _version_for_update(self, params):
        bucket = self.buckets.require(params["Bucket"])
        found = self.find(bucket, params["Key"], params.get("VersionId"))
        return bucket, found

    def put_object_tagging(self, ctx, params):
        bucket, found = self._version_for_update(params)
        found.meta["tags"] = om.tag_set(params["Tagging"].get("TagSet"))
        self.index.update(bucket["name"], found.key, found.version_id, found.meta)
        self.notify(bucket, "ObjectTagging:Put", found.key, found.meta, ctx)
        return {"VersionId": found.version_id} if found.version_id != "null" else {}

    def get_object_tagging(self, ctx, params):
        bucket, found = self._version_for_update(params)
        out = {"TagSet": om.tag_list(found.meta.get("tags") or {})}
        if found.version_id != "null":
            out["VersionId"] = found.version_id
        return out

    def delete_object_tagging(self, ctx, params):
        bucket, found = self._version_for_update(params)
        found.meta["tags"] = {}
        self.index.update(bucket["name"], found.key, found.version_id, found.meta)
        self.notify(bucket, "ObjectTagging:Delete", found.key, found.meta, ctx)
        out = {"__status__": 204}
        if found.version_id != "null":
            out["VersionId"] = found.version_id
        return out

    def put_object_acl(self, ctx, params):
        bucket, found = self._version_for_update(params)
        self.check_acl_allowed(bucket, params)
        found.meta["acl"] = params.get("ACL") or "private"
        self.index.update(bucket["name"], found.key, found.version_id, found.meta)
        return {}

    def get_object_acl(self, ctx, params):
        bucket, found = self._version_for_update(params)
        return self.acl_document(found.meta.get("owner") or bucket["owner"], found.meta.get("acl") or "private")

    def get_object_attributes(self, ctx, params):
        bucket, found = self._version_for_update(params)
        meta = found.meta
        wanted = set(params.get("ObjectAttributes") or [])
        out = {"LastModified": datetime.fromtimestamp(int(meta["modified"]), timezone.utc)}
        if found.version_id != "null":
            out["VersionId"] = found.version_id
        if "ETag" in wanted:
            out["ETag"] = meta["etag"].strip('"')
        if "ObjectSize" in wanted:
            out["ObjectSize"] = meta["size"]
        if "StorageClass" in wanted:
            out["StorageClass"] = meta.get("storage_class", "STANDARD")
        if "Checksum" in wanted and meta.get("checksum_algorithm"):
            out["Checksum"] = {"Checksum" + meta["checksum_algorithm"]: meta["checksum"],
                               "ChecksumType": meta.get("checksum_type", "FULL_OBJECT")}
        if "ObjectParts" in wanted and meta.get("parts"):
            out["ObjectParts"] = {"TotalPartsCount": meta["parts"]}
        return out

    # -- Glacier restores ---------------------------------------------------------------------------
    def restore_object(self, ctx, params):
        bucket, found = self._version_for_update(params)
        meta = found.meta
        if meta.get("storage_class") == "INTELLIGENT_TIERING":
            return self.restore_tiered(ctx, bucket, found, params)
        if meta.get("storage_class") not in om.ARCHIVED:
            raise ServiceError("InvalidObjectState", "Restore is not allowed for the object's current storage class",
                               403, StorageClass=meta.get("storage_class", "STANDARD"))
        request = params.get("RestoreRequest") or {}
        days = request.get("Days")
        if days is None or days < 1:
            raise errors.malformed_xml()
        tier = (request.get("GlacierJobParameters") or {}).get("Tier") or request.get("Tier") or "Standard"
        hours = RESTORE_HOURS.get((meta["storage_class"], tier))
        if hours is None:
            raise errors.invalid_argument(f"{tier} retrieval is not available for "
                                          f"{meta['storage_class']} objects", "Tier", tier)
        now = ctx.runtime.clock.time()
        restore = meta.get("restore")
        if restore and now < restore["ready_at"]:
            raise ServiceError("RestoreAlreadyInProgress", "Object restore is already in progress", 409)
        status = 200 if restore and now < restore["expires_at"] else 202
        ready = now if status == 200 else now + hours * 3600
        meta["restore"] = {"ready_at": ready, "expires_at": _next_midnight(ready + days * 86400), "tier": tier}
        self.index.update(bucket["name"], found.key, found.version_id, meta)
        self.notify(bucket, "ObjectRestore:Post", found.key, meta, ctx)
        if status == 202:
            ctx.runtime.scheduler.at(ready, lambda: self.restore_completed(bucket["name"], found.key,
                                                                           found.version_id), "s3-restore")
        return {"__status__": status}

    def restore_completed(self, bucket_name: str, key: str, version_id: str) -> None:
        bucket = self.buckets.get(bucket_name)
        found = self.index.version(bucket_name, key, version_id) if bucket else None
        if found is not None:
            self.notify(bucket, "ObjectRestore:Completed", key, found.meta, None)


# (storage class, tier) -> hours until a restored copy is readable (the upper end of AWS's ranges).
RESTORE_HOURS = {
    ("GLACIER", "Expedited"): 5 / 60, ("GLACIER", "Standard"): 5, ("GLACIER", "Bulk"): 12,
    ("DEEP_ARCHIVE", "Standard"): 12, ("DEEP_ARCHIVE", "Bulk"): 48,
}


def _next_midnight(epoch: float) -> float:
    return (int(epoch) // 86400 + 1) * 86400


