"""JWT authorizers: the token is verified against the issuer's published keys.

The issuer's `/.well-known/openid-configuration` gives `jwks_uri`; the JWKS is fetched over
HTTP and kept in memory per issuer (fetched again when a token names a key id it lacks).
RS256 signatures are checked with `cryptography`; `iss`, `aud` (or `client_id`), `exp` and
`nbf` against the virtual clock; route scopes against the `scope`/`scp` claim.
"""

from __future__ import annotations

import asyncio
import base64
import json
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_MAX_DOCUMENT = 1024 * 1024
_jwks: dict[str, dict[str, object]] = {}  # issuer -> kid -> public key


class Rejected(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def forget_all() -> None:
    _jwks.clear()


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read(_MAX_DOCUMENT))


def _fetch_keys(issuer: str) -> dict[str, object]:
    config = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    jwks = _get_json(config["jwks_uri"])
    keys = {}
    for jwk in jwks.get("keys", []):
        if jwk.get("kty") != "RSA":
            continue
        numbers = rsa.RSAPublicNumbers(int.from_bytes(_b64url(jwk["e"]), "big"), int.from_bytes(_b64url(jwk["n"]), "big"))
        keys[jwk.get("kid", "")] = numbers.public_key()
    return keys


async def _key_for(issuer: str, kid: str):
    keys = _jwks.get(issuer)
    if keys is None or kid not in keys:
        try:
            keys = await asyncio.to_thread(_fetch_keys, issuer)
        except Exception:  # unreachable issuer, bad documents: the token cannot be verified
            raise Rejected(401, "Unauthorized") from None
        _jwks[issuer] = keys
    key = keys.get(kid)
    if key is None:
        raise Rejected(401, "Unauthorized")
    return key


async def verify(token: str, issuer: str, audiences: list[str], scopes: list[str], now: float) -> dict:
    """The token's claims, or Rejected (401 bad token, 403 missing scope)."""
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(_b64url(header_b64))
        claims = json.loads(_b64url(payload_b64))
        signature = _b64url(signature_b64)
    except (ValueError, TypeError):
        raise Rejected(401, "Unauthorized") from None
    if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "RS256":
        raise Rejected(401, "Unauthorized")
    key = await _key_for(issuer, header.get("kid", ""))
    try:
        key.verify(signature, f"{header_b64}.{payload_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise Rejected(401, "Unauthorized") from None
    if claims.get("iss") != issuer:
        raise Rejected(401, "Unauthorized")
    token_audiences = claims.get("aud") or claims.get("client_id") or []
    if isinstance(token_audiences, str):
        token_audiences = [token_audiences]
    if audiences and not set(audiences) & set(token_audiences):
        raise Rejected(401, "Unauthorized")
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, (int, float)) or exp <= now or (isinstance(nbf, (int, float)) and nbf > now):
        raise Rejected(401, "Unauthorized")
    if scopes:
        granted = claims.get("scope") or claims.get("scp") or ""
        granted = set(granted.split() if isinstance(granted, str) else granted)
        if not granted & set(scopes):
            raise Rejected(403, "Forbidden")
    return claims
