"""KMS keys in the store: the key record, how a KeyId names a key, and the key states.

A key is one document (kind "key", named by its UUID) in the kms namespace of its account and
region. It holds the key material itself (AES-256 keys, PKCS#8 private keys, HMAC keys), one
entry per rotation, so old ciphertexts stay decryptable. Material is stored in the store as
plain bytes: pocketcloud is a local emulator, and the state database is the HSM.

KeyId may be a key id, a key ARN, an alias name or an alias ARN (of another account too). AWS
managed keys (alias/aws/s3, alias/aws/ebs, ...) are created the first time something names them.
Rotation is evaluated lazily against the virtual clock (a key read after its rotation date gains
the new material with the rotation dated when it was due); deletion runs on the scheduler.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime, timedelta, timezone

from pocketcloud.core.store import Namespace
from pocketcloud.protocol.errors import ServiceError

KIND = "key"
ALIAS_KIND = "alias"

SYMMETRIC = "SYMMETRIC_DEFAULT"
RSA_SPECS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
ECC_SPECS = {"ECC_NIST_P256": "SHA_256", "ECC_NIST_P384": "SHA_384", "ECC_NIST_P521": "SHA_512",
             "ECC_SECG_P256K1": "SHA_256"}
HMAC_SPECS = {"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}
RSA_SIGNING = [f"{scheme}_{h}" for scheme in ("RSASSA_PSS", "RSASSA_PKCS1_V1_5") for h in ("SHA_256", "SHA_384", "SHA_512")]
RSA_ENCRYPTION = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]

# Services whose AWS managed key (alias/aws/<name>) pocketcloud creates on first use, with the
# description AWS gives it.
MANAGED_SERVICES = {
    "s3": "S3", "ebs": "EBS", "sqs": "SQS", "sns": "SNS", "lambda": "Lambda", "rds": "RDS",
    "secretsmanager": "SecretsManager", "ssm": "SSM", "dynamodb": "DynamoDB", "kinesis": "Kinesis",
    "elasticfilesystem": "EFS", "redshift": "Redshift", "backup": "Backup", "glue": "Glue",
    "logs": "CloudWatch Logs", "acm": "ACM", "es": "Elasticsearch", "codecommit": "CodeCommit",
    "kafka": "MSK", "fsx": "FSx", "xray": "X-Ray", "cloudtrail": "CloudTrail", "ecr": "ECR",
    "athena": "Athena", "sagemaker": "SageMaker", "elasticache": "ElastiCache", "firehose": "Firehose",
}

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(key|alias)/(.+)$")
ROTATION_DEFAULT_DAYS = 365


def key_arn(account: str, region: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{account}:key/{key_id}"


def alias_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:kms:{region}:{account}:{name}"


def default_policy(account: str) -> str:
    """The key policy AWS writes when CreateKey is given none, in the layout AWS returns."""
    return ("{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n"
            "    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n"
            f"    \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{account}:root\"\n    }},\n"
            "    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}")


def managed_policy(account: str, service: str) -> str:
    """The policy of an AWS managed key: usable by the account's principals through the service."""
    return json.dumps({
        "Version": "2012-10-17", "Id": f"auto-{service}-2",
        "Statement": [
            {"Sid": f"Allow access through {MANAGED_SERVICES[service]} for all principals in the account that are authorized to use {MANAGED_SERVICES[service]}",
             "Effect": "Allow", "Principal": {"AWS": "*"},
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
             "Resource": "*",
             "Condition": {"StringEquals": {"kms:CallerAccount": account, "kms:ViaService": f"{service}.us-east-1.amazonaws.com"}}},
            {"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
             "Action": ["kms:Describe*", "kms:Get*", "kms:List*"], "Resource": "*"},
        ]}, indent=2)


