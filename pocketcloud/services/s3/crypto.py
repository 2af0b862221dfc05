"""Encryption at rest: every body is AES-256 encrypted before it is stored.

Large bodies are AES-256-CTR on disk (streamable, and range-readable: a range starts at its
16-byte block), each segment (a whole object, or one part of a multipart upload) with its own
random nonce; small bodies are sealed whole with AES-256-GCM. The key is, by mode:
  AES256   (SSE-S3)  the server's master key (MasterKey), kept in the store's metadata
  aws:kms  (SSE-KMS) a KMS GenerateDataKey data key, stored only as KMS's ciphertext blob
  SSE-C              the customer's own key, sent with every request and never stored (only its
                     MD5, to tell a wrong key from a right one)
"""

from __future__ import annotations

import base64
import hashlib
import os

from ...protocol.errors import ServiceError

BLOCK = 16
_MASTER_META = "s3.master-key"


def _ciphers():
    # cryptography is imported on the first body, not at start-up.
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    return Cipher, algorithms, modes


def new_nonce() -> bytes:
    # 64 random bits then a 64-bit block counter starting at 0: the counter never wraps into
    # the random half for any object S3 allows (5 TB).
    return os.urandom(8) + bytes(8)


def encryptor(key: bytes, nonce: bytes):
    Cipher, algorithms, modes = _ciphers()
    return Cipher(algorithms.AES(key), modes.CTR(nonce)).encryptor()


def decryptor(key: bytes, nonce: bytes, offset: int):
    """A decryptor positioned at `offset` (a multiple of BLOCK) of the plaintext."""
    Cipher, algorithms, modes = _ciphers()
    counter = (int.from_bytes(nonce, "big") + offset // BLOCK) % (1 << 128)
    return Cipher(algorithms.AES(key), modes.CTR(counter.to_bytes(16, "big"))).decryptor()


class MasterKey:
    """The server's SSE-S3 key, made on first use and kept in the store's metadata. SSE-S3
    bodies are encrypted under it directly, each segment with its own random nonce (a key per
    object would cost every small PUT and GET a cipher set-up for no gain in a single-machine
    store)."""

    def __init__(self, store):
        self.store = store
        self._aead = None
        self.raw: bytes | None = None

    def _get(self):
        if self._aead is None:
            key = self.store.meta_get(_MASTER_META)
            if key is None:
                key = os.urandom(32)
                self.store.meta_set(_MASTER_META, key)
            self.raw = key
            self._aead = _AESGCM()(key)
        return self._aead

    def key(self) -> bytes:
        if self._aead is None:
            self._get()
        return self.raw

    def forget(self) -> None:
        self._aead = None
        self.raw = None

    def aead_for(self, key: bytes):
        """An AES-GCM sealer for `key`: the cached one for the master key."""
        aead = self._aead or self._get()
        return aead if key == self.raw else _AESGCM()(key)


def _AESGCM():
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM


# GCM nonces for sealed bodies, drawn from the OS 256 at a time: one getrandom system call per
# 256 small PUTs instead of one each (~0.4 us of a 1 KiB PUT's kernel time). Each is random and
# handed out once: list.pop is atomic under the GIL, and a forked child drops the parent's.
_NONCES_PER_DRAW = 256
_nonces: list[bytes] = []
os.register_at_fork(after_in_child=_nonces.clear)


def _gcm_nonce() -> bytes:
    try:
        return _nonces.pop()
    except IndexError:
        drawn = os.urandom(12 * _NONCES_PER_DRAW)
        _nonces.extend(drawn[i:i + 12] for i in range(12, len(drawn), 12))
        return drawn[:12]


def seal(aead, data: bytes) -> bytes:
    """A small body sealed whole (AES-GCM): nonce + ciphertext + tag."""
    nonce = _gcm_nonce()
    return nonce + aead.encrypt(nonce, data, None)


def unseal(aead, blob: bytes) -> bytes:
    return aead.decrypt(blob[:12], blob[12:], None)


# -- SSE-C -------------------------------------------------------------------------------------

def customer_key(params: dict, prefix: str = "SSECustomer") -> tuple[bytes, str] | None:
    """(key, key MD5 base64) from SSECustomerAlgorithm/Key/KeyMD5 params, checked as S3 does;
    None when the request carries no customer key."""
    algorithm = params.get(prefix + "Algorithm")
    key_text = params.get(prefix + "Key")
    md5_text = params.get(prefix + "KeyMD5")
    if algorithm is None and key_text is None:
        return None
    if algorithm != "AES256":
        raise ServiceError("InvalidEncryptionAlgorithmError",
                           "The encryption request you specified is not valid. Supported value: AES256.", 400,
                           ArgumentName="x-amz-server-side-encryption", ArgumentValue=algorithm or "")
    try:
        key = base64.b64decode(key_text or "", validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ServiceError("InvalidArgument", "The secret key was invalid for the specified algorithm.", 400,
                           ArgumentName="x-amz-server-side-encryption", ArgumentValue="null")
    digest = base64.b64encode(hashlib.md5(key).digest()).decode()
    if md5_text is not None and md5_text != digest:
        raise ServiceError("InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was "
                           "provided.", 400)
    return key, digest
