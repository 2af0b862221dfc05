"""Which IAM action on which resource ARN each operation is, table-driven.

By default an operation is `<prefix>:<OperationName>` on "*" (the resource of actions without
resource-level permissions); the tables below name the exceptions and, per service, how the
resource ARN is built from the request's parameters. `checks()` returns every (action,
resource, extra condition keys) the request needs (CopyObject needs s3:GetObject on the source
as well; DeleteObjects one check per key).
"""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from ..services.iam.arns import entity_arn  # IAM knows its entities' paths
from .actions_s3 import S3_ACTIONS, S3_OBJECT_OPERATIONS, S3_VERSIONED

# botocore service name -> IAM action prefix, where they differ.
PREFIXES = {"elb": "elasticloadbalancing", "elbv2": "elasticloadbalancing", "efs": "elasticfilesystem",
            "apigatewayv2": "apigateway"}

# Operations whose IAM action has another name.
ACTION_NAMES = {
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("lambda", "InvokeWithResponseStream"): "lambda:InvokeFunction",
    ("lambda", "InvokeAsync"): "lambda:InvokeAsync",
    ("sqs", "SendMessageBatch"): "sqs:SendMessage",
    ("sqs", "DeleteMessageBatch"): "sqs:DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "sqs:ChangeMessageVisibility",
    ("sns", "PublishBatch"): "sns:Publish",
    ("logs", "GetLogEvents"): "logs:GetLogEvents",
}

# Operations any authenticated caller may call, whatever its policies say.
UNCHECKED = {("sts", "GetCallerIdentity"), ("sts", "AssumeRoleWithWebIdentity"), ("sts", "AssumeRoleWithSAML")}


class Check:
    __slots__ = ("action", "resource", "context")

    def __init__(self, action: str, resource: str, context: dict | None = None):
        self.action, self.resource, self.context = action, resource, context or {}


def prefix_of(service: str) -> str:
    return PREFIXES.get(service, service)


def checks(service: str, operation: str, params: dict, account: str, region: str, request=None,
           runtime=None, caller: str | None = None) -> list[Check]:
    """caller: the principal's ARN (IAM operations on "myself" act on the caller's own user)."""
    if (service, operation) in UNCHECKED:
        return []
    if service == "iam" and caller and ":user/" in caller and not params.get("UserName") \
            and operation in SELF_SERVICE:
        params = {**params, "UserName": caller.rsplit("/", 1)[1]}
    return _main_checks(service, operation, params, account, region, request, runtime) + \
        pass_role(service, operation, params, account)


# IAM operations whose UserName defaults to the caller's own user.
SELF_SERVICE = {"GetUser", "ListAccessKeys", "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "ListMFADevices",
                "ListSigningCertificates", "UploadSigningCertificate", "UpdateSigningCertificate",
                "DeleteSigningCertificate", "ListServiceSpecificCredentials", "ChangePassword"}


def _main_checks(service, operation, params, account, region, request, runtime) -> list[Check]:
    builder = _BUILDERS.get(service)
    if builder is not None:
        found = builder(operation, params, account, region, request, runtime)
        if found is not None:
            return found
    action = ACTION_NAMES.get((service, operation), f"{prefix_of(service)}:{operation}")
    return [Check(action, "*", _tag_keys(params))]


def pass_role(service: str, operation: str, params: dict, account: str) -> list[Check]:
    """Handing a role to a service (a Lambda function's execution role, an instance profile...)
    also needs iam:PassRole on that role."""
    spec = PASSED_ROLES.get((service, operation))
    if spec is None:
        return []
    param, principal = spec
    if (service, operation) == ("events", "PutTargets"):  # each target names its own role
        values = [t.get(param) for t in params.get("Targets") or [] if isinstance(t, dict)]
    else:
        values = [params.get(param)]
    checks = []
    for value in values:
        if not value or not isinstance(value, str):  # EC2's IamInstanceProfile {Arn|Name}: IAM's business
            continue
        arn = value if value.startswith("arn:") else f"arn:aws:iam::{account}:role/{value}"
        checks.append(Check("iam:PassRole", arn, {"iam:passedtoservice": principal}))
    return checks


