"""S3 Intelligent-Tiering: the access tiers of objects in the INTELLIGENT_TIERING class, on the
virtual clock, and the bucket configurations that turn on the optional archive tiers.

Every monitored object (128 KiB or more; smaller ones always stay in Frequent Access, as AWS
does not monitor them) moves down by itself after consecutive days without access:
Frequent -> Infrequent Access (30 days) -> Archive Instant Access (90 days), all readable; and,
when a bucket configuration matches it, -> Archive Access / Deep Archive Access (its Days),
where a GET fails with InvalidObjectState until a RestoreObject brings it back to Frequent
Access. An access (GET, copy, restore) moves it back to Frequent Access. The class the API
shows stays INTELLIGENT_TIERING throughout; the access tier is in the object's document
("access_tier", absent = Frequent; "accessed": the last access, absent = the upload), and
HEAD/GET add `x-pocketcloud-access-tier` (not an AWS header) so the automatic tiers can be seen.

Access tracking costs a GET no store write: the last access time goes in a map in memory, written
to the store once a minute, by the daily pass and at shutdown. A crash loses at most the last
minute of accesses: an object accessed in that minute looks idle since its previous access, so it
may move down (or be archived) at most a minute's worth of idleness early, never lose data.
"""

from __future__ import annotations

import logging
import re

from ...protocol.errors import ServiceError
from . import errors

log = logging.getLogger("pocketcloud.s3.tiering")

CLASS = "INTELLIGENT_TIERING"
DAY = 86400
MONITORED_MIN = 128 * 1024
ARCHIVE_TIERS = ("ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS")
_DAYS_RANGE = {"ARCHIVE_ACCESS": (90, 730), "DEEP_ARCHIVE_ACCESS": (180, 730)}
# (access tier, retrieval tier) -> hours until the object is back in Frequent Access (upper end
# of AWS's ranges). Expedited exists for Archive Access only.
RESTORE_HOURS = {("ARCHIVE_ACCESS", "Expedited"): 5 / 60, ("ARCHIVE_ACCESS", "Standard"): 5,
                 ("ARCHIVE_ACCESS", "Bulk"): 12, ("DEEP_ARCHIVE_ACCESS", "Standard"): 12,
                 ("DEEP_ARCHIVE_ACCESS", "Bulk"): 48}
MAX_CONFIGURATIONS = 1000
_PAGE = 100
_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_FLUSH_EVERY = 60  # seconds between writes of the access map (what a crash can lose)
_MAX_TRACKED = 50_000  # accesses kept in memory before an early write


def current_tier(meta: dict, now: float) -> str:
    """The object's access tier now: a restore that has finished is back in Frequent Access even
    before the pass records it."""
    restore = meta.get("tier_restore")
    if restore and now >= restore["ready_at"]:
        return "FREQUENT"
    return meta.get("access_tier", "FREQUENT")


def entered(meta: dict, now: float) -> None:
    """A version changed storage class (lifecycle transition): the idle days count from now when it
    enters Intelligent-Tiering; its tier state goes when it leaves."""
    for field in ("access_tier", "tier_restore", "accessed"):
        meta.pop(field, None)
    if meta.get("storage_class") == CLASS:
        meta["accessed"] = now


def _job_name(job: dict) -> str:
    return f"{job['bucket']}/{job['version_id']}/{job['key']}"


def _configuration_filter(config: dict) -> tuple[str, dict]:
    flt = config.get("Filter") or {}
    both = flt.get("And") or {}
    tags = {t["Key"]: t.get("Value", "") for t in both.get("Tags") or []}
    if flt.get("Tag"):
        tags[flt["Tag"]["Key"]] = flt["Tag"].get("Value", "")
    return flt.get("Prefix") or both.get("Prefix") or "", tags


def _validate(config: dict) -> None:
    if config.get("Status") not in ("Enabled", "Disabled"):
        raise errors.malformed_xml()
    flt = config.get("Filter") or {}
    if sum(1 for k in ("Prefix", "Tag", "And") if flt.get(k) is not None) > 1:
        raise errors.malformed_xml()
    tierings = config.get("Tierings") or []
    if not tierings:
        raise errors.malformed_xml()
    seen = set()
    for tiering in tierings:
        tier, days = tiering.get("AccessTier"), tiering.get("Days")
        if tier not in _DAYS_RANGE:
            raise errors.malformed_xml()
        if tier in seen:
            raise errors.invalid_argument("Multiple tierings with the same access tier are not allowed",
                                          "AccessTier", tier)
        seen.add(tier)
        low, high = _DAYS_RANGE[tier]
        if days is None or not low <= days <= high:
            raise errors.invalid_argument(f"The number of days for {tier} must be between {low} and {high}",
                                          "Days", days)


def _no_such_configuration() -> ServiceError:
    return ServiceError("NoSuchConfiguration", "The specified configuration does not exist.", 404)


