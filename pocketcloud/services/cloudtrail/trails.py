"""Trails: where they are kept, how a name or ARN finds one, and their API.

A trail is a document (kind "trail") in its home region; a global index (kind "trail" in the
"-" namespace) lists every trail so multi-region trails show in every region, start() finds
them all after a restart, and the recorder knows whether any trail wants data events.
"""

from __future__ import annotations

import re

from pocketcloud.core.store import Namespace
from pocketcloud.protocol.errors import ServiceError

from . import selectors

KIND = "trail"
INDEX_NS = ("cloudtrail", "-", "-")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$")
_ARN = re.compile(r"^arn:aws[a-z-]*:cloudtrail:([a-z0-9-]+):(\d{12}):trail/(.+)$")
_LOG_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:logs:([a-z0-9-]+):(\d{12}):log-group:([^:]+)(:\*)?$")
# The members of a trail that DescribeTrails / GetTrail return.
PUBLIC = ("Name", "S3BucketName", "S3KeyPrefix", "SnsTopicName", "SnsTopicARN", "IncludeGlobalServiceEvents",
          "IsMultiRegionTrail", "HomeRegion", "TrailARN", "LogFileValidationEnabled", "CloudWatchLogsLogGroupArn",
          "CloudWatchLogsRoleArn", "KmsKeyId", "HasCustomEventSelectors", "HasInsightSelectors",
          "IsOrganizationTrail")


def trail_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{account}:trail/{name}"


def index(store) -> Namespace:
    return Namespace(store, *INDEX_NS)


def all_trails(store) -> list[tuple[str, str, str]]:
    """(account, home region, name) of every trail."""
    return [(v["account"], v["region"], v["name"]) for _, v in index(store).list(KIND)]


def load(store, account: str, region: str, name: str) -> dict | None:
    return Namespace(store, "cloudtrail", account, region).get(KIND, name)


def save(store, trail: dict) -> None:
    account = trail["TrailARN"].split(":")[4]
    with store.transaction():
        Namespace(store, "cloudtrail", account, trail["HomeRegion"]).put(KIND, trail["Name"], trail)
        index(store).put(KIND, f"{account}/{trail['HomeRegion']}/{trail['Name']}",
                         {"account": account, "region": trail["HomeRegion"], "name": trail["Name"]})


def not_found(ctx, ident: str) -> ServiceError:
    arn = ident if ident.startswith("arn:") else trail_arn(ctx.account, ctx.region, ident)
    return ServiceError("TrailNotFoundException", f"Unknown trail: {arn} for the user: {ctx.account}", 400)


def find(ctx, ident: str) -> dict:
    """The trail a name or ARN names, seen from the caller's region (multi-region trails from
    every region)."""
    store = ctx.runtime.store
    match = _ARN.match(ident or "")
    if match:
        region, account, name = match.groups()
        trail = load(store, account, region, name)
        if trail is None or account != ctx.account:
            raise not_found(ctx, ident)
        return trail
    trail = load(store, ctx.account, ctx.region, ident)
    if trail is not None:
        return trail
    for account, region, name in all_trails(store):
        if account == ctx.account and name == ident:
            trail = load(store, account, region, name)
            if trail and trail["IsMultiRegionTrail"]:
                return trail
    raise not_found(ctx, ident)


def check_home(ctx, trail: dict) -> None:
    if trail["HomeRegion"] != ctx.region:
        raise ServiceError("InvalidHomeRegionException", "This operation must be called from the trail's home "
                           f"region, {trail['HomeRegion']}.", 400)


def check_name(name: str) -> None:
    if not _NAME.match(name) or any(bad in name for bad in ("..", "._", "_.", ".-", "-.")):
        raise ServiceError("InvalidTrailNameException", "Trail name must begin with a letter or number, end with a "
                           "letter or number, be between 3 and 128 characters, and contain only letters, numbers, "
                           "periods, underscores and dashes, without adjacent periods, underscores or dashes.", 400)


