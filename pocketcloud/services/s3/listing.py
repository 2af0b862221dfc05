"""ListObjects, ListObjectsV2 and ListObjectVersions: prefix, delimiter, common prefixes,
pagination, start-after and encoding-type=url, read in key order straight from the index."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from urllib.parse import quote

from ...core.bounded import remember
from ...protocol.static import Static
from . import errors
from .buckets import owner


def _encoder(params):
    kind = params.get("EncodingType")
    if kind is None:
        return None
    if kind != "url":
        raise errors.invalid_argument("Invalid Encoding Method specified in Request", "encoding-type", kind)
    return lambda text: quote(text, safe="/") if text is not None else None


def _max_keys(params) -> int:
    value = params.get("MaxKeys", 1000)
    if value < 0:
        raise errors.invalid_argument("Provided max-keys not an integer or within integer range", "max-keys",
                                      value)
    return min(value, 1000)


def _past(common_prefix: str) -> str:
    """The smallest string after every key that starts with common_prefix."""
    return common_prefix[:-1] + chr(ord(common_prefix[-1]) + 1)


_EPOCH = datetime(1970, 1, 1)


def _when(epoch: float) -> datetime:
    # Naive UTC to the millisecond: the serializers' fast path, and exactly S3's precision.
    return _EPOCH + timedelta(milliseconds=round(epoch * 1000))


def walk_current(index, bucket: str, prefix: str, delimiter: str | None, after: str | None, max_keys: int):
    """(versions, common prefixes, truncated, last item returned) of one page of current keys."""
    contents, prefixes = [], []
    if max_keys == 0:
        return contents, prefixes, False, None
    cursor, inclusive = (after, False) if after else (prefix, True)
    if delimiter and after and after.startswith(prefix) and after.endswith(delimiter) \
            and delimiter not in after[len(prefix):-len(delimiter)]:
        cursor, inclusive = _past(after), True  # resuming after a common prefix
    last = None
    while True:
        limit = max(64, max_keys - len(contents) - len(prefixes) + 1)
        batch = index.current_page(bucket, cursor, inclusive, limit, prefix)
        if not batch:
            return contents, prefixes, False, last
        jumped = False
        for version in batch:
            key = version.key
            if not key.startswith(prefix):
                return contents, prefixes, False, last
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = key[:cut + len(delimiter)]
                    if len(contents) + len(prefixes) == max_keys:
                        return contents, prefixes, True, last
                    prefixes.append(common)
                    last = common
                    cursor, inclusive, jumped = _past(common), True, True
                    break
            if len(contents) + len(prefixes) == max_keys:
                return contents, prefixes, True, last
            contents.append(version)
            last = key
            cursor, inclusive = key, False
        if not jumped and len(batch) < limit:
            # a short batch without a jump was the end of the bucket
            return contents, prefixes, False, last


def _content(version, encode, with_owner: bool, account: str | None) -> dict:
    item = {"Key": encode(version.key) if encode else version.key, "LastModified": _when(version.modified),
            "ETag": version.etag, "Size": version.size, "StorageClass": version.storage_class}
    if version.checksum:
        item["ChecksumAlgorithm"] = [version.checksum]
        item["ChecksumType"] = "FULL_OBJECT"
    if with_owner and account:
        item["Owner"] = owner(account)
    return item


_RENDERED_MAX = 10000  # listing entries kept encoded (about 1 KB each)


class ListingOps:
    def listed(self, bucket: dict, version, encode, with_owner: bool) -> Static:
        """One Contents entry, kept as a Static so the serializer encodes it once: a bucket
        listed again (sync tools, paginators) costs a lookup per key, not an XML rendering.
        The cache key holds everything the entry shows, so a changed object is a new entry."""
        cache_key = (bucket["name"], version.key, version.seq, version.etag, version.modified,
                     version.storage_class, encode is not None, bool(with_owner))
        item = self._rendered.get(cache_key)
        if item is None:
            item = Static(_content(version, encode, with_owner, bucket["owner"]))
            remember(self._rendered, cache_key, item, _RENDERED_MAX)
        return item

    def list_objects_v2(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        encode = _encoder(params)
        max_keys = _max_keys(params)
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or None
        token = params.get("ContinuationToken")
        after = params.get("StartAfter")
        if token is not None:
            try:
                after = base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
            except (ValueError, binascii.Error, UnicodeError):
                raise errors.invalid_argument("The continuation token provided is incorrect", "continuation-token",
                                              token) from None
        versions, prefixes, truncated, last = walk_current(self.index, bucket["name"], prefix, delimiter, after,
                                                           max_keys)
        fetch_owner = params.get("FetchOwner")
        out = {"Name": bucket["name"], "Prefix": encode(prefix) if encode else prefix, "MaxKeys": max_keys,
               "KeyCount": len(versions) + len(prefixes), "IsTruncated": truncated,
               "Contents": [self.listed(bucket, v, encode, fetch_owner) for v in versions]}
        if prefixes:
            out["CommonPrefixes"] = [{"Prefix": encode(p) if encode else p} for p in prefixes]
        if delimiter:
            out["Delimiter"] = encode(delimiter) if encode else delimiter
        if encode:
            out["EncodingType"] = "url"
        if token is not None:
            out["ContinuationToken"] = token
        if params.get("StartAfter") is not None:
            out["StartAfter"] = encode(params["StartAfter"]) if encode else params["StartAfter"]
        if truncated:
            out["NextContinuationToken"] = base64.urlsafe_b64encode(last.encode("utf-8")).decode("ascii")
        return out

    def list_objects(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        encode = _encoder(params)
        max_keys = _max_keys(params)
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or None
        marker = params.get("Marker") or ""
        versions, prefixes, truncated, last = walk_current(self.index, bucket["name"], prefix, delimiter,
                                                           marker or None, max_keys)
        enc = encode or (lambda text: text)
        out = {"Name": bucket["name"], "Prefix": enc(prefix), "Marker": enc(marker), "MaxKeys": max_keys,
               "IsTruncated": truncated,
               "Contents": [self.listed(bucket, v, encode, True) for v in versions]}
        if prefixes:
            out["CommonPrefixes"] = [{"Prefix": enc(p)} for p in prefixes]
        if delimiter:
            out["Delimiter"] = enc(delimiter)
            if truncated:
                out["NextMarker"] = enc(last)
        if encode:
            out["EncodingType"] = "url"
        return out

    def list_object_versions(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        encode = _encoder(params)
        enc = encode or (lambda text: text)
        max_keys = _max_keys(params)
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or None
        key_marker = params.get("KeyMarker") or ""
        version_marker = params.get("VersionIdMarker") or None
        if version_marker and not key_marker:
            raise errors.invalid_argument("A version-id marker cannot be specified without a key marker.",
                                          "version-id-marker", version_marker)
        name = bucket["name"]
        items, prefixes = [], []
        truncated = False
        next_key = next_version = None
        start_key, start_seq = prefix, None
        if key_marker:
            if version_marker:
                found = self.index.version(name, key_marker, version_marker)
                if found is None:
                    raise errors.invalid_argument("Invalid version id specified", "version-id-marker",
                                                  version_marker)
                start_key, start_seq = key_marker, found.seq
            elif delimiter and key_marker.endswith(delimiter) and key_marker.startswith(prefix):
                start_key = _past(key_marker)  # resuming after a common prefix
            else:
                start_key = key_marker + "\x00"  # the first key after key_marker
        if prefix > start_key:
            start_key, start_seq = prefix, None
        while max_keys and not truncated:
            batch = self.index.versions_page(name, start_key, start_seq, 256)
            if not batch:
                break
            jumped = False
            for version in batch:
                if not version.key.startswith(prefix):
                    if version.key > prefix:
                        batch = []
                        break
                    continue
                if delimiter:
                    cut = version.key.find(delimiter, len(prefix))
                    if cut >= 0:
                        common = version.key[:cut + len(delimiter)]
                        if len(items) + len(prefixes) == max_keys:
                            truncated = True
                            break
                        prefixes.append(common)
                        next_key, next_version = common, None
                        start_key, start_seq, jumped = _past(common), None, True
                        break
                if len(items) + len(prefixes) == max_keys:
                    truncated = True
                    break
                items.append(version)
                next_key, next_version = version.key, version.version_id
                start_key, start_seq = version.key, version.seq
            else:
                if len(batch) < 256:
                    break
                continue
            if not jumped:
                break
        versions, markers = [], []
        for v in items:
            entry = {"Key": enc(v.key), "VersionId": v.version_id, "IsLatest": bool(v.latest),
                     "LastModified": _when(v.modified), "Owner": owner(bucket["owner"])}
            if v.marker:
                markers.append(entry)
            else:
                entry.update(ETag=v.etag, Size=v.size, StorageClass=v.storage_class)
                if v.checksum:
                    entry["ChecksumAlgorithm"] = [v.checksum]
                    entry["ChecksumType"] = "FULL_OBJECT"
                versions.append(entry)
        out = {"Name": name, "Prefix": enc(prefix), "KeyMarker": enc(key_marker), "MaxKeys": max_keys,
               "IsTruncated": truncated, "Versions": versions, "DeleteMarkers": markers}
        if version_marker:
            out["VersionIdMarker"] = version_marker
        if prefixes:
            out["CommonPrefixes"] = [{"Prefix": enc(p)} for p in prefixes]
        if delimiter:
            out["Delimiter"] = enc(delimiter)
        if encode:
            out["EncodingType"] = "url"
        if truncated:
            out["NextKeyMarker"] = enc(next_key)
            if next_version:
                out["NextVersionIdMarker"] = next_version
        return out


