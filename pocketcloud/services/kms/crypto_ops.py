"""KMS's cryptographic operations: Encrypt, Decrypt, ReEncrypt, data keys, random bytes,
signatures, MACs and public keys. Each checks the key's usage and state as AWS does."""

from __future__ import annotations

import os

from pocketcloud.protocol.errors import ServiceError

from . import crypto, keystore
from .keystore import ECC_SPECS, HMAC_SPECS, RSA_ENCRYPTION, RSA_SPECS, SYMMETRIC, KeyRef


def _dry_run(params) -> None:
    if params.get("DryRun"):
        raise ServiceError("DryRunOperationException",
                           "The request would have succeeded, but the DryRun option is set.", 412)


def _usage(ref: KeyRef, usage: str, operation: str) -> None:
    if ref.record["KeyUsage"] != usage:
        raise ServiceError("InvalidKeyUsageException",
                           f"{ref.arn} key usage is {ref.record['KeyUsage']} which is not valid for {operation}.", 400)


def _usable_key(ctx, ident: str, usage: str, operation: str) -> KeyRef:
    ref = keystore.resolve(ctx, ident)
    keystore.check_usable(ref)
    _usage(ref, usage, operation)
    return ref


def _encryption_algorithm(ref: KeyRef, algorithm: str | None) -> str:
    symmetric = ref.record["KeySpec"] == SYMMETRIC
    if algorithm is None:
        if symmetric:
            return SYMMETRIC
        raise ServiceError("ValidationException", "EncryptionAlgorithm is required for asymmetric keys.", 400)
    if (symmetric and algorithm != SYMMETRIC) or (not symmetric and algorithm not in RSA_ENCRYPTION):
        raise ServiceError("InvalidKeyUsageException",
                           f"Algorithm {algorithm} is incompatible with key spec {ref.record['KeySpec']}.", 400)
    return algorithm


def _encrypt_with(ref: KeyRef, plaintext: bytes, context: dict | None, algorithm: str) -> bytes:
    materials = ref.record["Materials"]
    if algorithm == SYMMETRIC:
        return crypto.seal(ref.key_id, len(materials) - 1, materials[-1], plaintext, context)
    return crypto.rsa_encrypt(materials[-1], algorithm, plaintext)


def _decrypt_blob(ctx, blob: bytes, key_id: str | None, context: dict | None,
                  algorithm: str | None) -> tuple[KeyRef, bytes, str]:
    """(key, plaintext, algorithm) for a ciphertext blob, checking KeyId when given."""
    if algorithm in (None, SYMMETRIC):
        blob_key_id, index = crypto.blob_key(blob)
        if key_id:
            ref = keystore.resolve(ctx, key_id)
            if ref.key_id != blob_key_id:
                if ref.record["KeySpec"] != SYMMETRIC:
                    raise ServiceError("InvalidCiphertextException", "", 400)
                raise ServiceError("IncorrectKeyException", "The key ID in the request does not identify a CMK "
                                   "that can perform this operation.", 400)
        else:
            try:
                ref = keystore.resolve(ctx, blob_key_id)
            except ServiceError as error:
                if error.code == "NotFoundException" and "Invalid keyId" in error.message:
                    raise crypto.invalid_ciphertext() from None
                raise
        keystore.check_usable(ref)
        _usage(ref, "ENCRYPT_DECRYPT", "Decrypt")
        if ref.record["KeySpec"] != SYMMETRIC or index >= len(ref.record["Materials"]):
            raise crypto.invalid_ciphertext()
        return ref, crypto.unseal(ref.record["Materials"][index], blob, context), SYMMETRIC
    if not key_id:
        raise ServiceError("ValidationException", "KeyId is required for asymmetric decryption.", 400)
    ref = _usable_key(ctx, key_id, "ENCRYPT_DECRYPT", "Decrypt")
    algorithm = _encryption_algorithm(ref, algorithm)
    return ref, crypto.rsa_decrypt(ref.record["Materials"][-1], algorithm, blob), algorithm


def encrypt(ctx, params):
    ref = _usable_key(ctx, params["KeyId"], "ENCRYPT_DECRYPT", "Encrypt")
    algorithm = _encryption_algorithm(ref, params.get("EncryptionAlgorithm"))
    if algorithm != SYMMETRIC and params.get("EncryptionContext"):
        raise ServiceError("ValidationException", "EncryptionContext is not supported with asymmetric keys.", 400)
    _dry_run(params)
    blob = _encrypt_with(ref, params["Plaintext"], params.get("EncryptionContext"), algorithm)
    return {"CiphertextBlob": blob, "KeyId": ref.arn, "EncryptionAlgorithm": algorithm}


