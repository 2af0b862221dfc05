"""Message signatures a receiver can verify as it would on AWS.

One RSA key and a self-signed certificate (made with `cryptography` on first use, kept in the
store's metadata so a restart keeps them) sign every notification and confirmation over AWS's
canonical string: SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA. The certificate is
served at the SigningCertURL (front door /_aws/sns/, see frontdoor.py).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from datetime import timedelta

_META = "sns.signing"
_lock = threading.Lock()
_cache: dict = {}

# The fields of each message type that the signature covers, in AWS's (alphabetical) order.
NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


def _make(runtime) -> dict:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pocketcloud"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = runtime.clock.now()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    return {
        "key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()),
        "cert": cert.public_bytes(serialization.Encoding.PEM),
    }


def material(runtime) -> dict:
    """{"key": loaded private key, "cert": PEM bytes, "name": file name in the cert URL}."""
    found = _cache.get(id(runtime.store))
    if found is not None:
        return found
    with _lock:
        stored = runtime.store.meta_get(_META)
        if stored is None:
            stored = _make(runtime)
            runtime.store.meta_set(_META, stored)
        from cryptography.hazmat.primitives import serialization

        found = {
            "key": serialization.load_pem_private_key(stored["key"], password=None),
            "cert": stored["cert"],
            "name": f"SimpleNotificationService-{hashlib.sha1(stored['cert']).hexdigest()[:32]}.pem",
        }
        _cache[id(runtime.store)] = found
    return found


async def ready(runtime) -> None:
    """Make the key (a few hundred milliseconds) in a worker thread, not on the event loop."""
    if id(runtime.store) not in _cache:
        import asyncio

        await asyncio.to_thread(material, runtime)


def forget(runtime) -> None:
    """After a reset the store's metadata is gone: make a new key on next use."""
    _cache.pop(id(runtime.store), None)


def cert_url(runtime) -> str:
    return f"{runtime.settings.endpoint}/_aws/sns/{material(runtime)['name']}"


def canonical_string(message: dict) -> bytes:
    fields = NOTIFICATION_FIELDS if message["Type"] == "Notification" else CONFIRMATION_FIELDS
    parts = []
    for field in fields:
        if field in message and message[field] is not None:
            parts.append(f"{field}\n{message[field]}\n")
    return "".join(parts).encode("utf-8")


def sign(runtime, message: dict, version: str) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    digest = hashes.SHA256() if version == "2" else hashes.SHA1()
    signature = material(runtime)["key"].sign(canonical_string(message), padding.PKCS1v15(), digest)
    return base64.b64encode(signature).decode()
