"""The RSA key pair that signs digest files, one per account and region, and ListPublicKeys."""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timedelta, timezone

from pocketcloud.core.store import Namespace

KIND = "signing-key"
ALGORITHM = "SHA256withRSA"


def _ns(store, account: str, region: str) -> Namespace:
    return Namespace(store, "cloudtrail", account, region)


def current(runtime, account: str, region: str) -> dict:
    """{"private": PKCS#8 DER, "public": PKCS#1 DER, "fingerprint", "start"} (made on first use)."""
    ns = _ns(runtime.store, account, region)
    key = ns.get(KIND, "current")
    if key is None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
        key = {"private": private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()),
               "public": public, "fingerprint": hashlib.md5(public).hexdigest(), "start": runtime.clock.time()}
        ns.put(KIND, "current", key)
    return key


@functools.lru_cache(maxsize=64)
def _private(der: bytes):
    from cryptography.hazmat.primitives import serialization

    # Our own key: skip the slow prime checks of loading an RSA key.
    return serialization.load_der_private_key(der, password=None, unsafe_skip_rsa_key_validation=True)


def sign(key: dict, message: bytes) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    return _private(key["private"]).sign(message, padding.PKCS1v15(), hashes.SHA256()).hex()


def list_public_keys(ctx, params) -> dict:
    key = current(ctx.runtime, ctx.account, ctx.region)
    start = datetime.fromtimestamp(key["start"], timezone.utc)
    end = start + timedelta(days=365 * 5)
    wanted_start, wanted_end = params.get("StartTime"), params.get("EndTime")
    if (wanted_end and wanted_end < start) or (wanted_start and wanted_start > end):
        return {"PublicKeyList": []}
    return {"PublicKeyList": [{"Value": key["public"], "ValidityStartTime": start, "ValidityEndTime": end,
                               "Fingerprint": key["fingerprint"]}]}
