"""Turning one API call into a CloudTrail event record with AWS's fields.

This runs in the background writer, not on the request path: the gateway only queues what it
saw (recorder.py). Secrets never reach the record: members that carry passwords, secret keys,
plaintext or message bodies are replaced by AWS's HIDDEN_DUE_TO_SECURITY_REASONS, binary
values are left out, and parameters or responses over 100 KB are dropped whole, as AWS does.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
EVENT_VERSION = "1.09"
_MAX_ELEMENT_BYTES = 100 * 1024

# Member names whose values CloudTrail never shows.
SECRET_MEMBERS = frozenset(name.lower() for name in (
    "SecretAccessKey", "Password", "NewPassword", "OldPassword", "Plaintext", "PrivateKeyPlaintext",
    "SecretString", "SecretBinary", "MessageBody", "Message", "Body", "Payload", "ZipFile", "Data",
    "PrivateKey", "KeyMaterial", "SessionToken", "WebIdentityToken", "SAMLAssertion", "ClientSecret",
    "AuthenticationToken", "SecretValue", "CertificateBody", "CertificateChain",
    "UserData", "SSHPublicKeyBody",
))

READ_PREFIXES = ("Describe", "Get", "List", "Head", "Lookup", "BatchGet", "Search", "Select", "Scan", "Query",
                 "Check", "Receive", "Download", "Estimate", "Preview", "Simulate", "Test", "Validate", "View")
# KMS's cryptographic operations are read-only events in CloudTrail.
READ_OPERATIONS = frozenset(("Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
                             "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateRandom",
                             "Sign", "Verify", "GenerateMac", "VerifyMac"))

# Data events: recorded only for trails whose selectors ask for them, never in event history.
DATA_EVENTS: dict[str, tuple[str, frozenset]] = {
    "s3": ("AWS::S3::Object", frozenset((
        "GetObject", "PutObject", "DeleteObject", "DeleteObjects", "HeadObject", "CopyObject", "GetObjectAcl",
        "PutObjectAcl", "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging", "GetObjectAttributes",
        "RestoreObject", "SelectObjectContent", "CreateMultipartUpload", "UploadPart", "UploadPartCopy",
        "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts", "ListObjects", "ListObjectsV2",
        "ListObjectVersions", "ListMultipartUploads", "GetObjectRetention", "PutObjectRetention",
        "GetObjectLegalHold", "PutObjectLegalHold"))),
    "lambda": ("AWS::Lambda::Function", frozenset(("Invoke", "InvokeAsync", "InvokeWithResponseStream"))),
    "sqs": ("AWS::SQS::Queue", frozenset((
        "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
        "ChangeMessageVisibility", "ChangeMessageVisibilityBatch"))),
    "sns": ("AWS::SNS::Topic", frozenset(("Publish", "PublishBatch"))),
    "dynamodb": ("AWS::DynamoDB::Table", frozenset((
        "GetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchGetItem", "BatchWriteItem", "Query", "Scan",
        "TransactGetItems", "TransactWriteItems", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"))),
    "kinesis": ("AWS::Kinesis::Stream", frozenset(("PutRecord", "PutRecords", "GetRecords", "GetShardIterator",
                                                    "SubscribeToShard"))),
}

# Which request member names a resource, for event history's ResourceType/ResourceName.
_RESOURCE_MEMBERS = {
    "Bucket": "AWS::S3::Bucket", "QueueUrl": "AWS::SQS::Queue", "QueueName": "AWS::SQS::Queue",
    "KeyId": "AWS::KMS::Key", "UserName": "AWS::IAM::User", "RoleName": "AWS::IAM::Role",
    "GroupName": "AWS::IAM::Group", "PolicyArn": "AWS::IAM::Policy", "FunctionName": "AWS::Lambda::Function",
    "TableName": "AWS::DynamoDB::Table", "TopicArn": "AWS::SNS::Topic", "TrailName": "AWS::CloudTrail::Trail",
    "logGroupName": "AWS::Logs::LogGroup", "SecretId": "AWS::SecretsManager::Secret",
    "StreamName": "AWS::Kinesis::Stream", "KeyName": "AWS::EC2::KeyPair", "InstanceId": "AWS::EC2::Instance",
    "InstanceIds": "AWS::EC2::Instance", "AliasName": "AWS::KMS::Alias",
}
_SERVICE_NAME_MEMBER = {"cloudtrail": "AWS::CloudTrail::Trail", "secretsmanager": "AWS::SecretsManager::Secret"}
GLOBAL_SERVICES = frozenset(("iam", "sts", "cloudfront", "route53", "organizations"))


def event_id(hex_id: str | None) -> str:
    import uuid  # loaded when records are read, not with the gateway

    return str(uuid.UUID(hex_id)) if hex_id else str(uuid.uuid4())


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES) or operation in READ_OPERATIONS


def data_resource_type(service: str, operation: str) -> str | None:
    entry = DATA_EVENTS.get(service)
    return entry[0] if entry and operation in entry[1] else None


def event_source(service: str) -> str:
    from pocketcloud.protocol import specs

    try:
        prefix = specs.service_model(service).metadata.get("endpointPrefix") or service
    except Exception:
        prefix = service
    return f"{prefix}.amazonaws.com"


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pseudo_id(prefix: str, text: str) -> str:
    """A stable unique id in AWS's shape for principals whose id we cannot look up."""
    digest = hashlib.sha1(text.encode()).hexdigest().upper()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return prefix + "".join(alphabet[int(digest[i:i + 2], 16) % 32] for i in range(0, 34, 2))