class KeyRef:
    """A resolved key: its record and where it lives."""

    __slots__ = ("ns", "record")

    def __init__(self, ns: Namespace, record: dict):
        self.ns, self.record = ns, record

    @property
    def key_id(self) -> str:
        return self.record["KeyId"]

    @property
    def arn(self) -> str:
        return self.record["Arn"]

    def save(self) -> None:
        self.ns.put(KIND, self.key_id, self.record)


def not_found_key(ident: str) -> ServiceError:
    return ServiceError("NotFoundException", f"Key '{ident}' does not exist", 400)


def namespace_for(ctx, ident: str) -> tuple[Namespace, str, str]:
    """(namespace, kind 'key'|'alias', id or alias name) for any form of KeyId."""
    match = _ARN.match(ident)
    if match:
        region, account, kind, rest = match.groups()
        ns = Namespace(ctx.runtime.store, "kms", account, region)
        return ns, kind, (rest if kind == "key" else "alias/" + rest)
    ns = ctx.namespace("kms")
    if ident.startswith("alias/"):
        return ns, "alias", ident
    return ns, "key", ident


def resolve(ctx, ident: str | None) -> KeyRef:
    """The key a KeyId names, with rotation caught up; NotFoundException when there is none."""
    if not ident:
        raise ServiceError("ValidationException", "KeyId is required.", 400)
    ns, kind, name = namespace_for(ctx, ident)
    if kind == "alias":
        alias = ns.get(ALIAS_KIND, name)
        if alias is None:
            service = name[len("alias/aws/"):] if name.startswith("alias/aws/") else None
            if service in MANAGED_SERVICES:
                return KeyRef(ns, create_managed_key(ctx, ns, service))
            raise ServiceError("NotFoundException", f"Alias {alias_arn(ns.account, ns.region, name)} is not found.", 400)
        key_id = alias["TargetKeyId"]
    else:
        key_id = name
        if not _UUID.match(key_id):
            if ident.startswith("arn:"):
                raise not_found_key(ident)
            raise ServiceError("NotFoundException", f"Invalid keyId '{ident}'", 400)
    record = ns.get(KIND, key_id)
    if record is None:
        raise not_found_key(key_arn(ns.account, ns.region, key_id))
    ref = KeyRef(ns, record)
    if catch_up_rotation(record, ctx.runtime.clock.time()):
        ref.save()
    return ref


def new_record(account: str, region: str, *, description: str = "", usage: str = "ENCRYPT_DECRYPT",
               spec: str = SYMMETRIC, manager: str = "CUSTOMER", policy: str | None = None,
               origin: str = "AWS_KMS", multi_region: bool = False, now: datetime) -> dict:
    import uuid  # first key, not start-up

    key_id = str(uuid.uuid4())
    record = {
        "KeyId": key_id, "Arn": key_arn(account, region, key_id), "AWSAccountId": account,
        "CreationDate": now, "Enabled": True, "Description": description, "KeyUsage": usage,
        "KeyState": "Enabled", "Origin": origin, "KeyManager": manager, "KeySpec": spec,
        "MultiRegion": multi_region, "Policy": policy or default_policy(account), "Tags": [],
        "Grants": [], "Materials": [], "Rotations": [],
        "RotationEnabled": False, "RotationPeriodInDays": None, "NextRotation": None,
    }
    return record


def metadata(record: dict) -> dict:
    """DescribeKey's KeyMetadata."""
    spec = record["KeySpec"]
    meta = {k: record[k] for k in ("AWSAccountId", "KeyId", "Arn", "CreationDate", "Enabled", "Description",
                                   "KeyUsage", "KeyState", "Origin", "KeyManager", "KeySpec", "MultiRegion")}
    meta["CustomerMasterKeySpec"] = spec
    if record.get("DeletionDate"):
        meta["DeletionDate"] = record["DeletionDate"]
        meta["PendingDeletionWindowInDays"] = record["PendingWindowInDays"]
    if record["KeyUsage"] == "ENCRYPT_DECRYPT":
        meta["EncryptionAlgorithms"] = [SYMMETRIC] if spec == SYMMETRIC else list(RSA_ENCRYPTION)
    elif record["KeyUsage"] == "SIGN_VERIFY":
        meta["SigningAlgorithms"] = list(RSA_SIGNING) if spec in RSA_SPECS else [f"ECDSA_{ECC_SPECS[spec]}"]
    elif record["KeyUsage"] == "GENERATE_VERIFY_MAC":
        meta["MacAlgorithms"] = [f"HMAC_SHA_{spec.split('_')[1]}"]
    elif record["KeyUsage"] == "KEY_AGREEMENT":
        meta["KeyAgreementAlgorithms"] = ["ECDH"]
    return meta


