"""Multipart uploads: create, upload part (and part copy), complete, abort, list parts and uploads.

Parts are stored as segments of their own; completing an upload makes the object the list of
its parts' segments, so no data is copied. The ETag is the MD5 of the parts' binary MD5s with
"-N"; additional checksums are COMPOSITE (checksum of the part checksums, "-N") or FULL_OBJECT
(CRCs combined from the parts').
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import datetime, timezone

from ...protocol.errors import ServiceError
from . import checksums, errors
from . import objectmeta as om
from .buckets import owner
from .objects import _iterate, as_source

MIN_PART_BYTES = 5 * 1024 * 1024
MAX_PART_BYTES = 5 * 1024 ** 3
MAX_PARTS = 10000
MAX_OBJECT_BYTES = 5 * 1024 ** 4  # 5 TiB


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(int(epoch), timezone.utc)


def _check_part_number(number: int) -> None:
    if not 1 <= number <= MAX_PARTS:
        raise errors.invalid_argument("Part number must be an integer between 1 and 10000, inclusive",
                                      "partNumber", number)


class MultipartOps:
    async def create_multipart_upload(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        key = params["Key"]
        om.check_key(key)
        algorithm = params.get("ChecksumAlgorithm")
        kind = params.get("ChecksumType")
        if algorithm is not None:
            algorithm = checksums.requested({"ChecksumAlgorithm": algorithm})[0]
            kind = kind or ("FULL_OBJECT" if algorithm == "CRC64NVME" else "COMPOSITE")
            if kind == "FULL_OBJECT" and not checksums.is_crc(algorithm) or \
                    kind == "COMPOSITE" and algorithm == "CRC64NVME":
                raise errors.invalid_request(f"The {algorithm} checksum algorithm does not support the {kind} "
                                             "checksum type")
        elif kind is not None:
            raise errors.invalid_request("The x-amz-checksum-type header can only be used with the "
                                         "x-amz-checksum-algorithm header.")
        # The upload's key is kept as enc says (the master key, a KMS blob, or for SSE-C only its MD5:
        # every part brings the customer key again).
        _, enc, enc_fields = await self.sse.for_new_object(ctx.account, ctx.region, bucket, key, params)
        now = ctx.runtime.clock.time()
        upload_id = base64.urlsafe_b64encode(os.urandom(36)).decode("ascii")
        meta = {"upload_id": upload_id, "bucket": bucket["name"], "key": key, "initiated": now,
                "owner": ctx.account, "enc": enc, "lock": self.lock_fields(bucket, params, now),
                "storage_class": om.check_storage_class(params.get("StorageClass")),
                "content_type": params.get("ContentType"),
                "headers": {k: params[k] for k in om.HEADER_FIELDS if params.get(k) is not None},
                "metadata": om.check_metadata(params.get("Metadata")),
                "tags": om.parse_tagging_header(params.get("Tagging")),
                "checksum_algorithm": algorithm, "checksum_type": kind,
                "redirect": params.get("WebsiteRedirectLocation"), "acl": params.get("ACL")}
        self.index.add_upload(upload_id, bucket["name"], key, now, meta)
        out = {"Bucket": bucket["name"], "Key": key, "UploadId": upload_id, **enc_fields}
        if algorithm:
            out.update(ChecksumAlgorithm=algorithm, ChecksumType=kind)
        return out

    def _upload(self, params) -> tuple[dict, dict]:
        bucket = self.buckets.require(params["Bucket"])
        upload = self.index.upload(bucket["name"], params["UploadId"])
        if upload is None or upload["key"] != params["Key"]:
            raise errors.no_such_upload(params["UploadId"])
        return bucket, upload

    async def _store_part(self, ctx, params, upload: dict, source) -> dict:
        number = params["PartNumber"]
        _check_part_number(number)
        data_key = await self.sse.data_key(upload["enc"], params)
        algorithm = upload.get("checksum_algorithm")
        checksum_params = dict(params) if algorithm is None else {**params, "ChecksumAlgorithm": algorithm}
        sent_alg = checksums.requested(params, ctx.request.headers)[0]
        if algorithm and sent_alg and sent_alg != algorithm:
            raise errors.invalid_request(f"Checksum Type mismatch occurred, expected checksum Type: "
                                         f"{algorithm.lower()}, actual checksum Type: {sent_alg.lower()}")
        segment, size, md5, alg, value = await self.write_body(source, data_key, checksum_params,
                                                               ctx.request.headers, MAX_PART_BYTES,
                                                               default_checksum=False)
        part = {"number": number, "size": size, "etag": f'"{md5.hexdigest()}"', "md5": md5.digest(),
                "modified": ctx.runtime.clock.stamp(), "segment": segment, "checksum_algorithm": alg,
                "checksum": value}
        replaced = self.index.put_part(upload["upload_id"], number, part)
        if replaced is not None:
            self.blobs.delete([replaced["segment"]])
        return part

    def _part_fields(self, upload: dict, part: dict) -> dict:
        out = dict(self.sse.response_fields(upload["enc"]))
        if part.get("checksum_algorithm"):
            out["Checksum" + part["checksum_algorithm"]] = part["checksum"]
        return out

    async def upload_part(self, ctx, params):
        bucket, upload = self._upload(params)
        part = await self._store_part(ctx, params, upload, as_source(params.get("Body")))
        return {"ETag": part["etag"], **self._part_fields(upload, part)}

    async def upload_part_copy(self, ctx, params):
        bucket, upload = self._upload(params)
        _check_part_number(params["PartNumber"])
        src_bucket, src, src_key = await self.read_source(ctx, params)
        size = src.meta["size"]
        start, end = 0, size
        text = params.get("CopySourceRange")
        if text:
            if not text.startswith("bytes=") or "-" not in text:
                raise errors.invalid_argument("The x-amz-copy-source-range value must be of the form "
                                              "bytes=first-last where first and last are the zero-based offsets "
                                              "of the first and last bytes to copy", "x-amz-copy-source-range", text)
            first, _, last = text[6:].partition("-")
            try:
                start, end = int(first), int(last) + 1
            except ValueError:
                raise errors.invalid_argument("Range specified is not valid for source object of size: "
                                              f"{size}", "x-amz-copy-source-range", text) from None
            if start >= end or end > size:
                raise ServiceError("InvalidRange", "The requested range is not satisfiable", 416)
        source = _iterate(self.blobs.read(src.meta["segments"], src_key, start, end))
        part = await self._store_part(ctx, {k: v for k, v in params.items() if not k.startswith("Checksum")},
                                      upload, source)
        out = {"CopyPartResult": {"ETag": part["etag"], "LastModified": _when(part["modified"])},
               **self._part_fields(upload, part)}
        if part.get("checksum_algorithm"):
            out["CopyPartResult"]["Checksum" + part["checksum_algorithm"]] = part["checksum"]
        if src.version_id != "null":
            out["CopySourceVersionId"] = src.version_id
        return out

    async def complete_multipart_upload(self, ctx, params):
        bucket, upload = self._upload(params)
        wanted = (params.get("MultipartUpload") or {}).get("Parts") or []
        if not wanted:
            raise errors.malformed_xml()
        stored = {p["number"]: p for p in self.index.parts(upload["upload_id"])}
        chosen = []
        previous = 0
        for item in wanted:
            number = item.get("PartNumber", 0)
            if number <= previous:
                raise ServiceError("InvalidPartOrder", "The list of parts was not in ascending order. Parts must "
                                   "be ordered by part number.", 400, UploadId=upload["upload_id"])
            previous = number
            part = stored.get(number)
            if part is None or item.get("ETag", "").strip('"') != part["etag"].strip('"'):
                raise ServiceError("InvalidPart", "One or more of the specified parts could not be found.  The part "
                                   "may not have been uploaded, or the specified entity tag may not match the part's "
                                   "entity tag.", 400, UploadId=upload["upload_id"], PartNumber=number,
                                   ETag=item.get("ETag", ""))
            chosen.append(part)
        for part in chosen[:-1]:
            if part["size"] < MIN_PART_BYTES:
                raise ServiceError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size",
                                   400, ProposedSize=part["size"], MinSizeAllowed=MIN_PART_BYTES,
                                   PartNumber=part["number"], ETag=part["etag"])
        size = sum(p["size"] for p in chosen)
        if size > MAX_OBJECT_BYTES:
            raise ServiceError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400,
                               ProposedSize=size, MaxSizeAllowed=MAX_OBJECT_BYTES)
        expected = params.get("MpuObjectSize")  # x-amz-mp-object-size: the size the client meant to upload
        if expected is not None and expected != size:
            raise errors.invalid_request(f"The provided 'x-amz-mp-object-size' header value {expected} does not "
                                         f"match the size of the parts: {size}")
        self.check_write_conditions(bucket, upload["key"], params)
        etag = f'"{hashlib.md5(b"".join(p["md5"] for p in chosen)).hexdigest()}-{len(chosen)}"'
        meta = {"size": size, "etag": etag, "modified": ctx.runtime.clock.stamp(),
                "storage_class": upload["storage_class"], "content_type": upload.get("content_type"),
                "headers": upload.get("headers") or {}, "metadata": upload.get("metadata") or {},
                "tags": upload.get("tags") or {}, "enc": upload["enc"], "owner": upload["owner"],
                "segments": [p["segment"] for p in chosen], "parts": len(chosen),
                "part_sizes": [p["size"] for p in chosen]}
        if upload.get("redirect"):
            meta["redirect"] = upload["redirect"]
        if bucket.get("object_lock"):  # what CreateMultipartUpload asked for, else the bucket's default
            meta.update(upload.get("lock") or self.lock_fields(bucket, {}, meta["modified"]))
        algorithm = upload.get("checksum_algorithm")
        out = {"Location": f"http://{bucket['name']}.s3.amazonaws.com/{upload['key']}", "Bucket": bucket["name"],
               "Key": upload["key"], "ETag": etag, **self.sse.response_fields(upload["enc"])}
        if algorithm:
            values = [p.get("checksum") for p in chosen]
            if any(v is None for v in values):
                raise errors.invalid_request(f"The upload was created using a {algorithm.lower()} checksum. The "
                                             "complete request must include the checksum for each part.")
            if upload["checksum_type"] == "FULL_OBJECT":
                value = checksums.combine(algorithm, [(v, p["size"]) for v, p in zip(values, chosen)])
            else:
                value = checksums.composite(algorithm, values)
            sent = params.get("Checksum" + algorithm)
            if sent is not None and sent != value:
                raise ServiceError("BadDigest", f"The {algorithm.lower()} you specified for the full object did not "
                                   "match the calculated checksum.", 400)
            meta.update(checksum_algorithm=algorithm, checksum=value, checksum_type=upload["checksum_type"])
            out.update({"Checksum" + algorithm: value, "ChecksumType": upload["checksum_type"]})
        self.commit_version(bucket, upload["key"], meta, "ObjectCreated:CompleteMultipartUpload", ctx)
        used = {p["number"] for p in chosen}
        self.index.drop_upload(upload["upload_id"])
        self.blobs.delete([p["segment"] for n, p in stored.items() if n not in used])
        if self.versioned(bucket):
            out["VersionId"] = meta["version_id"]
        return out

    def abort_upload(self, upload: dict) -> None:
        parts = self.index.parts(upload["upload_id"])
        self.index.drop_upload(upload["upload_id"])
        self.blobs.delete([p["segment"] for p in parts])

    def abort_multipart_upload(self, ctx, params):
        bucket, upload = self._upload(params)
        self.abort_upload(upload)
        return {"__status__": 204}

    def list_parts(self, ctx, params):
        bucket, upload = self._upload(params)
        marker = params.get("PartNumberMarker") or 0
        limit = min(params.get("MaxParts") or 1000, 1000)
        parts = [p for p in self.index.parts(upload["upload_id"]) if p["number"] > marker]
        page = parts[:limit]
        out = {"Bucket": bucket["name"], "Key": upload["key"], "UploadId": upload["upload_id"],
               "PartNumberMarker": marker, "MaxParts": limit, "IsTruncated": len(parts) > limit,
               "Initiator": {"ID": owner(upload["owner"])["ID"], "DisplayName": upload["owner"]},
               "Owner": owner(upload["owner"]), "StorageClass": upload["storage_class"],
               "Parts": []}
        for p in page:
            item = {"PartNumber": p["number"], "LastModified": _when(p["modified"]), "ETag": p["etag"],
                    "Size": p["size"]}
            if p.get("checksum_algorithm"):
                item["Checksum" + p["checksum_algorithm"]] = p["checksum"]
            out["Parts"].append(item)
        if page:
            out["NextPartNumberMarker"] = page[-1]["number"]
        if upload.get("checksum_algorithm"):
            out.update(ChecksumAlgorithm=upload["checksum_algorithm"], ChecksumType=upload["checksum_type"])
        return out

    def list_multipart_uploads(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or None
        key_marker = params.get("KeyMarker") or ""
        id_marker = params.get("UploadIdMarker") or ""
        limit = min(params.get("MaxUploads") or 1000, 1000)
        uploads, prefixes = [], []
        truncated = False
        for upload in self.index.uploads(bucket["name"]):
            key = upload["key"]
            if not key.startswith(prefix):
                continue
            if key_marker and (key < key_marker or (key == key_marker and (not id_marker
                                                                            or upload["upload_id"] <= id_marker))):
                continue
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = key[:cut + len(delimiter)]
                    if common not in prefixes:
                        prefixes.append(common)
                    continue
            if len(uploads) == limit:
                truncated = True
                break
            uploads.append(upload)
        out = {"Bucket": bucket["name"], "KeyMarker": key_marker, "UploadIdMarker": id_marker, "Prefix": prefix,
               "MaxUploads": limit, "IsTruncated": truncated,
               "Uploads": [{"UploadId": u["upload_id"], "Key": u["key"], "Initiated": _when(u["initiated"]),
                            "StorageClass": u["storage_class"], "Owner": owner(u["owner"]),
                            "Initiator": {"ID": owner(u["owner"])["ID"], "DisplayName": u["owner"]},
                            **({"ChecksumAlgorithm": u["checksum_algorithm"], "ChecksumType": u["checksum_type"]}
                               if u.get("checksum_algorithm") else {})} for u in uploads]}
        if delimiter:
            out["Delimiter"] = delimiter
            out["CommonPrefixes"] = [{"Prefix": p} for p in prefixes]
        if truncated and uploads:
            out["NextKeyMarker"] = uploads[-1]["key"]
            out["NextUploadIdMarker"] = uploads[-1]["upload_id"]
        return out