class TieringOps:
    # -- bucket configurations ----------------------------------------------------------------------
    def _check_configuration_id(self, value) -> str:
        if not isinstance(value, str) or not _ID.match(value):
            raise ServiceError("InvalidConfigurationId", "The specified configuration id is not valid.", 400)
        return value

    def put_bucket_intelligent_tiering_configuration(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        config = dict(params["IntelligentTieringConfiguration"])
        config_id = self._check_configuration_id(params["Id"])
        if config.get("Id") != config_id:
            raise errors.invalid_argument("Configuration Id in the request does not match the Id in the body",
                                          "id", config_id)
        _validate(config)
        configs = dict(bucket.get("intelligent_tiering") or {})
        if config_id not in configs and len(configs) >= MAX_CONFIGURATIONS:
            raise ServiceError("TooManyConfigurations", "You are attempting to create a new configuration but "
                               "have already reached the 1,000-configuration limit.", 400)
        configs[config_id] = config
        self._set(params, "intelligent_tiering", configs)
        return {}

    def get_bucket_intelligent_tiering_configuration(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        config = (bucket.get("intelligent_tiering") or {}).get(params["Id"])
        if config is None:
            raise _no_such_configuration()
        return {"IntelligentTieringConfiguration": config}

    def list_bucket_intelligent_tiering_configurations(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        configs = bucket.get("intelligent_tiering") or {}
        token = params.get("ContinuationToken")
        ids = sorted(i for i in configs if token is None or i > token)
        page = ids[:_PAGE]
        out = {"IsTruncated": len(ids) > _PAGE,
               "IntelligentTieringConfigurationList": [configs[i] for i in page]}
        if token is not None:
            out["ContinuationToken"] = token
        if len(ids) > _PAGE:
            out["NextContinuationToken"] = page[-1]
        return out

    def delete_bucket_intelligent_tiering_configuration(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        configs = dict(bucket.get("intelligent_tiering") or {})
        if configs.pop(params["Id"], None) is None:
            raise _no_such_configuration()
        self._set(params, "intelligent_tiering", configs or None)
        return {"__status__": 204}

    # -- reads: called only for objects in INTELLIGENT_TIERING ----------------------------------------
    def tiering_read(self, bucket: dict, found, with_body: bool, now: float) -> dict:
        """Check a GET (or copy) may read the object, record the access; the extra response fields."""
        meta = found.meta
        tracked_key = (bucket["name"], found.key, found.version_id)
        tier = "FREQUENT" if tracked_key in self._accessed else current_tier(meta, now)
        if tier in ARCHIVE_TIERS:
            if with_body:
                raise ServiceError("InvalidObjectState", "The operation is not valid for the object's access tier",
                                   403, StorageClass=CLASS, AccessTier=tier)
            fields = {"ArchiveStatus": tier}
            if meta.get("tier_restore"):
                fields["Restore"] = 'ongoing-request="true"'
            return {**fields, "__headers__": {"x-pocketcloud-access-tier": tier}}
        if with_body and meta.get("size", 0) >= MONITORED_MIN:
            self._accessed[tracked_key] = now
            tier = "FREQUENT"
            if len(self._accessed) >= _MAX_TRACKED:
                self.flush_accesses()
        return {"__headers__": {"x-pocketcloud-access-tier": tier}}

    @staticmethod
    def add_tiering_fields(out: dict, fields: dict) -> None:
        headers = fields.pop("__headers__", None)
        out.update(fields)
        if headers:
            out["__headers__"] = {**(out.get("__headers__") or {}), **headers}

    # -- restores -------------------------------------------------------------------------------------
    def restore_tiered(self, ctx, bucket: dict, found, params: dict) -> dict:
        meta = found.meta
        now = ctx.runtime.clock.time()
        tier = current_tier(meta, now)
        if tier not in ARCHIVE_TIERS:
            raise ServiceError("InvalidObjectState", "Restore is not allowed for the object's current storage class",
                               403, StorageClass=CLASS)
        if meta.get("tier_restore"):
            raise ServiceError("RestoreAlreadyInProgress", "Object restore is already in progress", 409)
        request = params.get("RestoreRequest") or {}
        retrieval = (request.get("GlacierJobParameters") or {}).get("Tier") or request.get("Tier") or "Standard"
        hours = RESTORE_HOURS.get((tier, retrieval))
        if hours is None:
            raise errors.invalid_argument(f"{retrieval} retrieval is not available for objects in the {tier} tier",
                                          "Tier", retrieval)
        ready = now + hours * 3600
        meta["tier_restore"] = {"ready_at": ready, "tier": retrieval}
        job = {"bucket": bucket["name"], "key": found.key, "version_id": found.version_id, "ready_at": ready}
        with self.runtime.store.transaction():
            self.index.update(bucket["name"], found.key, found.version_id, meta)
            self._pending.put("tier-restore", _job_name(job), job)  # so that a restart still finishes it on time
            self.notify(bucket, "ObjectRestore:Post", found.key, meta, ctx)
        self._schedule_restore(job)
        return {"__status__": 202}

    def _schedule_restore(self, job: dict) -> None:
        self.runtime.scheduler.at(job["ready_at"], lambda: self._restore_due(job), "s3-tier-restore")

    def _restore_due(self, job: dict) -> None:
        bucket = self.buckets.get(job["bucket"])
        found = self.index.version(job["bucket"], job["key"], job["version_id"]) if bucket else None
        if found is not None and found.meta.get("storage_class") == CLASS:
            self._settle(bucket, found, None, self.runtime.clock.time())
        self._pending.delete("tier-restore", _job_name(job))

    # -- the moves ------------------------------------------------------------------------------------
    def tiering_start(self) -> None:
        scheduler, clock = self.runtime.scheduler, self.runtime.clock
        scheduler.every(DAY, self.tiering_pass, "s3-tiering", first=(int(clock.time()) // DAY + 1) * DAY)
        scheduler.every(_FLUSH_EVERY, self.flush_accesses, "s3-tiering-accesses", catch_up=False)
        self.runtime.events.subscribe("pocketcloud.shutdown", lambda *_: self.flush_accesses())
        for _, job in self._pending.list("tier-restore"):
            self._schedule_restore(job)

    def flush_accesses(self) -> None:
        """Write the accesses recorded in memory (one transaction)."""
        tracked, self._accessed = self._accessed, {}
        if not tracked:
            return
        now = self.runtime.clock.time()
        with self.runtime.store.transaction():
            for (bucket_name, key, version_id), when in tracked.items():
                bucket = self.buckets.get(bucket_name)
                found = self.index.version(bucket_name, key, version_id) if bucket else None
                if found is not None and found.meta.get("storage_class") == CLASS:
                    self._settle(bucket, found, when, now)

    def tiering_pass(self) -> None:
        """The daily pass: every Intelligent-Tiering version goes to the tier its idle days say."""
        now = self.runtime.clock.time()
        tracked, self._accessed = self._accessed, {}
        buckets: dict[str, dict | None] = {}
        with self.runtime.store.transaction():
            for bucket_name, found in self.index.intelligent_tiering():
                if bucket_name not in buckets:
                    buckets[bucket_name] = self.buckets.get(bucket_name)
                bucket = buckets[bucket_name]
                if bucket is None:
                    continue
                seen = tracked.get((bucket_name, found.key, found.version_id))
                try:
                    self._settle(bucket, found, seen, now)
                except Exception:  # one object's trouble must not stop the others
                    log.exception("tiering failed for %s/%s", bucket_name, found.key)

    def _settle(self, bucket: dict, found, seen: float | None, now: float) -> None:
        """Move one version to the tier it belongs in now; write it when something changed."""
        meta = found.meta
        if meta.get("size", 0) < MONITORED_MIN:
            return
        before = (meta.get("access_tier"), meta.get("accessed"), meta.get("tier_restore"))
        restored = False
        restore = meta.get("tier_restore")
        if restore and now >= restore["ready_at"]:  # a restore moves it back to Frequent Access
            del meta["tier_restore"]
            meta.pop("access_tier", None)
            meta["accessed"] = max(meta.get("accessed", meta["modified"]), restore["ready_at"])
            restored = True
        if seen is not None:
            meta["accessed"] = max(meta.get("accessed", meta["modified"]), seen)
            if meta.get("access_tier") not in ARCHIVE_TIERS:
                meta.pop("access_tier", None)
        tier = meta.get("access_tier", "FREQUENT")
        target = tier
        if not meta.get("tier_restore"):
            target = self._tier_for(bucket, found.key, meta, now - meta.get("accessed", meta["modified"]))
            if tier == "DEEP_ARCHIVE_ACCESS" or (tier == "ARCHIVE_ACCESS" and target != "DEEP_ARCHIVE_ACCESS"):
                target = tier  # archived objects come back by a restore only
        if target == "FREQUENT":
            meta.pop("access_tier", None)
        else:
            meta["access_tier"] = target
        if (meta.get("access_tier"), meta.get("accessed"), meta.get("tier_restore")) == before:
            return
        self.index.update(bucket["name"], found.key, found.version_id, meta)
        if target in ARCHIVE_TIERS and target != tier:
            self.notify(bucket, "IntelligentTiering", found.key, meta, None)
        if restored:
            self.notify(bucket, "ObjectRestore:Completed", found.key, meta, None)

    @staticmethod
    def _tier_for(bucket: dict, key: str, meta: dict, idle: float) -> str:
        archive = deep = None
        tags = meta.get("tags") or {}
        for config in (bucket.get("intelligent_tiering") or {}).values():
            if config.get("Status") != "Enabled":
                continue
            prefix, wanted = _configuration_filter(config)
            if not key.startswith(prefix) or any(tags.get(k) != v for k, v in wanted.items()):
                continue
            for tiering in config.get("Tierings") or []:
                days = tiering["Days"] * DAY
                if tiering["AccessTier"] == "ARCHIVE_ACCESS":
                    archive = days if archive is None else min(archive, days)
                else:
                    deep = days if deep is None else min(deep, days)
        if deep is not None and idle >= deep:
            return "DEEP_ARCHIVE_ACCESS"
        if archive is not None and idle >= archive:
            return "ARCHIVE_ACCESS"
        if idle >= 90 * DAY:
            return "ARCHIVE_INSTANT"
        if idle >= 30 * DAY:
            return "INFREQUENT"
        return "FREQUENT"
