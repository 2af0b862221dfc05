"""Resource-based policies: services tell the engine where theirs are.

A service registers `provider(runtime, resource_arn, account, region)` for its IAM prefix; it
returns ResourcePolicy(owner_account, policy_text_or_None) when it knows the resource, or None.
Registration happens where the service's code lives (or here, for services that expose their
policy through a Get*Policy operation: those are looked up through runtime.providers.call, so
no service has to know about the engine)."""

from __future__ import annotations

import json
from typing import Awaitable, Callable

from ..protocol.errors import ServiceError


class ResourcePolicy:
    """owner: the resource's account; text: its policy (None: it has none); arn: the resource's
    canonical ARN when the request named it another way (a KMS alias names a key); tags: the
    resource's tags (aws:ResourceTag/<key>)."""

    __slots__ = ("owner", "text", "arn", "tags")

    def __init__(self, owner: str | None, text: str | None, arn: str | None = None, tags: dict | None = None):
        self.owner, self.text, self.arn, self.tags = owner, text, arn, tags or {}


Provider = Callable[..., "Awaitable[ResourcePolicy | None] | ResourcePolicy | None"]
_providers: dict[str, Provider] = {}


def register_resource_policy_provider(prefix: str, provider: Provider) -> None:
    """prefix: the IAM action prefix (s3, sqs, sns, kms, lambda...)."""
    _providers[prefix] = provider


async def resource_policy(runtime, prefix: str, resource_arn: str, account: str, region: str) -> ResourcePolicy | None:
    provider = _providers.get(prefix) or _BUILT_IN.get(prefix)
    if provider is None or resource_arn == "*":
        return None
    try:
        found = provider(runtime, resource_arn, account, region)
        if hasattr(found, "__await__"):
            found = await found
    except (LookupError, KeyError, ValueError, TypeError, ServiceError):
        # Not implemented (yet), or the resource's own error (no such bucket...): no policy to add.
        return None
    return found


def _arn_parts(arn: str) -> list[str]:
    return arn.split(":", 5)


async def _call(runtime, service, operation, params, account, region):
    return await runtime.providers.call(service, operation, params, account, region)


async def _tags(runtime, service, operation, params, account, region, member) -> dict:
    """A resource's tags through its service's own tag-listing operation ({} when it has none)."""
    try:
        out = await _call(runtime, service, operation, params, account, region)
    except (LookupError, ServiceError):
        return {}
    tags = out.get(member) or {}
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t.get("Key", t.get("TagKey"))): str(t.get("Value", t.get("TagValue", ""))) for t in tags}


async def _s3(runtime, arn, account, region):
    bucket = _arn_parts(arn)[5].split("/", 1)[0]
    owner = await _s3_owner(runtime, bucket, account, region)
    tags = await _tags(runtime, "s3", "GetBucketTagging", {"Bucket": bucket}, owner or account, region, "TagSet")
    try:
        out = await _call(runtime, "s3", "GetBucketPolicy", {"Bucket": bucket}, owner or account, region)
    except ServiceError as exc:
        if exc.code == "NoSuchBucketPolicy":
            return ResourcePolicy(owner, None, tags=tags)
        raise
    return ResourcePolicy(owner, _text(out.get("Policy")), tags=tags)


# S3 bucket names are global: how to find a bucket's owner is S3's business. S3 may register
# an owner lookup here (bucket -> account id or None); without one the caller's account is used.
s3_bucket_owner: Callable | None = None


async def _s3_owner(runtime, bucket, account, region):
    if s3_bucket_owner is not None:
        found = s3_bucket_owner(runtime, bucket)
        if hasattr(found, "__await__"):
            found = await found
        return found or account
    # S3's provider keeps its global bucket registry at `.buckets` (records name their "owner").
    try:
        record = runtime.providers.provider("s3").buckets.get(bucket)
    except (AttributeError, LookupError, TypeError):
        return account
    return (record or {}).get("owner") or account


async def _sqs(runtime, arn, account, region):
    _, _, _, q_region, q_account, name = _arn_parts(arn)
    url = f"{runtime.settings.endpoint}/{q_account}/{name}"
    out = await _call(runtime, "sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["Policy"]},
                      q_account, q_region)
    tags = await _tags(runtime, "sqs", "ListQueueTags", {"QueueUrl": url}, q_account, q_region, "Tags")
    return ResourcePolicy(q_account, _text((out.get("Attributes") or {}).get("Policy")), tags=tags)


async def _sns(runtime, arn, account, region):
    parts = _arn_parts(arn)
    out = await _call(runtime, "sns", "GetTopicAttributes", {"TopicArn": arn}, parts[4], parts[3])
    tags = await _tags(runtime, "sns", "ListTagsForResource", {"ResourceArn": arn}, parts[4], parts[3], "Tags")
    return ResourcePolicy(parts[4], _text((out.get("Attributes") or {}).get("Policy")), tags=tags)


async def _kms(runtime, arn, account, region):
    parts = _arn_parts(arn)
    key = await _call(runtime, "kms", "DescribeKey", {"KeyId": arn}, parts[4], parts[3])
    key_arn = key["KeyMetadata"]["Arn"]
    out = await _call(runtime, "kms", "GetKeyPolicy", {"KeyId": key_arn, "PolicyName": "default"}, parts[4], parts[3])
    tags = await _tags(runtime, "kms", "ListResourceTags", {"KeyId": key_arn}, parts[4], parts[3], "Tags")
    return ResourcePolicy(parts[4], _text(out.get("Policy")), key_arn, tags)


async def _lambda(runtime, arn, account, region):
    parts = _arn_parts(arn)
    name = parts[5].split(":")[1] if parts[5].startswith("function:") else parts[5]
    function_arn = f"arn:aws:lambda:{parts[3]}:{parts[4]}:function:{name}"
    tags = await _tags(runtime, "lambda", "ListTags", {"Resource": function_arn}, parts[4], parts[3], "Tags")
    try:
        out = await _call(runtime, "lambda", "GetPolicy", {"FunctionName": name}, parts[4], parts[3])
    except ServiceError as exc:
        if exc.code == "ResourceNotFoundException":
            return ResourcePolicy(parts[4], None, tags=tags)
        raise
    return ResourcePolicy(parts[4], _text(out.get("Policy")), tags=tags)


def _sts(runtime, arn, account, region):
    """A role's trust policy is the resource policy of sts:AssumeRole on it."""
    from ..services.iam.entities import ROLE, find

    parts = _arn_parts(arn)
    role = find(runtime, parts[4], ROLE, parts[5].rsplit("/", 1)[-1])
    if role is None or role["Arn"] != arn:
        return None
    tags = {t["Key"]: t["Value"] for t in role.get("Tags") or []}
    return ResourcePolicy(parts[4], role["AssumeRolePolicyDocument"], tags=tags)


def _text(policy) -> str | None:
    if policy is None or policy == "":
        return None
    return policy if isinstance(policy, str) else json.dumps(policy)


_BUILT_IN: dict[str, Provider] = {"s3": _s3, "sqs": _sqs, "sns": _sns, "kms": _kms, "lambda": _lambda, "sts": _sts}