def check_usable(ref: KeyRef) -> None:
    """Cryptographic operations need an enabled key."""
    state = ref.record["KeyState"]
    if state == "Enabled":
        return
    if state == "Disabled":
        raise ServiceError("DisabledException", f"{ref.arn} is disabled.", 400)
    raise invalid_state(ref)


def invalid_state(ref: KeyRef) -> ServiceError:
    state = ref.record["KeyState"]
    words = {"PendingDeletion": "pending deletion", "PendingImport": "pending import"}.get(state, state)
    return ServiceError("KMSInvalidStateException", f"{ref.arn} is {words}.", 400)


def check_not_pending_deletion(ref: KeyRef) -> None:
    if ref.record["KeyState"] == "PendingDeletion":
        raise invalid_state(ref)


def check_customer_managed(ref: KeyRef, operation: str) -> None:
    if ref.record["KeyManager"] == "AWS":
        raise ServiceError("UnsupportedOperationException",
                           f"{ref.arn} is an AWS managed key. You cannot perform {operation} on it.", 400)


def create_managed_key(ctx, ns: Namespace, service: str) -> dict:
    """Create alias/aws/<service> and its key, atomically (two first uses make one key)."""
    from . import crypto

    store = ctx.runtime.store
    name = f"alias/aws/{service}"
    with store.transaction():
        alias = ns.get(ALIAS_KIND, name)
        if alias is not None:
            return ns.get(KIND, alias["TargetKeyId"])
        now = ctx.runtime.clock.now()
        record = new_record(ns.account, ns.region, now=now, manager="AWS",
                            description=f"Default key that protects my {MANAGED_SERVICES[service]} data when no other key is defined",
                            policy=managed_policy(ns.account, service))
        record["Materials"].append(crypto.new_material(SYMMETRIC))
        # AWS managed keys rotate every year, always.
        enable_rotation(record, ROTATION_DEFAULT_DAYS, now)
        ns.put(KIND, record["KeyId"], record)
        ns.put(ALIAS_KIND, name, {"AliasName": name, "TargetKeyId": record["KeyId"],
                                  "CreationDate": now, "LastUpdatedDate": now})
    return record


# -- rotation -------------------------------------------------------------------------------------
def enable_rotation(record: dict, days: int, now: datetime) -> None:
    record["RotationEnabled"] = True
    record["RotationPeriodInDays"] = days
    record["NextRotation"] = (now + timedelta(days=days)).timestamp()


def rotate(record: dict, when: float, rotation_type: str) -> None:
    from . import crypto

    record["Materials"].append(crypto.new_material(record["KeySpec"]))
    record["Rotations"].append({"KeyId": record["KeyId"],
                                "RotationDate": datetime.fromtimestamp(when, timezone.utc),
                                "RotationType": rotation_type})


def catch_up_rotation(record: dict, now: float) -> bool:
    """Apply every automatic rotation due by `now`, each dated when it was due."""
    changed = False
    while record.get("RotationEnabled") and record.get("NextRotation") and record["NextRotation"] <= now \
            and record["KeyState"] == "Enabled":
        rotate(record, record["NextRotation"], "AUTOMATIC")
        record["NextRotation"] += record["RotationPeriodInDays"] * 86400
        changed = True
    return changed


def new_grant_id() -> str:
    return secrets.token_hex(32)