def check_log_group(params: dict) -> None:
    arn = params.get("CloudWatchLogsLogGroupArn")
    if not arn:
        return
    if not _LOG_GROUP_ARN.match(arn):
        raise ServiceError("InvalidCloudWatchLogsLogGroupArnException",
                           "CloudWatch Logs log group ARN is invalid.", 400)
    if not params.get("CloudWatchLogsRoleArn"):
        raise ServiceError("InvalidCloudWatchLogsRoleArnException", "You must specify a role ARN with the log "
                           "group ARN.", 400)


def log_group_name(arn: str) -> str:
    return _LOG_GROUP_ARN.match(arn).group(3)


async def check_bucket(ctx, bucket: str) -> None:
    """S3BucketDoesNotExistException when S3 (if present) does not know the bucket."""
    if not re.match(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", bucket or ""):
        raise ServiceError("InvalidS3BucketNameException", f"Invalid S3 bucket name: {bucket}", 400)
    try:
        await ctx.runtime.providers.call("s3", "HeadBucket", {"Bucket": bucket}, ctx.account, ctx.region)
    except LookupError:
        return  # no S3 in this build: delivery reports its own error later
    except ServiceError as error:
        if error.status == 404 or error.code in ("NoSuchBucket", "NotFound"):
            raise ServiceError("S3BucketDoesNotExistException", f"S3 bucket {bucket} does not exist.", 400) from None


def public(trail: dict) -> dict:
    return {k: trail[k] for k in PUBLIC if trail.get(k) is not None}


def refresh_selector_cache(runtime) -> None:
    """Tell the recorder whether any logging trail selects data events (else it drops them)."""
    from .recorder import recorder_for

    wanted = False
    for account, region, name in all_trails(runtime.store):
        trail = load(runtime.store, account, region, name)
        if trail and trail.get("IsLogging") and selectors.wants_data_events(trail):
            wanted = True
            break
    recorder_for(runtime).data_events_wanted = wanted


_SETTABLE = ("S3BucketName", "S3KeyPrefix", "SnsTopicName", "IncludeGlobalServiceEvents", "IsMultiRegionTrail",
             "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn", "KmsKeyId", "IsOrganizationTrail")


def _apply(trail: dict, params: dict, ctx) -> None:
    for member in _SETTABLE:
        if member in params:
            trail[member] = params[member]
    if "EnableLogFileValidation" in params:
        trail["LogFileValidationEnabled"] = bool(params["EnableLogFileValidation"])
    if trail.get("SnsTopicName"):
        topic = trail["SnsTopicName"]
        trail["SnsTopicARN"] = topic if topic.startswith("arn:") else f"arn:aws:sns:{ctx.region}:{ctx.account}:{topic}"
    if trail.get("S3KeyPrefix") is not None and len(trail["S3KeyPrefix"]) > 200:
        raise ServiceError("InvalidS3PrefixException", "S3 key prefix is too long.", 400)


async def check_kms_key(ctx, key_id: str | None) -> None:
    """Log files encrypted with SSE-KMS need a key KMS knows and can use."""
    if not key_id:
        return
    try:
        out = await ctx.runtime.providers.call("kms", "DescribeKey", {"KeyId": key_id}, ctx.account, ctx.region)
    except LookupError:
        return
    except ServiceError as error:
        if error.code == "NotFoundException":
            raise ServiceError("KmsKeyNotFoundException", f"KMS key {key_id} does not exist.", 400) from None
        raise ServiceError("KmsException", error.message, 400) from None
    if out["KeyMetadata"]["KeyState"] == "Disabled":
        raise ServiceError("KmsKeyDisabledException", f"KMS key {key_id} is disabled.", 400)


async def create_trail(ctx, params):
    name = params["Name"]
    check_name(name)
    check_log_group(params)
    await check_bucket(ctx, params["S3BucketName"])
    await check_kms_key(ctx, params.get("KmsKeyId"))
    store = ctx.runtime.store
    for account, region, other in all_trails(store):
        if account == ctx.account and other == name:
            existing = load(store, account, region, other)
            if region == ctx.region or (existing and existing["IsMultiRegionTrail"]) or params.get("IsMultiRegionTrail"):
                raise ServiceError("TrailAlreadyExistsException",
                                   f"Trail {name} already exists for customer: {ctx.account}", 400)
    if sum(1 for a, r, _ in all_trails(store) if a == ctx.account and r == ctx.region) >= 5:
        raise ServiceError("MaximumNumberOfTrailsExceededException",
                           "User: already has 5 trails in this region.", 400)
    trail = {"Name": name, "HomeRegion": ctx.region, "TrailARN": trail_arn(ctx.account, ctx.region, name),
             "IncludeGlobalServiceEvents": True, "IsMultiRegionTrail": False, "LogFileValidationEnabled": False,
             "IsOrganizationTrail": False, "HasCustomEventSelectors": False, "HasInsightSelectors": False,
             "IsLogging": False, "Tags": params.get("TagsList") or [], "PendingLogs": {}, "Chains": {}}
    _apply(trail, params, ctx)
    save(store, trail)
    out = public(trail)
    out.pop("HomeRegion", None)
    out.pop("HasCustomEventSelectors", None)
    out.pop("HasInsightSelectors", None)
    return out


async def update_trail(ctx, params):
    trail = find(ctx, params["Name"])
    check_home(ctx, trail)
    check_log_group({**trail, **params})
    if params.get("S3BucketName"):
        await check_bucket(ctx, params["S3BucketName"])
    await check_kms_key(ctx, params.get("KmsKeyId"))
    _apply(trail, params, ctx)
    save(ctx.runtime.store, trail)
    refresh_selector_cache(ctx.runtime)
    out = public(trail)
    for member in ("HomeRegion", "HasCustomEventSelectors", "HasInsightSelectors"):
        out.pop(member, None)
    return out


def delete_trail(ctx, params):
    trail = find(ctx, params["Name"])
    check_home(ctx, trail)
    store = ctx.runtime.store
    with store.transaction():
        Namespace(store, "cloudtrail", ctx.account, trail["HomeRegion"]).delete(KIND, trail["Name"])
        index(store).delete(KIND, f"{ctx.account}/{trail['HomeRegion']}/{trail['Name']}")
    refresh_selector_cache(ctx.runtime)
    return {}


def get_trail(ctx, params):
    return {"Trail": public(find(ctx, params["Name"]))}


def _visible(ctx, shadows: bool = True) -> list[dict]:
    store = ctx.runtime.store
    out = []
    for account, region, name in all_trails(store):
        if account != ctx.account:
            continue
        trail = load(store, account, region, name)
        if trail and (region == ctx.region or (shadows and trail["IsMultiRegionTrail"])):
            out.append(trail)
    return out


def describe_trails(ctx, params):
    shadows = params.get("includeShadowTrails", True)
    wanted = params.get("trailNameList") or []
    trails = _visible(ctx, shadows)
    if wanted:
        trails = [t for t in trails if t["Name"] in wanted or t["TrailARN"] in wanted]
    return {"trailList": [public(t) for t in trails]}


def list_trails(ctx, params):
    return {"Trails": [{"TrailARN": t["TrailARN"], "Name": t["Name"], "HomeRegion": t["HomeRegion"]}
                       for t in _visible(ctx)]}


def start_logging(ctx, params):
    trail = find(ctx, params["Name"])
    check_home(ctx, trail)
    if not trail.get("IsLogging"):
        now = ctx.runtime.clock.time()
        trail.update(IsLogging=True, StartLoggingTime=now)
        trail["Cursor"] = max(trail.get("Cursor") or 0, now)
        if not trail.get("LastDigest"):
            trail["LastDigest"] = now
    save(ctx.runtime.store, trail)
    refresh_selector_cache(ctx.runtime)
    return {}


def stop_logging(ctx, params):
    trail = find(ctx, params["Name"])
    check_home(ctx, trail)
    if trail.get("IsLogging"):
        trail.update(IsLogging=False, StopLoggingTime=ctx.runtime.clock.time())
    save(ctx.runtime.store, trail)
    refresh_selector_cache(ctx.runtime)
    return {}


def get_trail_status(ctx, params):
    from datetime import datetime, timezone

    from .records import iso

    trail = find(ctx, params["Name"])
    out = {"IsLogging": bool(trail.get("IsLogging"))}
    times = {"LatestDeliveryTime": "LatestDeliveryTime", "StartLoggingTime": "StartLoggingTime",
             "StopLoggingTime": "StopLoggingTime", "LatestDigestDeliveryTime": "LatestDigestDeliveryTime",
             "LatestNotificationTime": "LatestNotificationTime",
             "LatestCloudWatchLogsDeliveryTime": "LatestCloudWatchLogsDeliveryTime"}
    for member, key in times.items():
        if trail.get(key):
            out[member] = datetime.fromtimestamp(trail[key], timezone.utc)
    if trail.get("StartLoggingTime"):
        out["TimeLoggingStarted"] = iso(trail["StartLoggingTime"])
    if trail.get("StopLoggingTime"):
        out["TimeLoggingStopped"] = iso(trail["StopLoggingTime"])
    for member in ("LatestDeliveryError", "LatestDigestDeliveryError", "LatestCloudWatchLogsDeliveryError",
                   "LatestNotificationError"):
        if trail.get(member):
            out[member] = trail[member]
    if trail.get("LatestDeliveryTime"):
        out["LatestDeliveryAttemptTime"] = iso(trail["LatestDeliveryTime"])
        out["LatestDeliveryAttemptSucceeded"] = iso(trail["LatestDeliveryTime"])
    return out


def put_event_selectors(ctx, params):
    trail = find(ctx, params["TrailName"])
    check_home(ctx, trail)
    basic, advanced = params.get("EventSelectors"), params.get("AdvancedEventSelectors")
    if (basic is None) == (advanced is None):
        raise ServiceError("InvalidParameterCombinationException",
                           "Specify either EventSelectors or AdvancedEventSelectors, not both.", 400)
    if basic is not None:
        trail["EventSelectors"] = selectors.check_basic(basic)
        trail["AdvancedEventSelectors"] = None
    else:
        trail["AdvancedEventSelectors"] = selectors.check_advanced(advanced)
        trail["EventSelectors"] = None
    trail["HasCustomEventSelectors"] = True
    save(ctx.runtime.store, trail)
    refresh_selector_cache(ctx.runtime)
    out = {"TrailARN": trail["TrailARN"]}
    if basic is not None:
        out["EventSelectors"] = trail["EventSelectors"]
    else:
        out["AdvancedEventSelectors"] = trail["AdvancedEventSelectors"]
    return out


def get_event_selectors(ctx, params):
    trail = find(ctx, params["TrailName"])
    out = {"TrailARN": trail["TrailARN"]}
    if trail.get("AdvancedEventSelectors"):
        out["AdvancedEventSelectors"] = trail["AdvancedEventSelectors"]
    else:
        out["EventSelectors"] = trail.get("EventSelectors") or selectors.DEFAULT_SELECTORS
    return out


# -- tags -----------------------------------------------------------------------------------------
def _by_arn(ctx, arn: str) -> dict:
    match = _ARN.match(arn or "")
    if not match:
        raise ServiceError("CloudTrailARNInvalidException", f"Invalid ARN: {arn}", 400)
    return find(ctx, arn)


def add_tags(ctx, params):
    trail = _by_arn(ctx, params["ResourceId"])
    tags = {t["Key"]: t.get("Value") for t in trail.get("Tags") or []}
    tags.update({t["Key"]: t.get("Value") for t in params["TagsList"]})
    if len(tags) > 50:
        raise ServiceError("TagsLimitExceededException", "The number of tags exceeds 50.", 400)
    trail["Tags"] = [{"Key": k, "Value": v} if v is not None else {"Key": k} for k, v in tags.items()]
    save(ctx.runtime.store, trail)
    return {}


def remove_tags(ctx, params):
    trail = _by_arn(ctx, params["ResourceId"])
    gone = {t["Key"] for t in params["TagsList"]}
    trail["Tags"] = [t for t in trail.get("Tags") or [] if t["Key"] not in gone]
    save(ctx.runtime.store, trail)
    return {}


def list_tags(ctx, params):
    return {"ResourceTagList": [{"ResourceId": arn, "TagsList": _by_arn(ctx, arn).get("Tags") or []}
                                for arn in params["ResourceIdList"]]}