def decrypt(ctx, params):
    ref, plaintext, algorithm = _decrypt_blob(ctx, params["CiphertextBlob"], params.get("KeyId"),
                                              params.get("EncryptionContext"), params.get("EncryptionAlgorithm"))
    _dry_run(params)
    return {"KeyId": ref.arn, "Plaintext": plaintext, "EncryptionAlgorithm": algorithm}


def re_encrypt(ctx, params):
    source, plaintext, source_algorithm = _decrypt_blob(
        ctx, params["CiphertextBlob"], params.get("SourceKeyId"), params.get("SourceEncryptionContext"),
        params.get("SourceEncryptionAlgorithm"))
    dest = _usable_key(ctx, params["DestinationKeyId"], "ENCRYPT_DECRYPT", "ReEncrypt")
    algorithm = _encryption_algorithm(dest, params.get("DestinationEncryptionAlgorithm"))
    _dry_run(params)
    blob = _encrypt_with(dest, plaintext, params.get("DestinationEncryptionContext"), algorithm)
    return {"CiphertextBlob": blob, "SourceKeyId": source.arn, "KeyId": dest.arn,
            "SourceEncryptionAlgorithm": source_algorithm, "DestinationEncryptionAlgorithm": algorithm}


def _data_key_length(params) -> int:
    spec, count = params.get("KeySpec"), params.get("NumberOfBytes")
    if (spec is None) == (count is None):
        raise ServiceError("ValidationException", "Please specify either number of bytes or key spec.", 400)
    if spec is not None:
        if spec not in ("AES_256", "AES_128"):
            raise ServiceError("ValidationException", f"1 validation error detected: Value '{spec}' at 'keySpec' "
                               "failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]", 400)
        return 32 if spec == "AES_256" else 16
    if not 1 <= count <= 1024:
        raise ServiceError("ValidationException", f"1 validation error detected: Value '{count}' at 'numberOfBytes' "
                           "failed to satisfy constraint: Member must have value less than or equal to 1024", 400)
    return count


def generate_data_key(ctx, params):
    length = _data_key_length(params)
    ref = _usable_key(ctx, params["KeyId"], "ENCRYPT_DECRYPT", "GenerateDataKey")
    if ref.record["KeySpec"] != SYMMETRIC:
        raise ServiceError("InvalidKeyUsageException", f"{ref.arn} key spec is not valid for GenerateDataKey.", 400)
    _dry_run(params)
    plaintext = os.urandom(length)
    blob = _encrypt_with(ref, plaintext, params.get("EncryptionContext"), SYMMETRIC)
    return {"CiphertextBlob": blob, "Plaintext": plaintext, "KeyId": ref.arn}


def generate_data_key_without_plaintext(ctx, params):
    out = generate_data_key(ctx, params)
    del out["Plaintext"]
    return out


_PAIR_SPECS = {*RSA_SPECS, *ECC_SPECS, "SM2"}


def generate_data_key_pair(ctx, params):
    spec = params["KeyPairSpec"]
    if spec not in _PAIR_SPECS or spec == "SM2":
        raise ServiceError("ValidationException", f"1 validation error detected: Value '{spec}' at 'keyPairSpec' "
                           "failed to satisfy constraint: Member must satisfy enum value set", 400)
    ref = _usable_key(ctx, params["KeyId"], "ENCRYPT_DECRYPT", "GenerateDataKeyPair")
    if ref.record["KeySpec"] != SYMMETRIC:
        raise ServiceError("InvalidKeyUsageException", f"{ref.arn} key spec is not valid for GenerateDataKeyPair.", 400)
    _dry_run(params)
    private_key = crypto.generate_private_key(spec)
    private_der = crypto.serialization_der(private_key)
    blob = _encrypt_with(ref, private_der, params.get("EncryptionContext"), SYMMETRIC)
    return {"PrivateKeyCiphertextBlob": blob, "PrivateKeyPlaintext": private_der,
            "PublicKey": crypto.public_der(private_key), "KeyId": ref.arn, "KeyPairSpec": spec}


def generate_data_key_pair_without_plaintext(ctx, params):
    out = generate_data_key_pair(ctx, params)
    del out["PrivateKeyPlaintext"]
    return out


def generate_random(ctx, params):
    count = params.get("NumberOfBytes")
    if count is None or not 1 <= count <= 1024:
        raise ServiceError("ValidationException", f"1 validation error detected: Value '{count}' at 'numberOfBytes' "
                           "failed to satisfy constraint: Member must have value less than or equal to 1024", 400)
    return {"Plaintext": os.urandom(count)}


