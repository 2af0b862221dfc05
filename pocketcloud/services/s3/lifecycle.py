"""Lifecycle rules: validated as S3 does, and executed once a day (at midnight UTC, as S3
rounds) by the scheduler on the virtual clock: `pocketcloud time advance 31d` runs 31 passes,
each at its own instant, that transition, expire and clean up what the rules say."""

from __future__ import annotations

import logging
from datetime import datetime

from ...protocol.errors import ServiceError
from . import errors
from . import objectmeta as om
from . import tiering

log = logging.getLogger("pocketcloud.s3.lifecycle")
DAY = 86400
# Transitions only go down this list.
_TIER = {"STANDARD": 0, "REDUCED_REDUNDANCY": 0, "INTELLIGENT_TIERING": 1, "STANDARD_IA": 2, "ONEZONE_IA": 3,
         "GLACIER_IR": 4, "GLACIER": 5, "DEEP_ARCHIVE": 6}
_MIN_DAYS = {"STANDARD_IA": 30, "ONEZONE_IA": 30}
_SMALL = 128 * 1024  # all_storage_classes_128K: smaller objects are not transitioned


def _midnight_after(epoch: float) -> float:
    return (int(epoch) // DAY + 1) * DAY


def _epoch(value) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _rule_filter(rule: dict) -> dict:
    """prefix, tags, size bounds of a rule (Filter, Filter.And, or the legacy Prefix)."""
    flt = rule.get("Filter")
    if flt is None:
        return {"prefix": rule.get("Prefix") or "", "tags": {}}
    both = flt.get("And") or {}
    tags = {t["Key"]: t.get("Value", "") for t in both.get("Tags") or []}
    if flt.get("Tag"):
        tags[flt["Tag"]["Key"]] = flt["Tag"].get("Value", "")
    return {"prefix": flt.get("Prefix") or both.get("Prefix") or "", "tags": tags,
            "gt": flt.get("ObjectSizeGreaterThan", both.get("ObjectSizeGreaterThan")),
            "lt": flt.get("ObjectSizeLessThan", both.get("ObjectSizeLessThan"))}


def _matches(flt: dict, key: str, meta: dict) -> bool:
    if not key.startswith(flt["prefix"]):
        return False
    tags = meta.get("tags") or {}
    if any(tags.get(k) != v for k, v in flt["tags"].items()):
        return False
    size = meta.get("size", 0)
    if flt.get("gt") is not None and not size > flt["gt"]:
        return False
    if flt.get("lt") is not None and not size < flt["lt"]:
        return False
    return True


def validate(rules: list[dict]) -> None:
    if not rules or len(rules) > 1000:
        raise errors.malformed_xml()
    ids = set()
    for rule in rules:
        rule_id = rule.get("ID") or ""
        if len(rule_id) > 255:
            raise errors.invalid_argument("ID length should not exceed allowed limit of 255", "ID", rule_id)
        if rule_id and rule_id in ids:
            raise errors.invalid_argument("Rule ID must be unique. Found same ID for more than one rule", "ID",
                                          rule_id)
        ids.add(rule_id)
        if rule.get("Status") not in ("Enabled", "Disabled"):
            raise errors.malformed_xml()
        if rule.get("Filter") is not None and rule.get("Prefix") is not None:
            raise errors.malformed_xml()
        actions = ("Expiration", "Transitions", "NoncurrentVersionTransitions", "NoncurrentVersionExpiration",
                   "AbortIncompleteMultipartUpload")
        if not any(rule.get(a) for a in actions):
            raise errors.invalid_request("At least one action needs to be specified in a rule")
        expiration = rule.get("Expiration") or {}
        if expiration.get("Days") is not None and expiration["Days"] <= 0:
            raise errors.invalid_argument("'Days' for Expiration action must be a positive integer", "Days",
                                          expiration["Days"])
        for transition in rule.get("Transitions") or []:
            _check_transition(transition.get("StorageClass"), transition.get("Days"), "Days", "Transition")
            if expiration.get("Days") is not None and transition.get("Days") is not None \
                    and expiration["Days"] <= transition["Days"]:
                raise errors.invalid_argument("'Days' in the Expiration action for filter must be greater than "
                                              "'Days' in the Transition action", "Days", expiration["Days"])
        for transition in rule.get("NoncurrentVersionTransitions") or []:
            _check_transition(transition.get("StorageClass"), transition.get("NoncurrentDays"), "NoncurrentDays",
                              "NoncurrentVersionTransition")
        noncurrent = rule.get("NoncurrentVersionExpiration") or {}
        if noncurrent and (noncurrent.get("NoncurrentDays") or 0) <= 0:
            raise errors.invalid_argument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a "
                                          "positive integer", "NoncurrentDays", noncurrent.get("NoncurrentDays"))
        abort = rule.get("AbortIncompleteMultipartUpload") or {}
        if abort and (abort.get("DaysAfterInitiation") or 0) <= 0:
            raise errors.invalid_argument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be "
                                          "a positive integer", "DaysAfterInitiation", abort.get("DaysAfterInitiation"))


