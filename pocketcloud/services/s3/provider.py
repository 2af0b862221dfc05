"""Amazon S3's provider: the operations are grouped by subject in the mixins below; this class
holds the shared state (bucket registry, object index, body files, encryption)."""

from __future__ import annotations

from ...core.group_commit import GroupCommit
from ...core.store import Namespace
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
