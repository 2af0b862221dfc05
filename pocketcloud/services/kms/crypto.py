"""The cryptography behind KMS, with the `cryptography` package.

Symmetric keys are AES-256-GCM. A ciphertext blob names the key and the key material version
that made it, so Decrypt needs no KeyId and rotated keys still decrypt old data:

    0x01 | key id (36 ASCII bytes) | material index (2 bytes, big endian) | nonce (12) | ciphertext+tag

The header and the canonical encryption context are the GCM associated data, so a changed
context (or a tampered header) fails authentication -> InvalidCiphertextException.
Asymmetric keys are kept as PKCS#8 DER; HMAC keys as raw bytes.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import struct

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pocketcloud.protocol.errors import ServiceError

from .keystore import ECC_SPECS, HMAC_SPECS, RSA_SPECS, SYMMETRIC

VERSION = 1
_HEADER = struct.Struct(">B36sH")
_NONCE = 12
_CURVES = {"ECC_NIST_P256": ec.SECP256R1, "ECC_NIST_P384": ec.SECP384R1, "ECC_NIST_P521": ec.SECP521R1,
           "ECC_SECG_P256K1": ec.SECP256K1}
_HASHES = {"SHA_1": hashes.SHA1, "SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}


def invalid_ciphertext() -> ServiceError:
    return ServiceError("InvalidCiphertextException", "", 400)


def new_material(spec: str) -> bytes:
    if spec == SYMMETRIC:
        return os.urandom(32)
    if spec in HMAC_SPECS:
        return os.urandom(HMAC_SPECS[spec])
    return serialization_der(generate_private_key(spec))


def generate_private_key(spec: str):
    if spec in RSA_SPECS:
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_SPECS[spec])
    if spec in _CURVES:
        return ec.generate_private_key(_CURVES[spec]())
    raise ServiceError("ValidationException", f"KeySpec {spec} is not valid.", 400)


def serialization_der(private_key) -> bytes:
    return private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


def public_der(private_key) -> bytes:
    return private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)


@functools.lru_cache(maxsize=256)
def load_private(material: bytes):
    """The key object for stored material. Cached: loading an RSA key checks its primes (tens of
    milliseconds), and the material is ours, made by generate_private_key, so that check is
    skipped too."""
    return serialization.load_der_private_key(material, password=None, unsafe_skip_rsa_key_validation=True)


def canonical_context(context: dict | None) -> bytes:
    if not context:
        return b""
    return json.dumps(context, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# -- symmetric ------------------------------------------------------------------------------------
def seal(key_id: str, index: int, material: bytes, plaintext: bytes, context: dict | None) -> bytes:
    header = _HEADER.pack(VERSION, key_id.encode("ascii"), index)
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(material).encrypt(nonce, plaintext, header + canonical_context(context))
    return header + nonce + sealed


def blob_key(blob: bytes) -> tuple[str, int]:
    """(key id, material index) a symmetric ciphertext blob names."""
    if len(blob) < _HEADER.size + _NONCE + 16:
        raise invalid_ciphertext()
    version, key_id, index = _HEADER.unpack_from(blob)
    if version != VERSION:
        raise invalid_ciphertext()
    try:
        return key_id.decode("ascii"), index
    except UnicodeDecodeError:
        raise invalid_ciphertext() from None


def unseal(material: bytes, blob: bytes, context: dict | None) -> bytes:
    header, nonce, sealed = blob[:_HEADER.size], blob[_HEADER.size:_HEADER.size + _NONCE], blob[_HEADER.size + _NONCE:]
    try:
        return AESGCM(material).decrypt(nonce, sealed, header + canonical_context(context))
    except InvalidTag:
        raise invalid_ciphertext() from None


# -- RSA encryption -------------------------------------------------------------------------------
def _oaep(algorithm: str):
    digest = _HASHES["SHA_1" if algorithm == "RSAES_OAEP_SHA_1" else "SHA_256"]()
    return padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)


def rsa_encrypt(material: bytes, algorithm: str, plaintext: bytes) -> bytes:
    public = load_private(material).public_key()
    try:
        return public.encrypt(plaintext, _oaep(algorithm))
    except ValueError:
        raise ServiceError("ValidationException",
                           f"Plaintext is too long for {algorithm} with a {public.key_size}-bit key.", 400) from None


def rsa_decrypt(material: bytes, algorithm: str, ciphertext: bytes) -> bytes:
    try:
        return load_private(material).decrypt(ciphertext, _oaep(algorithm))
    except ValueError:
        raise invalid_ciphertext() from None


# -- signatures -----------------------------------------------------------------------------------
def _digest_name(algorithm: str) -> str:
    return algorithm[-7:]  # ..._SHA_256


def _prepare(algorithm: str, message: bytes, message_type: str):
    """(bytes to sign, hash algorithm object) for RAW messages or precomputed DIGESTs."""
    hash_cls = _HASHES[_digest_name(algorithm)]
    if message_type == "DIGEST":
        if len(message) != hash_cls.digest_size:
            raise ServiceError("ValidationException",
                               f"Digest is invalid length for algorithm {algorithm}.", 400)
        return message, utils.Prehashed(hash_cls())
    return message, hash_cls()


def _padding(algorithm: str, hash_obj):
    if algorithm.startswith("RSASSA_PSS"):
        # AWS uses a salt as long as the digest.
        return padding.PSS(mgf=padding.MGF1(_HASHES[_digest_name(algorithm)]()),
                           salt_length=_HASHES[_digest_name(algorithm)].digest_size)
    return padding.PKCS1v15()


def sign(material: bytes, algorithm: str, message: bytes, message_type: str) -> bytes:
    key = load_private(material)
    data, hash_obj = _prepare(algorithm, message, message_type)
    if algorithm.startswith("ECDSA"):
        return key.sign(data, ec.ECDSA(hash_obj))
    return key.sign(data, _padding(algorithm, hash_obj), hash_obj)


def verify(material: bytes, algorithm: str, message: bytes, message_type: str, signature: bytes) -> bool:
    public = load_private(material).public_key()
    data, hash_obj = _prepare(algorithm, message, message_type)
    try:
        if algorithm.startswith("ECDSA"):
            public.verify(signature, data, ec.ECDSA(hash_obj))
        else:
            public.verify(signature, data, _padding(algorithm, hash_obj), hash_obj)
    except (InvalidSignature, ValueError):
        return False
    return True


# -- HMAC -----------------------------------------------------------------------------------------
def mac(material: bytes, algorithm: str, message: bytes) -> bytes:
    name = "sha" + algorithm.rsplit("_", 1)[1]
    return hmac.new(material, message, getattr(hashlib, name)).digest()


def signing_hash_ok(spec: str, algorithm: str) -> bool:
    if spec in RSA_SPECS:
        return algorithm.startswith(("RSASSA_PSS_", "RSASSA_PKCS1_V1_5_")) and _digest_name(algorithm) in _HASHES
    if spec in ECC_SPECS:
        return algorithm == f"ECDSA_{ECC_SPECS[spec]}"
    return False