PASSED_ROLES = {
    ("lambda", "CreateFunction"): ("Role", "lambda.amazonaws.com"),
    ("lambda", "UpdateFunctionConfiguration"): ("Role", "lambda.amazonaws.com"),
    ("events", "PutRule"): ("RoleArn", "events.amazonaws.com"),
    ("events", "PutTargets"): ("RoleArn", "events.amazonaws.com"),  # in each of Targets
    ("ecs", "RegisterTaskDefinition"): ("taskRoleArn", "ecs-tasks.amazonaws.com"),
    ("cloudformation", "CreateStack"): ("RoleARN", "cloudformation.amazonaws.com"),
    ("cloudformation", "UpdateStack"): ("RoleARN", "cloudformation.amazonaws.com"),
    ("cloudtrail", "CreateTrail"): ("CloudWatchLogsRoleArn", "cloudtrail.amazonaws.com"),
    ("cloudtrail", "UpdateTrail"): ("CloudWatchLogsRoleArn", "cloudtrail.amazonaws.com"),
}


# -- request tags: aws:RequestTag/<key> and aws:TagKeys ---------------------------------------------
def _tag_keys(params: dict) -> dict:
    tags = params.get("Tags") if isinstance(params, dict) else None
    pairs: dict[str, str] = {}
    if isinstance(tags, dict):
        pairs = {str(k): str(v) for k, v in tags.items()}
    elif isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, dict):
                key = tag.get("Key", tag.get("TagKey"))
                if key is not None:
                    pairs[str(key)] = str(tag.get("Value", tag.get("TagValue", "")))
    if not pairs:
        return {}
    ctx = {f"aws:requesttag/{k.lower()}": v for k, v in pairs.items()}
    ctx["aws:tagkeys"] = list(pairs)
    return ctx


# -- per-service builders --------------------------------------------------------------------------
def _s3(operation, params, account, region, request, runtime):
    action = S3_ACTIONS.get(operation, f"s3:{operation}")
    if params.get("VersionId") and operation in S3_VERSIONED:
        action = S3_VERSIONED[operation]
    bucket = params.get("Bucket")
    if not bucket:
        return [Check(action, "*")]
    ctx: dict = {}
    for param, key in (("Prefix", "s3:prefix"), ("Delimiter", "s3:delimiter"), ("MaxKeys", "s3:max-keys"),
                       ("ServerSideEncryption", "s3:x-amz-server-side-encryption"), ("ACL", "s3:x-amz-acl"),
                       ("VersionId", "s3:versionid")):
        if params.get(param) is not None:
            ctx[key] = str(params[param])
    # Overriding a GOVERNANCE retention (Object Lock) takes a permission of its own.
    bypass = params.get("BypassGovernanceRetention")
    if operation == "DeleteObjects":
        objects = ((params.get("Delete") or {}).get("Objects")) or []
        found = [Check(S3_VERSIONED["DeleteObject"] if o.get("VersionId") else "s3:DeleteObject",
                       f"arn:aws:s3:::{bucket}/{o.get('Key', '')}", ctx) for o in objects] or \
            [Check("s3:DeleteObject", f"arn:aws:s3:::{bucket}/*", ctx)]
        if bypass:
            found.append(Check("s3:BypassGovernanceRetention", f"arn:aws:s3:::{bucket}/*", ctx))
        return found
    if operation in S3_OBJECT_OPERATIONS and params.get("Key") is not None:
        found = [Check(action, f"arn:aws:s3:::{bucket}/{params['Key']}", ctx)]
        if bypass:
            found.append(Check("s3:BypassGovernanceRetention", f"arn:aws:s3:::{bucket}/{params['Key']}", ctx))
        source = params.get("CopySource")
        if operation in ("CopyObject", "UploadPartCopy") and isinstance(source, str):
            src = unquote(source.lstrip("/").split("?", 1)[0])
            found.append(Check("s3:GetObject", f"arn:aws:s3:::{src}"))
        return found
    return [Check(action, f"arn:aws:s3:::{bucket}", ctx)]