def _iam_id(store, account: str, kind: str, name: str, id_key: str, prefix: str, arn: str) -> str:
    """The unique id IAM gave a user or role (AIDA.../AROA...), when IAM knows it."""
    if store is not None:
        from pocketcloud.core.store import Namespace

        record = Namespace(store, "iam", account, "global").get(kind, name.lower())
        if record and record.get(id_key):
            return record[id_key]
    return _pseudo_id(prefix, arn)


def _session_issued(store, access_key: str | None) -> str | None:
    """When STS issued a temporary key (sessionContext.attributes.creationDate)."""
    if store is None or not access_key:
        return None
    from pocketcloud.core.store import Namespace

    session = Namespace(store, "sts", "", "global").get("session", access_key)
    issued = (session or {}).get("issued")
    return issued.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(issued, datetime) else None


def user_identity(account: str, principal_arn: str | None, access_key: str | None,
                  store=None) -> tuple[dict, str]:
    """(userIdentity, the Username event history shows)."""
    if not principal_arn or principal_arn.endswith(":root"):
        identity = {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root",
                    "accountId": account}
        username = "root"
    elif ":assumed-role/" in principal_arn:
        _, _, rest = principal_arn.partition(":assumed-role/")
        role, _, session = rest.partition("/")
        role_arn = f"arn:aws:iam::{account}:role/{role}"
        role_id = _iam_id(store, account, "role", role.rsplit("/", 1)[-1], "RoleId", "AROA", role_arn)
        identity = {"type": "AssumedRole", "principalId": f"{role_id}:{session}", "arn": principal_arn,
                    "accountId": account,
                    "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": role_id, "arn": role_arn,
                                                         "accountId": account, "userName": role},
                                       "attributes": {"creationDate": _session_issued(store, access_key),
                                                      "mfaAuthenticated": "false"}}}
        if identity["sessionContext"]["attributes"]["creationDate"] is None:
            del identity["sessionContext"]["attributes"]["creationDate"]
        username = session
    elif ":user/" in principal_arn:
        name = principal_arn.rsplit("/", 1)[1]
        identity = {"type": "IAMUser", "principalId": _iam_id(store, account, "user", name, "UserId", "AIDA", principal_arn),
                    "arn": principal_arn,
                    "accountId": account, "userName": name}
        username = name
    else:
        identity = {"type": "Unknown", "principalId": principal_arn, "arn": principal_arn, "accountId": account}
        username = principal_arn
    if access_key:
        identity["accessKeyId"] = access_key
    return identity, username


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def clean(value, shape=None, depth: int = 0):
    """A JSON-able copy with secrets hidden and binary left out; structure member names in
    lowerCamelCase as CloudTrail writes them, map keys as given."""
    if depth > 30:
        return None
    if isinstance(value, dict):
        out = {}
        kind = getattr(shape, "type_name", None)
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith("__"):
                continue
            if kind == "map":
                member_shape = shape.value
                name = key
            else:
                member_shape = shape.members.get(key) if kind == "structure" else None
                if key.lower() in SECRET_MEMBERS:
                    out[_lower_first(key)] = HIDDEN
                    continue
                name = _lower_first(key)
            cleaned = clean(item, member_shape, depth + 1)
            if cleaned is not None:
                out[name] = cleaned
        return out
    if isinstance(value, (list, tuple)):
        member_shape = shape.member if getattr(shape, "type_name", None) == "list" else None
        return [c for c in (clean(v, member_shape, depth + 1) for v in value) if c is not None]
    if isinstance(value, bool) or value is None or isinstance(value, (int, float, str)):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None  # bytes, streams, iterators: not shown


