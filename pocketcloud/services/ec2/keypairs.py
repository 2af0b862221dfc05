"""EC2 key pairs, with real keys: CreateKeyPair generates one (RSA 2048 or ED25519) with the
`cryptography` package and returns the private key once, as AWS does; only the public key is
kept. Fingerprints follow AWS's rules: created RSA keys give the SHA-1 of the PKCS#8 private key,
imported RSA keys the MD5 of the DER public key, ED25519 keys the base64 SHA-256 of the OpenSSH
public key blob.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from pocketcloud.protocol.errors import ServiceError

from .filters import check_dry_run, check_filter_names, match_filters

KIND = "key-pair"
_FILTERS = frozenset({"key-pair-id", "key-name", "fingerprint", "key-type"})


def _colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def _ssh_blob_fingerprint(public_key) -> str:
    blob = public_key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).split()[1]
    return base64.b64encode(hashlib.sha256(base64.b64decode(blob)).digest()).decode().rstrip("=") + "="


def _tags(params: dict) -> list[dict]:
    tags = []
    for spec in params.get("TagSpecifications") or []:
        if spec.get("ResourceType") not in (None, "key-pair"):
            raise ServiceError("InvalidParameterValue",
                               f"'{spec.get('ResourceType')}' is not a valid taggable resource type for this operation.")
        for tag in spec.get("Tags") or []:
            if not tag.get("Key"):
                raise ServiceError("InvalidParameterValue", "Tag keys must be between 1 and 128 characters")
            tags.append({"Key": tag["Key"], "Value": tag.get("Value", "")})
    return tags


def _new_id() -> str:
    return "key-" + secrets.token_hex(9)[:17]


def _check_name(ns, name: str) -> None:
    if not name or len(name) > 255:
        raise ServiceError("InvalidParameterValue", "Key name must be 1 to 255 ASCII characters.")
    if ns.get(KIND, name) is not None:
        raise ServiceError("InvalidKeyPair.Duplicate", f"The keypair '{name}' already exists.")


def create_key_pair(ctx, params: dict) -> dict:
    ns = ctx.namespace("ec2")
    name = params["KeyName"]
    key_type = params.get("KeyType", "rsa")
    _check_name(ns, name)
    tags = _tags(params)
    check_dry_run(params)
    if key_type == "ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
        # AWS hands out ED25519 private keys in OpenSSH format.
        material = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                         serialization.NoEncryption())
        fingerprint = _ssh_blob_fingerprint(private.public_key())
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        material = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                         serialization.NoEncryption())
        pkcs8 = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
        fingerprint = _colon_hex(hashlib.sha1(pkcs8).digest())
    public = private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    record = {
        "KeyPairId": _new_id(), "KeyName": name, "KeyType": key_type, "KeyFingerprint": fingerprint,
        "PublicKey": public.decode() + f" {name}\n", "CreateTime": ctx.now, "Tags": tags,
    }
    _add(ns, name, record)
    return {"KeyPairId": record["KeyPairId"], "KeyName": name, "KeyFingerprint": fingerprint,
            "KeyMaterial": material.decode(), "Tags": tags}


def _add(ns, name: str, record: dict) -> None:
    """Store a new key pair; the name is checked again inside the transaction, since another
    request may have taken it while this one was generating its key."""
    with ns.store.transaction():
        _check_name(ns, name)
        ns.put(KIND, name, record)


def import_key_pair(ctx, params: dict) -> dict:
    ns = ctx.namespace("ec2")
    name = params["KeyName"]
    _check_name(ns, name)
    tags = _tags(params)
    raw = params["PublicKeyMaterial"]
    try:
        public = serialization.load_ssh_public_key(raw.strip())
    except (ValueError, TypeError, IndexError):
        raise ServiceError("InvalidKey.Format",
                           "Key is not in valid OpenSSH public key format") from None
    if isinstance(public, rsa.RSAPublicKey):
        key_type = "rsa"
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        fingerprint = _colon_hex(hashlib.md5(der).digest())
    elif isinstance(public, ed25519.Ed25519PublicKey):
        key_type = "ed25519"
        fingerprint = _ssh_blob_fingerprint(public)
    else:
        raise ServiceError("InvalidKey.Format", "Key is not in valid OpenSSH public key format")
    check_dry_run(params)
    text = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    record = {"KeyPairId": _new_id(), "KeyName": name, "KeyType": key_type, "KeyFingerprint": fingerprint,
              "PublicKey": f"{text} {name}\n", "CreateTime": ctx.now, "Tags": tags}
    _add(ns, name, record)
    return {"KeyPairId": record["KeyPairId"], "KeyName": name, "KeyFingerprint": fingerprint, "Tags": tags}


def _only(records: list[dict], field: str, wanted: list[str] | None) -> list[dict]:
    """The records named in `wanted` (all when it is empty); naming one that does not exist
    is an error, as in EC2."""
    if not wanted:
        return records
    found = {r[field] for r in records}
    for value in wanted:
        if value not in found:
            raise ServiceError("InvalidKeyPair.NotFound", f"The key pair '{value}' does not exist")
    return [r for r in records if r[field] in wanted]


def describe_key_pairs(ctx, params: dict) -> dict:
    filters = params.get("Filters") or []
    check_filter_names([f for f in filters if not f.get("Name", "").startswith("tag")], _FILTERS)
    records = [record for _, record in ctx.namespace("ec2").list(KIND)]
    records = _only(records, "KeyName", params.get("KeyNames"))
    records = _only(records, "KeyPairId", params.get("KeyPairIds"))
    check_dry_run(params)
    out = []
    for r in records:
        values = {"key-pair-id": [r["KeyPairId"]], "key-name": [r["KeyName"]],
                  "fingerprint": [r["KeyFingerprint"]], "key-type": [r["KeyType"]],
                  "tag-key": [t["Key"] for t in r["Tags"]]}
        for t in r["Tags"]:
            values.setdefault(f"tag:{t['Key']}", []).append(t["Value"])
        if not match_filters(values, filters):
            continue
        item = {k: r[k] for k in ("KeyPairId", "KeyName", "KeyType", "KeyFingerprint", "CreateTime", "Tags")}
        if params.get("IncludePublicKey"):
            item["PublicKey"] = r["PublicKey"]
        out.append(item)
    return {"KeyPairs": out}


def delete_key_pair(ctx, params: dict) -> dict:
    ns = ctx.namespace("ec2")
    check_dry_run(params)
    name, key_id = params.get("KeyName"), params.get("KeyPairId")
    if not name and not key_id:
        raise ServiceError("MissingParameter", "The request must contain the parameter KeyName or KeyPairId")
    if not name:
        for candidate, record in ns.list(KIND):
            if record["KeyPairId"] == key_id:
                name = candidate
                break
        else:
            raise ServiceError("InvalidKeyPair.NotFound", f"The key pair '{key_id}' does not exist")
    record = ns.get(KIND, name)
    # Deleting a key pair that does not exist by name succeeds in AWS.
    if record is not None:
        ns.delete(KIND, name)
    return {"Return": True, "KeyPairId": record["KeyPairId"] if record else None}