def get_public_key(ctx, params):
    ref = keystore.resolve(ctx, params["KeyId"])
    keystore.check_usable(ref)
    spec = ref.record["KeySpec"]
    if spec == SYMMETRIC or spec in HMAC_SPECS:
        raise ServiceError("UnsupportedOperationException",
                           f"{ref.arn} key spec {spec} does not have a public key.", 400)
    meta = keystore.metadata(ref.record)
    out = {"KeyId": ref.arn, "PublicKey": crypto.public_der(crypto.load_private(ref.record["Materials"][-1])),
           "CustomerMasterKeySpec": spec, "KeySpec": spec, "KeyUsage": ref.record["KeyUsage"]}
    for name in ("EncryptionAlgorithms", "SigningAlgorithms", "KeyAgreementAlgorithms"):
        if name in meta:
            out[name] = meta[name]
    return out


def _signing_key(ctx, params, operation: str) -> tuple[KeyRef, str, str]:
    ref = _usable_key(ctx, params["KeyId"], "SIGN_VERIFY", operation)
    algorithm = params["SigningAlgorithm"]
    if not crypto.signing_hash_ok(ref.record["KeySpec"], algorithm):
        raise ServiceError("InvalidKeyUsageException",
                           f"Algorithm {algorithm} is incompatible with key spec {ref.record['KeySpec']}.", 400)
    message_type = params.get("MessageType") or "RAW"
    if message_type not in ("RAW", "DIGEST", "EXTERNAL_MU"):
        raise ServiceError("ValidationException", f"1 validation error detected: Value '{message_type}' at "
                           "'messageType' failed to satisfy constraint: Member must satisfy enum value set: "
                           "[RAW, DIGEST]", 400)
    if message_type == "EXTERNAL_MU":
        raise ServiceError("InvalidKeyUsageException", "EXTERNAL_MU is only for ML-DSA keys.", 400)
    return ref, algorithm, message_type


def sign(ctx, params):
    ref, algorithm, message_type = _signing_key(ctx, params, "Sign")
    _dry_run(params)
    signature = crypto.sign(ref.record["Materials"][-1], algorithm, params["Message"], message_type)
    return {"KeyId": ref.arn, "Signature": signature, "SigningAlgorithm": algorithm}


def verify(ctx, params):
    ref, algorithm, message_type = _signing_key(ctx, params, "Verify")
    _dry_run(params)
    if not crypto.verify(ref.record["Materials"][-1], algorithm, params["Message"], message_type, params["Signature"]):
        raise ServiceError("KMSInvalidSignatureException", "", 400)
    return {"KeyId": ref.arn, "SignatureValid": True, "SigningAlgorithm": algorithm}


def _mac_key(ctx, params, operation: str) -> tuple[KeyRef, str]:
    ref = _usable_key(ctx, params["KeyId"], "GENERATE_VERIFY_MAC", operation)
    algorithm = params["MacAlgorithm"]
    if algorithm != f"HMAC_SHA_{ref.record['KeySpec'].split('_')[1]}":
        raise ServiceError("InvalidKeyUsageException",
                           f"Algorithm {algorithm} is incompatible with key spec {ref.record['KeySpec']}.", 400)
    return ref, algorithm


def generate_mac(ctx, params):
    ref, algorithm = _mac_key(ctx, params, "GenerateMac")
    _dry_run(params)
    return {"Mac": crypto.mac(ref.record["Materials"][-1], algorithm, params["Message"]),
            "MacAlgorithm": algorithm, "KeyId": ref.arn}


def verify_mac(ctx, params):
    import hmac

    ref, algorithm = _mac_key(ctx, params, "VerifyMac")
    _dry_run(params)
    expected = crypto.mac(ref.record["Materials"][-1], algorithm, params["Message"])
    if not hmac.compare_digest(expected, params["Mac"]):
        raise ServiceError("KMSInvalidMacException", "", 400)
    return {"KeyId": ref.arn, "MacValid": True, "MacAlgorithm": algorithm}


def derive_shared_secret(ctx, params):
    """ECDH between a KEY_AGREEMENT key's private half and the caller's public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ref = _usable_key(ctx, params["KeyId"], "KEY_AGREEMENT", "DeriveSharedSecret")
    if params["KeyAgreementAlgorithm"] != "ECDH":
        raise ServiceError("ValidationException", "KeyAgreementAlgorithm must be ECDH.", 400)
    _dry_run(params)
    private = crypto.load_private(ref.record["Materials"][-1])
    try:
        peer = serialization.load_der_public_key(params["PublicKey"])
    except ValueError:
        raise ServiceError("ValidationException", "PublicKey is not a DER-encoded X.509 public key.", 400) from None
    if not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != private.curve.name:
        raise ServiceError("InvalidKeyUsageException", "The public key's curve does not match the key spec.", 400)
    return {"KeyId": ref.arn, "SharedSecret": private.exchange(ec.ECDH(), peer),
            "KeyOrigin": ref.record["Origin"], "KeyAgreementAlgorithm": "ECDH"}
