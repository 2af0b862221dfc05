"""Bucket operations and bucket configurations (tagging, CORS, ownership, Block Public Access,
ACL, policy, versioning, encryption, website, lifecycle, notifications, acceleration)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from ...protocol.errors import ServiceError
from . import errors, names
from . import objectmeta as om
from .buckets import DEFAULT_ENCRYPTION, DEFAULT_OWNERSHIP, DEFAULT_PUBLIC_ACCESS_BLOCK, _AlreadyOwnedLegacy, owner

CANNED_ACLS = ("private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
               "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write")
_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
_AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


def _missing(code: str, message: str, name: str) -> ServiceError:
    return ServiceError(code, message, 404, BucketName=name)


class BucketOps:
    # -- create / head / list / delete --------------------------------------------------------------
    def create_bucket(self, ctx, params):
        name = params["Bucket"]
        names.check_bucket_name(name)
        config = params.get("CreateBucketConfiguration") or {}
        region = names.check_location(config.get("LocationConstraint"), ctx.region)
        acl = params.get("ACL")
        ownership = params.get("ObjectOwnership") or "BucketOwnerEnforced"
        if acl and acl not in CANNED_ACLS:
            raise errors.invalid_argument("Invalid canned ACL", "x-amz-acl", acl)
        if acl not in (None, "private", "bucket-owner-full-control") and ownership == "BucketOwnerEnforced":
            raise ServiceError("InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with "
                               "ObjectOwnership's BucketOwnerEnforced setting", 400)
        record = {"name": name, "owner": ctx.account, "region": region,
                  "created": ctx.runtime.clock.stamp(), "versioning": None,
                  "encryption": DEFAULT_ENCRYPTION, "public_access_block": DEFAULT_PUBLIC_ACCESS_BLOCK,
                  "ownership": {"Rules": [{"ObjectOwnership": ownership}]} if ownership else DEFAULT_OWNERSHIP,
                  "acl": acl or "private"}
        if params.get("ObjectLockEnabledForBucket"):
            record["versioning"] = "Enabled"  # Object Lock keeps versioning on (objectlock.py)
            record["object_lock"] = {"ObjectLockEnabled": "Enabled"}
        try:
            self.buckets.create(name, record)
        except _AlreadyOwnedLegacy:
            pass
        return {"Location": f"/{name}" if region == "us-east-1" else f"http://{name}.s3.amazonaws.com/",
                "BucketArn": f"arn:aws:s3:::{name}"}

    def head_bucket(self, ctx, params):
        bucket = self.buckets.get(params["Bucket"])
        if bucket is None:
            raise ServiceError("NotFound", "Not Found", 404)
        return {"BucketRegion": bucket["region"], "BucketArn": f"arn:aws:s3:::{bucket['name']}",
                "AccessPointAlias": False}

    def list_buckets(self, ctx, params):
        prefix = params.get("Prefix") or ""
        region = params.get("BucketRegion")
        mine = sorted((b for b in self.buckets.all() if b["owner"] == ctx.account and b["name"].startswith(prefix)
                       and (region is None or b["region"] == region)), key=lambda b: b["name"])
        limit = params.get("MaxBuckets") or 10000
        token = params.get("ContinuationToken")
        if token:
            mine = [b for b in mine if b["name"] > token]
        page, rest = mine[:limit], mine[limit:]
        out = {"Buckets": [{"Name": b["name"], "CreationDate": datetime.fromtimestamp(b["created"], timezone.utc),
                            "BucketRegion": b["region"], "BucketArn": f"arn:aws:s3:::{b['name']}"} for b in page],
               "Owner": owner(ctx.account)}
        if prefix:
            out["Prefix"] = prefix
        if rest:
            out["ContinuationToken"] = page[-1]["name"]
        return out

    def delete_bucket(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        if not self.index.is_empty(bucket["name"]):
            raise ServiceError("BucketNotEmpty", "The bucket you tried to delete is not empty", 409,
                               BucketName=bucket["name"])
        self.buckets.delete(bucket["name"])
        return {"__status__": 204}

    def get_bucket_location(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        return {"LocationConstraint": None if bucket["region"] == "us-east-1" else bucket["region"]}

    # -- configuration documents kept on the bucket record -------------------------------------------
    def _set(self, params, field: str, value) -> dict:
        bucket = dict(self.buckets.require(params["Bucket"]))
        if value is None:
            bucket.pop(field, None)
        else:
            bucket[field] = value
        self.buckets.save(bucket["name"], bucket)
        return bucket

    def _get(self, params, field: str, code: str, message: str):
        bucket = self.buckets.require(params["Bucket"])
        value = bucket.get(field)
        if value is None:
            raise _missing(code, message, bucket["name"])
        return value

    # tagging
    def put_bucket_tagging(self, ctx, params):
        tags = om.tag_set(params["Tagging"].get("TagSet"), limit=50)
        self._set(params, "tagging", tags)
        return {"__status__": 204}

    def get_bucket_tagging(self, ctx, params):
        tags = self._get(params, "tagging", "NoSuchTagSet", "The TagSet does not exist")
        return {"TagSet": om.tag_list(tags)}

    def delete_bucket_tagging(self, ctx, params):
        self._set(params, "tagging", None)
        return {"__status__": 204}

    # CORS
    def put_bucket_cors(self, ctx, params):
        rules = params["CORSConfiguration"].get("CORSRules") or []
        if not rules or len(rules) > 100:
            raise errors.malformed_xml()
        for rule in rules:
            for method in rule.get("AllowedMethods") or []:
                if method not in ("GET", "PUT", "POST", "DELETE", "HEAD"):
                    raise errors.invalid_request(f"Found unsupported HTTP method in CORS config. Unsupported "
                                                 f"method is {method}")
        self._set(params, "cors", rules)
        return {}

    def get_bucket_cors(self, ctx, params):
        return {"CORSRules": self._get(params, "cors", "NoSuchCORSConfiguration",
                                       "The CORS configuration does not exist")}

    def delete_bucket_cors(self, ctx, params):
        self._set(params, "cors", None)
        return {"__status__": 204}

    # ownership controls
    def put_bucket_ownership_controls(self, ctx, params):
        controls = params["OwnershipControls"]
        for rule in controls.get("Rules") or []:
            if rule.get("ObjectOwnership") not in ("BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"):
                raise errors.malformed_xml()
        self._set(params, "ownership", controls)
        return {}

    def get_bucket_ownership_controls(self, ctx, params):
        return {"OwnershipControls": self._get(params, "ownership", "OwnershipControlsNotFoundError",
                                               "The bucket ownership controls were not found")}

    def delete_bucket_ownership_controls(self, ctx, params):
        self._set(params, "ownership", None)
        return {"__status__": 204}

    # Block Public Access
    def put_public_access_block(self, ctx, params):
        self._set(params, "public_access_block", params["PublicAccessBlockConfiguration"])
        return {}

    def get_public_access_block(self, ctx, params):
        return {"PublicAccessBlockConfiguration": self._get(
            params, "public_access_block", "NoSuchPublicAccessBlockConfiguration",
            "The public access block configuration was not found")}

    def delete_public_access_block(self, ctx, params):
        self._set(params, "public_access_block", None)
        return {"__status__": 204}

    # ACLs (canned)
    def check_acl_allowed(self, bucket: dict, params) -> None:
        acl = params.get("ACL")
        if acl is not None and acl not in CANNED_ACLS:
            raise errors.invalid_argument("Invalid canned ACL", "x-amz-acl", acl)
        rules = (bucket.get("ownership") or {}).get("Rules") or [{}]
        if rules[0].get("ObjectOwnership") == "BucketOwnerEnforced" and acl not in (None, "private",
                                                                                     "bucket-owner-full-control"):
            raise ServiceError("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)
        pab = bucket.get("public_access_block") or {}
        if pab.get("BlockPublicAcls") and acl in ("public-read", "public-read-write", "authenticated-read"):
            raise errors.access_denied()

    def put_bucket_acl(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        self.check_acl_allowed(bucket, params)
        self._set(params, "acl", params.get("ACL") or "private")
        return {}

    def get_bucket_acl(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        return self.acl_document(bucket["owner"], bucket.get("acl") or "private")

    @staticmethod
    def acl_document(account: str, acl: str) -> dict:
        me = owner(account)
        grants = [{"Grantee": {"Type": "CanonicalUser", **me}, "Permission": "FULL_CONTROL"}]
        if acl in ("public-read", "public-read-write"):
            grants.append({"Grantee": {"Type": "Group", "URI": _ALL_USERS}, "Permission": "READ"})
        if acl == "public-read-write":
            grants.append({"Grantee": {"Type": "Group", "URI": _ALL_USERS}, "Permission": "WRITE"})
        if acl == "authenticated-read":
            grants.append({"Grantee": {"Type": "Group", "URI": _AUTH_USERS}, "Permission": "READ"})
        return {"Owner": me, "Grants": grants}

    # bucket policy (stored and returned; evaluation belongs to the IAM engine)
    def put_bucket_policy(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        text = params["Policy"]
        try:
            document = json.loads(text)
        except ValueError:
            raise ServiceError("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'",
                               400) from None
        if not isinstance(document, dict) or "Statement" not in document:
            raise ServiceError("MalformedPolicy", "Missing required field Statement", 400)
        if (bucket.get("public_access_block") or {}).get("BlockPublicPolicy") and _is_public(document):
            raise errors.access_denied("User is not authorized to perform: s3:PutBucketPolicy on resource because "
                                       "public policies are blocked by the BlockPublicPolicy block public access "
                                       "setting.")
        self._set(params, "policy", text)
        return {"__status__": 204}

    def get_bucket_policy(self, ctx, params):
        return {"Policy": self._get(params, "policy", "NoSuchBucketPolicy", "The bucket policy does not exist")}

    def delete_bucket_policy(self, ctx, params):
        self._set(params, "policy", None)
        return {"__status__": 204}

    def get_bucket_policy_status(self, ctx, params):
        text = self._get(params, "policy", "NoSuchBucketPolicy", "The bucket policy does not exist")
        return {"PolicyStatus": {"IsPublic": _is_public(json.loads(text))}}

    # versioning
    def put_bucket_versioning(self, ctx, params):
        status = params["VersioningConfiguration"].get("Status")
        if status not in ("Enabled", "Suspended"):
            raise errors.malformed_xml()
        bucket = self.buckets.require(params["Bucket"])
        if bucket.get("object_lock") and status != "Enabled":
            raise ServiceError("InvalidBucketState", "An Object Lock configuration is present on this bucket, so "
                               "the versioning state cannot be changed.", 409)
        if bucket.get("versioning") is None and status == "Suspended":
            status = "Suspended"
        self._set(params, "versioning", status)
        return {}

    def get_bucket_versioning(self, ctx, params):
        status = self.buckets.require(params["Bucket"]).get("versioning")
        return {"Status": status} if status else {}

    # default encryption
    def put_bucket_encryption(self, ctx, params):
        config = params["ServerSideEncryptionConfiguration"]
        rules = config.get("Rules") or []
        if len(rules) != 1:
            raise errors.malformed_xml()
        default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
        algorithm = default.get("SSEAlgorithm")
        if algorithm not in ("AES256", "aws:kms", "aws:kms:dsse"):
            raise errors.malformed_xml()
        if default.get("KMSMasterKeyID") and algorithm == "AES256":
            raise errors.invalid_argument("a KMSMasterKeyID is not applicable if the default sse algorithm is not "
                                          "aws:kms or aws:kms:dsse", "ApplyServerSideEncryptionByDefault")
        self._set(params, "encryption", config)
        return {}

    def get_bucket_encryption(self, ctx, params):
        return {"ServerSideEncryptionConfiguration": self._get(
            params, "encryption", "ServerSideEncryptionConfigurationNotFoundError",
            "The server side encryption configuration was not found")}

    def delete_bucket_encryption(self, ctx, params):
        # Buckets always encrypt: deleting the configuration returns to SSE-S3.
        self._set(params, "encryption", DEFAULT_ENCRYPTION)
        return {"__status__": 204}

    # static website hosting
    def put_bucket_website(self, ctx, params):
        config = params["WebsiteConfiguration"]
        redirect_all = config.get("RedirectAllRequestsTo")
        index = config.get("IndexDocument")
        if redirect_all:
            if index or config.get("ErrorDocument") or config.get("RoutingRules"):
                raise errors.invalid_request("RedirectAllRequestsTo cannot be provided in conjunction with other "
                                             "Routing Rules.")
            if not redirect_all.get("HostName"):
                raise errors.malformed_xml()
        elif not index:
            raise errors.invalid_argument("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo "
                                          "is empty", "IndexDocument")
        elif not index.get("Suffix") or "/" in index["Suffix"]:
            raise errors.invalid_argument("The IndexDocument Suffix is not well formed", "IndexDocument",
                                          index.get("Suffix"))
        for rule in config.get("RoutingRules") or []:
            redirect = rule.get("Redirect") or {}
            if redirect.get("ReplaceKeyWith") is not None and redirect.get("ReplaceKeyPrefixWith") is not None:
                raise errors.invalid_request("You can only define ReplaceKeyPrefix or ReplaceKey but not both.")
            code = redirect.get("HttpRedirectCode")
            if code is not None and (not str(code).isdigit() or not 300 <= int(code) < 400):
                raise errors.invalid_request("The provided HTTP redirect code is not valid. It should be a string "
                                             "containing a number in 3XX range.")
        self._set(params, "website", config)
        return {}

    def get_bucket_website(self, ctx, params):
        return dict(self._get(params, "website", "NoSuchWebsiteConfiguration",
                              "The specified bucket does not have a website configuration"))

    def delete_bucket_website(self, ctx, params):
        self._set(params, "website", None)
        return {"__status__": 204}

    # transfer acceleration
    def put_bucket_accelerate_configuration(self, ctx, params):
        bucket = self.buckets.require(params["Bucket"])
        status = params["AccelerateConfiguration"].get("Status")
        if status not in ("Enabled", "Suspended"):
            raise errors.malformed_xml()
        if "." in bucket["name"]:
            raise errors.invalid_request("S3 Transfer Acceleration is not supported for buckets with periods (.) "
                                         "in their names")
        self._set(params, "accelerate", status)
        return {}

    def get_bucket_accelerate_configuration(self, ctx, params):
        status = self.buckets.require(params["Bucket"]).get("accelerate")
        return {"Status": status} if status else {}


def _is_public(document: dict) -> bool:
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements or []:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        principal = statement.get("Principal")
        if principal == "*" or (isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"])):
            return True
    return False