def _check_transition(storage_class, days, field: str, action: str) -> None:
    if storage_class not in _TIER or storage_class in ("STANDARD", "REDUCED_REDUNDANCY"):
        raise ServiceError("InvalidStorageClass", "The storage class you specified is not valid", 400)
    minimum = _MIN_DAYS.get(storage_class, 0)
    if days is not None and days < minimum:
        raise errors.invalid_argument(f"'{field}' in {action} action must be greater than or equal to {minimum} for "
                                      f"storageClass '{storage_class}'", field, days)


class LifecycleOps:
    def put_bucket_lifecycle_configuration(self, ctx, params):
        rules = (params.get("LifecycleConfiguration") or {}).get("Rules") or []
        validate(rules)
        minimum = params.get("TransitionDefaultMinimumObjectSize") or "all_storage_classes_128K"
        if minimum not in ("all_storage_classes_128K", "varies_by_storage_class"):
            raise errors.invalid_argument("Invalid TransitionDefaultMinimumObjectSize",
                                          "x-amz-transition-default-minimum-object-size", minimum)
        self._set(params, "lifecycle", {"Rules": rules, "TransitionDefaultMinimumObjectSize": minimum})
        return {"TransitionDefaultMinimumObjectSize": minimum}

    def get_bucket_lifecycle_configuration(self, ctx, params):
        config = self._get(params, "lifecycle", "NoSuchLifecycleConfiguration",
                           "The lifecycle configuration does not exist")
        return dict(config)

    def delete_bucket_lifecycle(self, ctx, params):
        self._set(params, "lifecycle", None)
        return {"__status__": 204}

    # -- what a PUT/HEAD tells about the expiry ------------------------------------------------------
    def expiration_header(self, bucket: dict, key: str, meta: dict) -> str | None:
        config = bucket.get("lifecycle")
        if not config:
            return None
        for rule in config["Rules"]:
            days = (rule.get("Expiration") or {}).get("Days")
            if rule.get("Status") == "Enabled" and days and _matches(_rule_filter(rule), key, meta):
                when = _midnight_after(meta["modified"] + days * DAY)
                return f'expiry-date="{om.http_date(when)}", rule-id="{rule.get("ID", "")}"'
        return None

    # -- the daily pass ------------------------------------------------------------------------------
    def lifecycle_start(self) -> None:
        clock = self.runtime.clock
        self.runtime.scheduler.every(DAY, self.lifecycle_pass, "s3-lifecycle", first=_midnight_after(clock.time()))

    def lifecycle_pass(self) -> None:
        now = self.runtime.clock.time()
        for bucket in self.buckets.all():
            config = bucket.get("lifecycle")
            if not config:
                continue
            try:
                self._apply(bucket, config, now)
            except Exception:  # one bucket's trouble must not stop the others
                log.exception("lifecycle pass failed for bucket %s", bucket["name"])

    def _apply(self, bucket: dict, config: dict, now: float) -> None:
        rules = [(r, _rule_filter(r)) for r in config["Rules"] if r.get("Status") == "Enabled"]
        if not rules:
            return
        small_ok = config.get("TransitionDefaultMinimumObjectSize") == "varies_by_storage_class"
        name = bucket["name"]
        by_key: dict[str, list] = {}
        for version in self.index.all_versions(name):
            by_key.setdefault(version.key, []).append(version)
        for key, versions in by_key.items():  # each newest first
            for position, version in enumerate(versions):
                if version.latest:
                    self._current(bucket, key, version, versions, rules, now, small_ok)
                else:
                    successor = versions[position - 1] if position else None
                    became_noncurrent = successor.modified if successor else version.modified
                    newer_noncurrent = position - 1 if versions[0].latest else position
                    self._noncurrent(bucket, key, version, became_noncurrent, newer_noncurrent, rules, now,
                                     small_ok)
        for upload in self.index.uploads(name):
            for rule, flt in rules:
                days = (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation")
                if days and upload["key"].startswith(flt["prefix"]) and \
                        now >= _midnight_after(upload["initiated"] + days * DAY):
                    self.abort_upload(upload)
                    break

    def _current(self, bucket, key, version, versions, rules, now, small_ok) -> None:
        meta = version.meta
        if version.marker:
            if len(versions) == 1 and any((r.get("Expiration") or {}).get("ExpiredObjectDeleteMarker")
                                          and key.startswith(f["prefix"]) for r, f in rules):
                self.index.remove(bucket["name"], key, version.version_id)
            return
        for rule, flt in rules:
            if not _matches(flt, key, meta):
                continue
            expiration = rule.get("Expiration") or {}
            due = None
            if expiration.get("Days"):
                due = _midnight_after(meta["modified"] + expiration["Days"] * DAY)
            elif expiration.get("Date") is not None:
                due = _epoch(expiration["Date"])
            if due is not None and now >= due:
                self._expire_current(bucket, key, meta)
                return
        self._transition(bucket, key, version, meta["modified"], rules, now, small_ok, "Transitions", "Days")

    def _expire_current(self, bucket: dict, key: str, meta: dict) -> None:
        state = bucket.get("versioning")
        if state is None:
            removed = self.index.remove(bucket["name"], key, "null")
            if removed is not None:
                self.blobs.delete(removed.get("segments", ()))
        else:
            marker = {"marker": True, "size": 0, "etag": "", "modified": self.runtime.clock.stamp(),
                      "owner": bucket["owner"]}
            self.commit_version(bucket, key, marker)
        self.notify(bucket, "LifecycleExpiration:Delete" if state is None else
                    "LifecycleExpiration:DeleteMarkerCreated", key, meta, None)

    def _noncurrent(self, bucket, key, version, since, newer_count, rules, now, small_ok) -> None:
        meta = version.meta
        for rule, flt in rules:
            if not version.marker and not _matches(flt, key, meta):
                continue
            if version.marker and not key.startswith(flt["prefix"]):
                continue
            expiry = rule.get("NoncurrentVersionExpiration") or {}
            days = expiry.get("NoncurrentDays")
            keep = expiry.get("NewerNoncurrentVersions")
            if days and now >= _midnight_after(since + days * DAY) and (keep is None or newer_count >= keep):
                if bucket.get("object_lock") and self.is_locked(meta, now):
                    return  # Object Lock: lifecycle does not remove a retained or held version
                removed = self.index.remove(bucket["name"], key, version.version_id)
                if removed is not None:
                    self.blobs.delete(removed.get("segments", ()))
                    self.notify(bucket, "LifecycleExpiration:Delete", key, removed, None)
                return
        if not version.marker:
            self._transition(bucket, key, version, since, rules, now, small_ok, "NoncurrentVersionTransitions",
                             "NoncurrentDays")

    def _transition(self, bucket, key, version, since, rules, now, small_ok, field, days_field) -> None:
        meta = version.meta
        if meta.get("size", 0) < _SMALL and not small_ok:
            return
        current = meta.get("storage_class", "STANDARD")
        target = None
        for rule, flt in rules:
            if not _matches(flt, key, meta):
                continue
            for transition in rule.get(field) or []:
                days = transition.get(days_field)
                due = _midnight_after(since + days * DAY) if days is not None else (
                    _epoch(transition["Date"]) if transition.get("Date") is not None else None)
                storage_class = transition.get("StorageClass")
                if due is not None and now >= due and _TIER.get(storage_class, 0) > _TIER.get(current, 0) and \
                        (target is None or _TIER[storage_class] > _TIER[target]):
                    target = storage_class
        if target is not None:
            meta["storage_class"] = target
            meta.pop("restore", None)
            tiering.entered(meta, now)
            self.index.update(bucket["name"], key, version.version_id, meta)
            self.notify(bucket, "LifecycleTransition", key, meta, None)


