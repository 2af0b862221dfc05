"""Buckets: one global namespace across accounts and regions, cached in memory (every write
goes through this process), persisted in the store."""

from __future__ import annotations

import hashlib
import threading

from ...core.store import Namespace
from ...protocol.errors import ServiceError
from . import errors

DEFAULT_ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                                 "BucketKeyEnabled": False}]}
# What AWS gives every new bucket since April 2023.
DEFAULT_PUBLIC_ACCESS_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                               "RestrictPublicBuckets": True}
DEFAULT_OWNERSHIP = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def canonical_id(account: str) -> str:
    """The account's canonical user id (64 hex characters, as S3 shows owners)."""
    return hashlib.sha256(f"pocketcloud-canonical-{account}".encode()).hexdigest()


def owner(account: str) -> dict:
    return {"ID": canonical_id(account), "DisplayName": account}


class Buckets:
    def __init__(self, store):
        self._ns = Namespace(store, "s3", "global", "global")
        self._cache: dict[str, dict | None] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> dict | None:
        record = self._cache.get(name, False)
        if record is False:
            record = self._ns.get("bucket", name)
            self._cache[name] = record
        return record

    def require(self, name: str, account: str | None = None) -> dict:
        """The bucket, or NoSuchBucket. (Another account's bucket is found too: access is the
        policy engine's business.)"""
        record = self._cache.get(name, False)
        if record is False:
            record = self.get(name)
        if record is None:
            raise errors.no_such_bucket(name)
        return record

    def create(self, name: str, record: dict) -> None:
        with self._lock:
            existing = self.get(name)
            if existing is not None:
                if existing["owner"] == record["owner"]:
                    if existing["region"] == "us-east-1" and record["region"] == "us-east-1":
                        # us-east-1 answers a repeated create by the owner with success (legacy)
                        raise _AlreadyOwnedLegacy()
                    raise ServiceError("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket "
                                       "succeeded and you already own it.", 409, BucketName=name)
                raise ServiceError("BucketAlreadyExists", "The requested bucket name is not available. The bucket "
                                   "namespace is shared by all users of the system. Please select a different name "
                                   "and try again.", 409, BucketName=name)
            self.save(name, record)

    def save(self, name: str, record: dict) -> None:
        self._ns.put("bucket", name, record)
        self._cache[name] = record

    def delete(self, name: str) -> None:
        self._ns.delete("bucket", name)
        self._cache[name] = None

    def all(self) -> list[dict]:
        return [record for _, record in self._ns.list("bucket")]

    def forget(self) -> None:
        self._cache.clear()


class _AlreadyOwnedLegacy(Exception):
    pass