def _queue_arn(url: str, account: str, region: str) -> str:
    parts = [p for p in urlparse(url).path.split("/") if p]
    if len(parts) >= 2:
        return f"arn:aws:sqs:{region}:{parts[-2]}:{parts[-1]}"
    return f"arn:aws:sqs:{region}:{account}:{parts[-1] if parts else '*'}"


def _sqs(operation, params, account, region, request, runtime):
    action = ACTION_NAMES.get(("sqs", operation), f"sqs:{operation}")
    if params.get("QueueUrl"):
        return [Check(action, _queue_arn(params["QueueUrl"], account, region), _tag_keys(params))]
    if params.get("QueueName"):
        owner = params.get("QueueOwnerAWSAccountId") or account
        return [Check(action, f"arn:aws:sqs:{region}:{owner}:{params['QueueName']}", _tag_keys(params))]
    return None


def _sns(operation, params, account, region, request, runtime):
    action = ACTION_NAMES.get(("sns", operation), f"sns:{operation}")
    arn = params.get("TopicArn") or params.get("TargetArn") or params.get("ResourceArn")
    if operation == "CreateTopic" and params.get("Name"):
        arn = f"arn:aws:sns:{region}:{account}:{params['Name']}"
    if not arn and params.get("SubscriptionArn"):
        arn = params["SubscriptionArn"].rsplit(":", 1)[0]
    return [Check(action, arn, _tag_keys(params))] if arn else None


def _kms_arn(key: str, account: str, region: str) -> str:
    if key.startswith("arn:"):
        return key
    if key.startswith("alias/"):
        return f"arn:aws:kms:{region}:{account}:{key}"
    return f"arn:aws:kms:{region}:{account}:key/{key}"


def _ciphertext_key(blob) -> str | None:
    """The key a symmetric ciphertext names (Decrypt and ReEncrypt may leave KeyId out)."""
    if not isinstance(blob, (bytes, bytearray)):
        return None
    try:
        from ..services.kms.crypto import blob_key
    except ImportError:  # KMS not there: the action is checked on "*"
        return None
    try:
        return blob_key(bytes(blob))[0]
    except Exception:  # not a ciphertext of ours: KMS itself will refuse it
        return None


def _kms(operation, params, account, region, request, runtime):
    if operation == "ReEncrypt":
        source = params.get("SourceKeyId") or _ciphertext_key(params.get("CiphertextBlob"))
        checks_ = [Check("kms:ReEncryptTo", _kms_arn(params["DestinationKeyId"], account, region))]
        if source:
            checks_.insert(0, Check("kms:ReEncryptFrom", _kms_arn(source, account, region)))
        return checks_
    key = params.get("KeyId") or params.get("TargetKeyId")
    if not key and operation == "Decrypt":
        key = _ciphertext_key(params.get("CiphertextBlob"))
    if not key:
        return None
    return [Check(f"kms:{operation}", _kms_arn(key, account, region), _tag_keys(params))]


def _lambda(operation, params, account, region, request, runtime):
    name = params.get("FunctionName")
    if not name:
        return None
    action = ACTION_NAMES.get(("lambda", operation), f"lambda:{operation}")
    if name.startswith("arn:"):
        arn = name
    elif ":function:" in name:  # 123456789012:function:name
        arn = f"arn:aws:lambda:{region}:{name}"
    else:
        arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return [Check(action, arn, _tag_keys(params))]


