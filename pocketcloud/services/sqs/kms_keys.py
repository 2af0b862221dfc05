"""SSE-KMS: a queue encrypted with a KMS key works only while that key is usable, as in AWS,
where SendMessage and ReceiveMessage fail with KMS.* errors once the key is missing, disabled or
pending deletion. Like AWS, SQS asks KMS for a data key once per KmsDataKeyReusePeriodSeconds
and reuses it meanwhile (so a key disabled mid-period is noticed at the next period).
Without a KMS provider (a server started without it), queues behave as unencrypted ones.
"""

from __future__ import annotations

from pocketcloud.protocol.errors import ServiceError

# KMS's error -> the SQS error it surfaces as (the wire codes are KMS.NotFoundException...)
_SQS_ERRORS = {
    "NotFoundException": "KmsNotFound",
    "DisabledException": "KmsDisabled",
    "KMSInvalidStateException": "KmsInvalidState",
    "InvalidKeyUsageException": "KmsInvalidKeyUsage",
    "AccessDeniedException": "KmsAccessDenied",
}


async def check_key(sqs, queue) -> None:
    key_id = queue.attributes.get("KmsMasterKeyId")
    if not key_id:
        return
    now = sqs.clock.time()
    if queue.data_key_until > now:
        return
    params = {"KeyId": key_id, "KeySpec": "AES_256", "EncryptionContext": {"aws:sqs:arn": queue.arn}}
    try:
        await sqs.runtime.providers.call("kms", "GenerateDataKey", params, queue.account, queue.region)
    except LookupError:
        return  # no KMS here
    except ServiceError as error:
        code = _SQS_ERRORS.get(error.code)
        if code is None:
            raise
        raise ServiceError(code, error.message, 400) from None
    queue.data_key_until = now + int(queue.attributes.get("KmsDataKeyReusePeriodSeconds", "300"))
