"""Amazon S3's provider: the operations are grouped by subject in the mixins below; this class
holds the shared state (bucket registry, object index, body files, encryption)."""

from __future__ import annotations

from ...core.group_commit import GroupCommit
from ...core.store import Namespace
from ...protocol import specs
from . import errors
from .blobs import BlobFiles
from .bucketops import BucketOps
from .buckets import Buckets
from .index import ObjectIndex
from .lifecycle import LifecycleOps
from .listing import ListingOps
from .multipart import MultipartOps
from .notify import NotificationOps
from .objectlock import ObjectLockOps
from .objects import ObjectOps
from .sse import Encryption
from .tiering import TieringOps


class Provider(BucketOps, ObjectOps, ListingOps, MultipartOps, LifecycleOps, NotificationOps, TieringOps,
               ObjectLockOps):
    def __init__(self, runtime):
        self.runtime = runtime
        self.buckets = Buckets(runtime.store)
        self.index = ObjectIndex(runtime.store)
        # PUTs that arrive together share one SQLite commit (answered once it is durable).
        self.writes = GroupCommit(runtime.store)
        self.blobs = BlobFiles(runtime.settings)
        self.sse = Encryption(runtime)
        self.blobs.aead_for = self.sse.master.aead_for
        self._tasks: set = set()  # event deliveries in flight
        # Work recorded in the store, not yet done: events to send, Intelligent-Tiering restores to finish.
        self._pending = Namespace(runtime.store, "s3", "global", "global")
        self._rendered: dict = {}  # listing entries, encoded once (ListingOps.listed)
        self._accessed: dict = {}  # (bucket, key, version id) -> last GET of a tiered object (TieringOps)
        runtime.events.subscribe("pocketcloud.reset", self._reset)

    def guard(self, operation: str, method):
        """The operation, with the x-amz-expected-bucket-owner (and, for copies, the
        x-amz-source-expected-bucket-owner) checks S3 makes first: a bucket owned by another
        account than the caller expects is refused with 403 AccessDenied."""
        input_shape = specs.service_model("s3").operation_model(operation).input_shape  # loaded on first use
        members = input_shape.members if input_shape is not None else {}
        if "ExpectedBucketOwner" not in members and "ExpectedSourceBucketOwner" not in members:
            return method

        def guarded(ctx, params):
            if "ExpectedBucketOwner" in params or "ExpectedSourceBucketOwner" in params:
                expected = params.get("ExpectedBucketOwner")
                if expected is not None and params.get("Bucket") is not None:
                    self.check_owner(self.buckets.require(params["Bucket"]), expected)
                expected = params.get("ExpectedSourceBucketOwner")
                if expected is not None and params.get("CopySource") is not None:
                    self.check_owner(self.copy_source(params["CopySource"])[0], expected)
            return method(ctx, params)

        return guarded

    @staticmethod
    def check_owner(bucket: dict, expected: str) -> None:
        if bucket.get("owner") != expected:
            raise errors.access_denied()

    def start(self) -> None:
        self.lifecycle_start()
        self.tiering_start()
        self.notify_start()

    def _reset(self, _event) -> None:
        self._accessed.clear()
        self.index.clear()
        self._rendered.clear()
        self.buckets.forget()
        self.sse.forget()
        self.blobs.clear()
