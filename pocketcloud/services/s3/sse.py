"""Which encryption a new object gets, and the data key of a stored one.

An object's "enc" document: {"mode": "AES256"} (the master key) | {"mode": "aws:kms", "blob",
"key_id", "context", "bucket_key", "account", "region", and "extra_context" when the writer gave
one} | {"mode": "SSE-C", "key_md5"}.
"""

from __future__ import annotations

import base64
import json

from ...protocol.errors import ServiceError
from . import crypto

_KMS_DEFAULT = "alias/aws/s3"
_SSE_S3 = {"mode": "AES256"}  # the body is under the master key (crypto.MasterKey)
_SSE_S3_FIELDS = {"ServerSideEncryption": "AES256"}


# The parameters that choose an object's encryption (else its bucket's default does).
_SSE_PARAMS = frozenset(("ServerSideEncryption", "SSEKMSKeyId", "BucketKeyEnabled", "SSECustomerAlgorithm",
                         "SSECustomerKey", "SSECustomerKeyMD5", "SSEKMSEncryptionContext"))


def _extra_context(params: dict) -> dict | None:
    """x-amz-server-side-encryption-context: base64 of a JSON object of strings, which S3
    hands to KMS (with the object's ARN) whenever the object's data key is made or unwrapped."""
    text = params.get("SSEKMSEncryptionContext")
    if text is None:
        return None
    try:
        extra = json.loads(base64.b64decode(text, validate=True).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        extra = None
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        raise ServiceError("InvalidArgument", "The header 'x-amz-server-side-encryption-context' shall be Base64-"
                           "encoded UTF-8 string holding JSON which represents a string-string map", 400,
                           ArgumentName="x-amz-server-side-encryption-context", ArgumentValue=text)
    return extra


def _kms_context(enc: dict) -> dict:
    return {**(enc.get("extra_context") or {}), "aws:s3:arn": enc["context"]}


def _bucket_default(bucket: dict) -> tuple[dict, dict]:
    """(rule, ApplyServerSideEncryptionByDefault) of a bucket's default encryption."""
    rule = ((bucket.get("encryption") or {}).get("Rules") or [{}])[0]
    return rule, rule.get("ApplyServerSideEncryptionByDefault") or {}


def _kms_unavailable(detail: str) -> ServiceError:
    return ServiceError("KMS.NotFoundException", f"SSE-KMS needs the KMS service: {detail}", 400)


class Encryption:
    def __init__(self, runtime):
        self.runtime = runtime
        self.master = crypto.MasterKey(runtime.store)
        self._bucket_keys: dict = {}  # (bucket, KMS key, account, region) -> GenerateDataKey answer
        self._unwrapped: dict = {}  # bucket-key ciphertext blob -> its plaintext (Decrypt once)

    def master_key_for(self, bucket: dict, params: dict):
        """for_new_object's answer when it is plain SSE-S3 (no SSE parameter, and no bucket
        default but AES256), without a coroutine; else None."""
        if not _SSE_PARAMS.isdisjoint(params):
            return None
        if bucket.get("encryption"):
            default = _bucket_default(bucket)[1]
            if default.get("SSEAlgorithm", "AES256") != "AES256" or default.get("KMSMasterKeyID"):
                return None
        return self.master.key(), _SSE_S3, _SSE_S3_FIELDS

    async def for_new_object(self, account: str, region: str, bucket: dict, key: str, params: dict):
        """(data key, enc document, response fields) for an object being written."""
        customer = crypto.customer_key(params)
        if customer is not None:
            if params.get("ServerSideEncryption"):
                raise ServiceError("InvalidArgument", "Server Side Encryption with Customer provided key is "
                                   "incompatible with the encryption method specified", 400)
            data_key, md5 = customer
            return data_key, {"mode": "SSE-C", "key_md5": md5}, {"SSECustomerAlgorithm": "AES256",
                                                                  "SSECustomerKeyMD5": md5}
        mode = params.get("ServerSideEncryption")
        kms_key = params.get("SSEKMSKeyId")
        bucket_key = params.get("BucketKeyEnabled")
        if mode is None:
            rule, default = _bucket_default(bucket)
            mode = default.get("SSEAlgorithm", "AES256")
            kms_key = kms_key or default.get("KMSMasterKeyID")
            if bucket_key is None:
                bucket_key = rule.get("BucketKeyEnabled", False)
        if mode not in ("AES256", "aws:kms", "aws:kms:dsse"):
            raise ServiceError("InvalidArgument", "The encryption method specified is not supported", 400,
                               ArgumentName="x-amz-server-side-encryption", ArgumentValue=mode)
        if (kms_key or params.get("SSEKMSEncryptionContext") is not None) and mode == "AES256":
            raise ServiceError("InvalidArgument", "Server Side Encryption with AWS KMS managed key requires "
                               "HTTP header x-amz-server-side-encryption : aws:kms", 400)
        if mode == "AES256":
            return self.master.key(), _SSE_S3, _SSE_S3_FIELDS
        extra = _extra_context(params)
        context_arn = f"arn:aws:s3:::{bucket['name']}" + ("" if bucket_key else f"/{key}")
        enc = {"mode": mode, "context": context_arn, "bucket_key": bool(bucket_key), "account": account,
               "region": region}
        if extra:
            enc["extra_context"] = extra
        # An S3 Bucket Key: one KMS data key serves the bucket's new objects (those without a
        # context of their own), so KMS is asked once rather than for every PUT.
        cache_key = (bucket["name"], kms_key or _KMS_DEFAULT, account, region) if bucket_key and not extra else None
        answer = self._bucket_keys.get(cache_key) if cache_key else None
        if answer is None:
            try:
                answer = await self.runtime.providers.call(
                    "kms", "GenerateDataKey",
                    {"KeyId": kms_key or _KMS_DEFAULT, "KeySpec": "AES_256", "EncryptionContext": _kms_context(enc)},
                    account, region)
            except LookupError as exc:
                raise _kms_unavailable(str(exc)) from None
            if cache_key:
                self._bucket_keys[cache_key] = answer
        enc.update(blob=answer["CiphertextBlob"], key_id=answer["KeyId"])
        return answer["Plaintext"], enc, self.response_fields(enc)

    @staticmethod
    def response_fields(enc: dict) -> dict:
        mode = enc["mode"]
        if mode == "AES256":
            return _SSE_S3_FIELDS
        if mode == "SSE-C":
            return {"SSECustomerAlgorithm": "AES256", "SSECustomerKeyMD5": enc["key_md5"]}
        fields = {"ServerSideEncryption": mode, "SSEKMSKeyId": enc["key_id"], "BucketKeyEnabled": enc["bucket_key"]}
        if enc.get("extra_context"):
            fields["SSEKMSEncryptionContext"] = base64.b64encode(json.dumps(_kms_context(enc)).encode()).decode()
        return fields

    async def data_key(self, enc: dict, params: dict, prefix: str = "SSECustomer") -> bytes:
        """The key a stored body was encrypted with; SSE-C needs the same customer key again."""
        key = self.key_at_hand(enc, params, prefix)
        return key if key is not None else await self.kms_key(enc)

    def key_at_hand(self, enc: dict, params: dict, prefix: str = "SSECustomer") -> bytes | None:
        """data_key without a coroutine when KMS need not be asked (SSE-S3, SSE-C, a bucket
        key already unwrapped); else None."""
        mode = enc["mode"]
        if mode == "AES256":
            return self.master.key()
        if mode == "SSE-C":
            customer = crypto.customer_key(params, prefix)
            if customer is None:
                raise ServiceError("InvalidRequest", "The object was stored using a form of Server Side Encryption. "
                                   "The correct parameters must be provided to retrieve the object.", 400)
            if customer[1] != enc["key_md5"]:
                raise ServiceError("AccessDenied", "Requests specifying Server Side Encryption with Customer "
                                   "provided keys must provide the correct secret key.", 403)
            return customer[0]
        return self._unwrapped.get(enc["blob"]) if enc.get("bucket_key") else None

    async def kms_key(self, enc: dict) -> bytes:
        """An SSE-KMS object's data key, unwrapped by KMS."""
        try:
            answer = await self.runtime.providers.call(
                "kms", "Decrypt", {"CiphertextBlob": enc["blob"], "KeyId": enc["key_id"],
                                   "EncryptionContext": _kms_context(enc)},
                enc["account"], enc["region"])
        except LookupError as exc:
            raise _kms_unavailable(str(exc)) from None
        if enc.get("bucket_key"):
            self._unwrapped[enc["blob"]] = answer["Plaintext"]
        return answer["Plaintext"]

    def forget(self) -> None:
        self.master.forget()
        self._bucket_keys.clear()
        self._unwrapped.clear()
