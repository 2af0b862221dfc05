"""Trail delivery: gzipped JSON log files into S3 under AWS's key layout every five minutes of
virtual time, hourly signed digest files when log file validation is on, and CloudWatch Logs.

The scheduler runs `collect` synchronously at each due instant (so a `time advance 2h` delivers
24 files, each with the events of its own five minutes, and builds the digest chain in order);
the S3 and CloudWatch Logs calls it returns are async and sent by the provider right after.

Digest files follow AWS's format: for each log file its SHA-256 (of the uncompressed file), the
previous digest's object, SHA-256 and signature, and an RSA SHA256withRSA signature (in the
object's `signature` metadata) over
    digestEndTime \\n digestS3Bucket/digestS3Object \\n hex(SHA-256(digest)) \\n previousDigestSignature
with the key whose public half ListPublicKeys returns.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
import string
from datetime import datetime, timezone

from . import eventstore, selectors, signing, trails
from .recorder import recorder_for
from .records import iso

LOG_INTERVAL_S = 300
DIGEST_INTERVAL_S = 3600
_RANDOM = string.ascii_letters + string.digits


class Put:
    """One object to write into S3 (under the trail's KMS key, when it has one)."""

    __slots__ = ("bucket", "key", "body", "metadata", "kind", "kms_key")

    def __init__(self, bucket, key, body, metadata, kind, kms_key=None):
        self.bucket, self.key, self.body, self.metadata, self.kind = bucket, key, body, metadata, kind
        self.kms_key = kms_key


def _stamp(epoch: float, seconds: bool = False) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y%m%dT%H%M%SZ" if seconds else "%Y%m%dT%H%MZ")


def _day_path(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y/%m/%d")


def _prefix(trail: dict) -> str:
    prefix = trail.get("S3KeyPrefix") or ""
    return f"{prefix}/" if prefix else ""


def log_key(trail: dict, account: str, region: str, now: float) -> str:
    random = "".join(secrets.choice(_RANDOM) for _ in range(16))
    return (f"{_prefix(trail)}AWSLogs/{account}/CloudTrail/{region}/{_day_path(now)}/"
            f"{account}_CloudTrail_{region}_{_stamp(now)}_{random}.json.gz")


def digest_key(trail: dict, account: str, region: str, now: float) -> str:
    return (f"{_prefix(trail)}AWSLogs/{account}/CloudTrail-Digest/{region}/{_day_path(now)}/"
            f"{account}_CloudTrail-Digest_{region}_{trail['Name']}_{trail['HomeRegion']}_{_stamp(now, True)}.json.gz")


def _regions(runtime, trail: dict, account: str) -> list[str]:
    if not trail["IsMultiRegionTrail"]:
        return [trail["HomeRegion"]]
    regions = {r for a, r in eventstore.namespaces(runtime.store) if a == account}
    regions.add(trail["HomeRegion"])
    return sorted(regions)


def _events(runtime, trail: dict, account: str, region: str, start: float, end: float) -> list[dict]:
    from pocketcloud.core.store import Namespace

    ns = Namespace(runtime.store, "cloudtrail", account, region)
    found = []
    for category in ("Management", "Data"):
        for name, entry in eventstore.events_between(ns, category, start, end, newest_first=False):
            if selectors.matches(trail, entry["record"]):
                found.append((name, entry["record"]))
    found.sort(key=lambda item: item[0])
    return [record for _, record in found]


def collect(runtime, account: str, home: str, name: str) -> tuple[list[Put], list[tuple[str, str, list]]]:
    """Build this trail's due log files (and digests); returns (S3 puts, CloudWatch batches)."""
    trail = trails.load(runtime.store, account, home, name)
    if trail is None or not trail.get("IsLogging"):
        return [], []
    now = runtime.clock.time()
    start = trail.get("Cursor") or trail.get("StartLoggingTime") or now
    puts: list[Put] = []
    batches: list[tuple[str, str, list]] = []
    latest = recorder_for(runtime).latest
    quiet = account in latest and latest[account] <= start
    for region in ([] if quiet else _regions(runtime, trail, account)):
        records = _events(runtime, trail, account, region, start, now)
        if not records:
            continue
        raw = json.dumps({"Records": records}, separators=(",", ":")).encode()
        key = log_key(trail, account, region, now)
        puts.append(Put(trail["S3BucketName"], key, gzip.compress(raw), None, "log", trail.get("KmsKeyId")))
        trail.setdefault("PendingLogs", {}).setdefault(region, []).append({
            "s3Bucket": trail["S3BucketName"], "s3Object": key, "hashValue": hashlib.sha256(raw).hexdigest(),
            "hashAlgorithm": "SHA-256", "newestEventTime": records[-1]["eventTime"],
            "oldestEventTime": records[0]["eventTime"]})
        if trail.get("CloudWatchLogsLogGroupArn"):
            batches.append((trails.log_group_name(trail["CloudWatchLogsLogGroupArn"]),
                            f"{account}_CloudTrail_{region}", records))
    trail["Cursor"] = now
    latest.setdefault(account, now)  # after a restart: the store was read once, up to now
    if trail.get("LogFileValidationEnabled") and now - (trail.get("LastDigest") or now) >= DIGEST_INTERVAL_S:
        puts += _digests(runtime, trail, account, now)
    elif not trail.get("LogFileValidationEnabled"):
        trail["PendingLogs"] = {}
    trails.save(runtime.store, trail)
    return puts, batches


def _digests(runtime, trail: dict, account: str, now: float) -> list[Put]:
    puts = []
    start = trail.get("LastDigest") or now
    pending = trail.get("PendingLogs") or {}
    chains = trail.setdefault("Chains", {})
    regions = set(pending) | set(chains) | {trail["HomeRegion"]}
    for region in sorted(regions):
        logs = pending.get(region, [])
        key_pair = signing.current(runtime, account, region)
        previous = chains.get(region) or {}
        key = digest_key(trail, account, region, now)
        digest = {
            "awsAccountId": account,
            "digestStartTime": iso(start), "digestEndTime": iso(now),
            "digestS3Bucket": trail["S3BucketName"], "digestS3Object": key,
            "digestPublicKeyFingerprint": key_pair["fingerprint"],
            "digestSignatureAlgorithm": signing.ALGORITHM,
            "newestEventTime": max((log["newestEventTime"] for log in logs), default=None),
            "oldestEventTime": min((log["oldestEventTime"] for log in logs), default=None),
            "previousDigestS3Bucket": previous.get("bucket"), "previousDigestS3Object": previous.get("object"),
            "previousDigestHashValue": previous.get("hash"),
            "previousDigestHashAlgorithm": "SHA-256" if previous else None,
            "previousDigestSignature": previous.get("signature"),
            "logFiles": logs,
        }
        raw = json.dumps(digest, separators=(",", ":")).encode()
        digest_hash = hashlib.sha256(raw).hexdigest()
        signed = "\n".join((digest["digestEndTime"], f"{trail['S3BucketName']}/{key}", digest_hash,
                            previous.get("signature") or "null"))
        signature = signing.sign(key_pair, signed.encode())
        puts.append(Put(trail["S3BucketName"], key, gzip.compress(raw),
                        {"signature": signature, "signature-algorithm": signing.ALGORITHM}, "digest"))
        chains[region] = {"bucket": trail["S3BucketName"], "object": key, "hash": digest_hash, "signature": signature}
    trail["PendingLogs"] = {}
    trail["LastDigest"] = now
    return puts


async def send(runtime, account: str, home: str, name: str, when: float, puts: list[Put], batches: list) -> None:
    """Write the collected objects and log events; note the outcome in the trail's status."""
    from pocketcloud.protocol.errors import ServiceError
    from pocketcloud.protocol.http import BodyStream

    status: dict = {}
    delivered: list[Put] = []
    for put in puts:
        params = {"Bucket": put.bucket, "Key": put.key, "Body": BodyStream.from_bytes(put.body),
                  "ContentLength": len(put.body), "ContentType": "application/json", "ContentEncoding": "gzip"}
        if put.metadata:
            params["Metadata"] = put.metadata
        if put.kms_key:
            params.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=put.kms_key)
        error_member = "LatestDigestDeliveryError" if put.kind == "digest" else "LatestDeliveryError"
        try:
            await runtime.providers.call("s3", "PutObject", params, account, home)
            status["LatestDigestDeliveryTime" if put.kind == "digest" else "LatestDeliveryTime"] = when
            status[error_member] = None
            if put.kind == "log":
                delivered.append(put)
        except LookupError:
            status[error_member] = "S3 is not available in this pocketcloud"
        except ServiceError as error:
            status[error_member] = error.code
    for group, stream, records in batches:
        try:
            await _to_logs(runtime, account, home, group, stream, records)
            status["LatestCloudWatchLogsDeliveryTime"] = when
            status["LatestCloudWatchLogsDeliveryError"] = None
        except LookupError:
            status["LatestCloudWatchLogsDeliveryError"] = "CloudWatch Logs is not available in this pocketcloud"
        except ServiceError as error:
            status["LatestCloudWatchLogsDeliveryError"] = error.code
    if delivered:
        status.update(await _notify(runtime, account, home, name, when, delivered))
    if status:
        trail = trails.load(runtime.store, account, home, name)
        if trail is not None:
            trail.update(status)
            trails.save(runtime.store, trail)


async def _notify(runtime, account: str, home: str, name: str, when: float, delivered: list[Put]) -> dict:
    """Tell the trail's SNS topic (if any) about the log files delivered, as AWS does."""
    from pocketcloud.protocol.errors import ServiceError

    trail = trails.load(runtime.store, account, home, name)
    topic = (trail or {}).get("SnsTopicARN")
    if not topic:
        return {}
    message = json.dumps({"s3Bucket": delivered[0].bucket, "s3ObjectKey": [p.key for p in delivered]})
    parts = topic.split(":")
    try:
        await runtime.providers.call("sns", "Publish", {"TopicArn": topic, "Message": message},
                                     parts[4], parts[3])
    except LookupError:
        return {"LatestNotificationError": "SNS is not available in this pocketcloud"}
    except ServiceError as error:
        return {"LatestNotificationError": error.code}
    return {"LatestNotificationTime": when, "LatestNotificationError": None}


async def _to_logs(runtime, account: str, region: str, group: str, stream: str, records: list[dict]) -> None:
    from pocketcloud.protocol.errors import ServiceError

    try:
        await runtime.providers.call("logs", "CreateLogStream", {"logGroupName": group, "logStreamName": stream},
                                     account, region)
    except ServiceError as error:
        if error.code != "ResourceAlreadyExistsException":
            raise
    events = [{"timestamp": int(datetime.strptime(r["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
                                .replace(tzinfo=timezone.utc).timestamp() * 1000),
               "message": json.dumps(r, separators=(",", ":"))} for r in records]
    for i in range(0, len(events), 1000):
        await runtime.providers.call("logs", "PutLogEvents", {"logGroupName": group, "logStreamName": stream,
                                                              "logEvents": events[i:i + 1000]}, account, region)