def scrub(value, depth: int = 0):
    """A storable copy of request or response data: secret members hidden, binary, streams and
    other objects left out. Runs for every recorded call, so it is kept plain and cheap."""
    if isinstance(value, dict):
        if depth > 30:
            return None
        out = {}
        for key, item in value.items():
            if type(key) is not str or key[:2] == "__":
                continue
            if key.lower() in SECRET_MEMBERS:
                out[key] = HIDDEN
            else:
                item = scrub(item, depth + 1)
                if item is not None:
                    out[key] = item
        return out
    if isinstance(value, (str, int, float)) or value is None:
        return value
    if isinstance(value, list):
        return [c for c in (scrub(v, depth + 1) for v in value) if c is not None] if depth <= 30 else None
    if isinstance(value, datetime):
        return value
    return None


def bounded(value):
    if value is None:
        return None
    if len(json.dumps(value, default=str)) > _MAX_ELEMENT_BYTES:
        return None
    return value


def resources_of(service: str, account: str, region: str, params: dict | None, result: dict | None) -> list[dict]:
    """[{ResourceType, ResourceName}] for event history, from the request (and a created id)."""
    found = []
    for source in (params or {}, result or {}):
        for member, value in source.items():
            rtype = _RESOURCE_MEMBERS.get(member)
            if rtype is None and member == "Name":
                rtype = _SERVICE_NAME_MEMBER.get(service)
            if rtype is None:
                continue
            for item in (value if isinstance(value, list) else [value]):
                if isinstance(item, str) and item:
                    found.append({"ResourceType": rtype, "ResourceName": item})
    if service == "kms" and result and isinstance(result.get("KeyMetadata"), dict):
        found.append({"ResourceType": "AWS::KMS::Key", "ResourceName": result["KeyMetadata"].get("Arn", "")})
    unique = []
    for item in found:
        if item not in unique:
            unique.append(item)
    return unique[:20]


def data_resource_arn(service: str, account: str, region: str, params: dict) -> str:
    """The ARN that event selectors match a data event against."""
    params = params or {}
    if service == "s3":
        key = params.get("Key")
        return f"arn:aws:s3:::{params.get('Bucket', '')}/{key if isinstance(key, str) else ''}"
    if service == "lambda":
        name = params.get("FunctionName", "")
        return name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:function:{name}"
    if service == "sqs":
        name = (params.get("QueueUrl") or "").rstrip("/").rsplit("/", 1)[-1]
        return f"arn:aws:sqs:{region}:{account}:{name}"
    if service == "sns":
        return params.get("TopicArn") or ""
    if service == "dynamodb":
        name = params.get("TableName", "")
        return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{name}"
    if service == "kinesis":
        return params.get("StreamARN") or f"arn:aws:kinesis:{region}:{account}:stream/{params.get('StreamName', '')}"
    return ""


def build(call, store=None) -> dict:
    """The CloudTrail record of one queued call (recorder.Call)."""
    from pocketcloud.protocol import specs

    op_model = None
    try:
        op_model = specs.service_model(call.service).operation_model(call.operation)
    except Exception:
        pass
    read_only = is_read_only(call.operation)
    identity, username = user_identity(call.account, call.principal_arn, call.access_key, store)
    data_type = data_resource_type(call.service, call.operation)
    record = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity,
        "eventTime": iso(call.time),
        "eventSource": event_source(call.service),
        "eventName": call.operation,
        "awsRegion": call.region,
        "sourceIPAddress": call.source_ip,
        "userAgent": call.user_agent,
        "requestParameters": bounded(clean(call.params, getattr(op_model, "input_shape", None)))
        if call.params is not None else None,
        "responseElements": None if read_only or call.error is not None or call.result is None
        else bounded(clean(call.result, getattr(op_model, "output_shape", None))) or None,
        "requestID": call.request_id,
        "eventID": event_id(call.event_id),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": data_type is None,
        "recipientAccountId": call.account,
        "eventCategory": "Data" if data_type else "Management",
    }
    if call.error is not None:
        record["errorCode"] = call.error[0]
        record["errorMessage"] = call.error[1]
    if call.service == "s3" and isinstance(record["requestParameters"], dict) \
            and "bucket" in record["requestParameters"]:
        # S3's events name the bucket "bucketName".
        record["requestParameters"]["bucketName"] = record["requestParameters"].pop("bucket")
    if data_type:
        arn = data_resource_arn(call.service, call.account, call.region, call.params)
        record["resources"] = [{"type": data_type, "ARN": arn, "accountId": call.account}]
        if call.service == "s3":
            bucket = (call.params or {}).get("Bucket", "")
            record["resources"].append({"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}",
                                        "accountId": call.account})
    lookup = {"Username": username, "Resources": resources_of(call.service, call.account, call.region,
                                                                 call.params, call.result)}
    return {"record": record, "lookup": lookup}
