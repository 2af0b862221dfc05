"""S3 Object Lock: write-once-read-many versions.

A bucket created with Object Lock (or given a configuration once versioning is enabled) keeps
its versioning on. A version may carry a retention (GOVERNANCE or COMPLIANCE, until a date on
the virtual clock) and a legal hold; the bucket's default retention applies to new versions
that name none. While retained or held, the version cannot be deleted (deleting the key still
adds a delete marker, as on any versioned bucket); GOVERNANCE gives way to
x-amz-bypass-governance-retention, COMPLIANCE to nothing, not even a shorter retention.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ...protocol.errors import ServiceError
from . import errors

DAY = 86400
_MODES = ("GOVERNANCE", "COMPLIANCE")
# What a write (PutObject, CopyObject, CreateMultipartUpload) may ask of Object Lock.
LOCK_PARAMS = frozenset(("ObjectLockMode", "ObjectLockRetainUntilDate", "ObjectLockLegalHoldStatus"))


def _locked_bucket(bucket: dict) -> dict:
    config = bucket.get("object_lock")
    if not config:
        raise ServiceError("InvalidRequest", "Bucket is missing Object Lock Configuration", 400)
    return config


def _no_lock() -> ServiceError:
    return ServiceError("NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock "
                        "configuration", 404)


def _epoch(value) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
    return float(value)


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


class ObjectLockOps:
    # -- the bucket's configuration --------------------------------------------------------------
    def put_object_lock_configuration(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        config = params.get("ObjectLockConfiguration") or {}
        if config.get("ObjectLockEnabled") != "Enabled":
            raise errors.malformed_xml()
        if bucket.get("versioning") != "Enabled":
            raise ServiceError("InvalidBucketState", "Versioning must be 'Enabled' on the bucket to apply a Object "
                               "Lock configuration", 409)
        rule = config.get("Rule")
        if rule is not None:
            default = rule.get("DefaultRetention") or {}
            days, years = default.get("Days"), default.get("Years")
            if default.get("Mode") not in _MODES or (days is None) == (years is None):
                raise errors.malformed_xml()
            if (days if days is not None else years) <= 0:
                raise ServiceError("InvalidArgument", "Default retention period must be a positive integer value",
                                   400, ArgumentName="Days" if days is not None else "Years")
        self._set(params, "object_lock", {"ObjectLockEnabled": "Enabled", **({"Rule": rule} if rule else {})})
        return {}

    def get_object_lock_configuration(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        config = bucket.get("object_lock")
        if not config:
            raise ServiceError("ObjectLockConfigurationNotFoundError",
                               "Object Lock configuration does not exist for this bucket", 404,
                               BucketName=bucket["name"])
        return {"ObjectLockConfiguration": config}

    # -- a new version ---------------------------------------------------------------------------
    def lock_fields(self, bucket: dict, params: dict, now: float) -> dict:
        """The lock state of a version being written: what the request names, else the bucket's
        default retention (nothing for a bucket without Object Lock)."""
        mode, until, hold = (params.get("ObjectLockMode"), params.get("ObjectLockRetainUntilDate"),
                             params.get("ObjectLockLegalHoldStatus"))
        config = bucket.get("object_lock")
        if not config:
            if mode or until or hold:
                _locked_bucket(bucket)
            return {}
        out = {}
        if mode or until:
            if not (mode and until):
                raise ServiceError("InvalidRequest", "x-amz-object-lock-retain-until-date and "
                                   "x-amz-object-lock-mode must both be supplied", 400)
            out.update(self._retention(mode, until, now))
        else:
            default = (config.get("Rule") or {}).get("DefaultRetention")
            if default:
                days = default.get("Days") or default.get("Years", 0) * 365
                out.update(lock_mode=default["Mode"], lock_until=now + days * DAY)
        if hold:
            if hold not in ("ON", "OFF"):
                raise errors.malformed_xml()
            out["legal_hold"] = hold
        return out

    @staticmethod
    def _retention(mode: str, until, now: float) -> dict:
        if mode not in _MODES:
            raise errors.malformed_xml()
        epoch = _epoch(until)
        if epoch <= now:
            raise ServiceError("InvalidArgument", "The retain until date must be in the future!", 400)
        return {"lock_mode": mode, "lock_until": epoch}

    @staticmethod
    def lock_headers(meta: dict) -> dict:
        """A version's lock state as GetObject/HeadObject answer it."""
        out = {}
        if meta.get("lock_mode"):
            out["ObjectLockMode"] = meta["lock_mode"]
            out["ObjectLockRetainUntilDate"] = _when(meta["lock_until"])
        if meta.get("legal_hold"):
            out["ObjectLockLegalHoldStatus"] = meta["legal_hold"]
        return out

    # -- an existing version ---------------------------------------------------------------------
    def _locked_version(self, params):
        bucket = self.buckets.require(params["Bucket"])
        _locked_bucket(bucket)
        return bucket, self.find(bucket, params["Key"], params.get("VersionId"))

    def put_object_retention(self, ctx, params):
        bucket, found = self._locked_version(params)
        retention = params.get("Retention") or {}
        now = ctx.runtime.clock.time()
        meta = found.meta
        current_until = meta.get("lock_until", 0) if meta.get("lock_mode") else 0
        if not retention.get("Mode"):  # removing a retention
            new = {"lock_mode": None, "lock_until": None}
            new_until = 0
        else:
            new = self._retention(retention["Mode"], retention.get("RetainUntilDate", 0), now)
            new_until = new["lock_until"]
        if current_until > now and (new_until < current_until or new.get("lock_mode") != meta.get("lock_mode")):
            if meta["lock_mode"] == "COMPLIANCE" or not params.get("BypassGovernanceRetention"):
                raise errors.access_denied()
        meta.update(new)
        self.index.update(bucket["name"], found.key, found.version_id, meta)
        return {}

    def get_object_retention(self, ctx, params):
        _, found = self._locked_version(params)
        if not found.meta.get("lock_mode"):
            raise _no_lock()
        return {"Retention": {"Mode": found.meta["lock_mode"], "RetainUntilDate": _when(found.meta["lock_until"])}}

    def put_object_legal_hold(self, ctx, params):
        bucket, found = self._locked_version(params)
        status = (params.get("LegalHold") or {}).get("Status")
        if status not in ("ON", "OFF"):
            raise errors.malformed_xml()
        found.meta["legal_hold"] = status
        self.index.update(bucket["name"], found.key, found.version_id, found.meta)
        return {}

    def get_object_legal_hold(self, ctx, params):
        _, found = self._locked_version(params)
        if not found.meta.get("legal_hold"):
            raise _no_lock()
        return {"LegalHold": {"Status": found.meta["legal_hold"]}}

    # -- what the lock forbids -------------------------------------------------------------------
    @staticmethod
    def is_locked(meta: dict, now: float, bypass: bool = False) -> bool:
        """Whether a legal hold or an unexpired retention (GOVERNANCE unless bypassed) protects
        a version."""
        if meta.get("legal_hold") == "ON":
            return True
        return bool(meta.get("lock_mode") and meta.get("lock_until", 0) > now
                    and (meta["lock_mode"] == "COMPLIANCE" or not bypass))

    def check_removable(self, bucket: dict, meta: dict | None, bypass: bool, now: float) -> None:
        """Refuse deleting a version that Object Lock protects."""
        if meta is not None and bucket.get("object_lock") and self.is_locked(meta, now, bypass):
            raise errors.access_denied()