def _logs(operation, params, account, region, request, runtime):
    group = params.get("logGroupName")
    if not group:
        return None
    arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    arn += f":log-stream:{params['logStreamName']}" if params.get("logStreamName") else ":*"
    return [Check(f"logs:{operation}", arn, _tag_keys(params))]


def _events(operation, params, account, region, request, runtime):
    """EventBridge: rules are rule/<name> on the default bus and rule/<bus>/<name> on others; buses
    event-bus/<name>; PutEvents is checked on the bus of each entry; tags on the ARN named."""
    def bus_of(value):  # a bus name or ARN -> its name
        return value.rsplit("event-bus/", 1)[-1] if value and value.startswith("arn:") else value or "default"

    base = f"arn:aws:events:{region}:{account}:"
    if operation in ("PutRule", "DeleteRule", "DescribeRule", "EnableRule", "DisableRule", "PutTargets",
                     "RemoveTargets", "ListTargetsByRule"):
        name = params.get("Name") or params.get("Rule")
        bus = bus_of(params.get("EventBusName"))
        rule = f"rule/{bus}/{name}" if bus != "default" else f"rule/{name}"
        return [Check(f"events:{operation}", base + rule, _tag_keys(params))]
    if operation in ("CreateEventBus", "DescribeEventBus", "UpdateEventBus", "DeleteEventBus"):
        return [Check(f"events:{operation}", base + f"event-bus/{bus_of(params.get('Name'))}", _tag_keys(params))]
    if operation in ("PutPermission", "RemovePermission"):
        return [Check(f"events:{operation}", base + f"event-bus/{bus_of(params.get('EventBusName'))}")]
    if operation == "PutEvents":
        buses = {e.get("EventBusName") for e in params.get("Entries") or [] if isinstance(e, dict)}
        return [Check("events:PutEvents", bus if bus and bus.startswith("arn:") else base + f"event-bus/{bus_of(bus)}")
                for bus in sorted(buses, key=str)]
    if operation in ("TagResource", "UntagResource", "ListTagsForResource") and params.get("ResourceARN"):
        return [Check(f"events:{operation}", params["ResourceARN"], _tag_keys(params))]
    return None


def _iam(operation, params, account, region, request, runtime):
    ctx = _tag_keys(params)
    if params.get("PolicyArn"):
        ctx["iam:policyarn"] = params["PolicyArn"]
    if params.get("PermissionsBoundary"):
        ctx["iam:permissionsboundary"] = params["PermissionsBoundary"]
    if params.get("AWSServiceName"):
        ctx["iam:awsservicename"] = params["AWSServiceName"]
    resource, resource_tags = entity_arn(runtime, operation, params, account)
    return [Check(f"iam:{operation}", resource, {**ctx, **resource_tags})]


def _sts(operation, params, account, region, request, runtime):
    if operation in ("AssumeRole", "TagSession", "SetSourceIdentity") and params.get("RoleArn"):
        ctx = _tag_keys(params)
        if params.get("ExternalId"):
            ctx["sts:externalid"] = params["ExternalId"]
        if params.get("RoleSessionName"):
            ctx["sts:rolesessionname"] = params["RoleSessionName"]
        if params.get("SourceIdentity"):
            ctx["sts:sourceidentity"] = params["SourceIdentity"]
        return [Check(f"sts:{operation}", params["RoleArn"], ctx)]
    return None


def _apigateway(operation, params, account, region, request, runtime):
    if request is None:
        return None
    return [Check(f"apigateway:{request.method}", f"arn:aws:apigateway:{region}::{request.path}")]


_BUILDERS = {"s3": _s3, "sqs": _sqs, "sns": _sns, "kms": _kms, "lambda": _lambda, "logs": _logs,
             "events": _events, "iam": _iam, "sts": _sts, "apigateway": _apigateway, "apigatewayv2": _apigateway}

# Services whose resources may carry a resource-based policy that takes part in decisions.
RESOURCE_POLICY_PREFIXES = {"s3", "sqs", "sns", "kms", "lambda", "sts"}
