"""SigV4 canonical request parts: the canonical URI (and the alternative encodings other
clients sign), the canonical query string and the canonical headers block."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, unquote_to_bytes

from .families import S3

_PATH_SAFE = re.compile(r"[A-Za-z0-9\-._~/]*")
# A string already in canonical form has only unreserved characters and upper-case %XX
# escapes, none of which needlessly escapes an unreserved character. (Three searches with
# simple patterns run in C at memchr speed; one pattern with alternation is ~10x slower.)
_NOT_CANONICAL_CHAR = re.compile(r"[^A-Za-z0-9\-._~%]")
_NOT_CANONICAL_QS_CHAR = re.compile(r"[^A-Za-z0-9\-._~%=&]")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-F]{2})")
_ESCAPED_UNRESERVED = re.compile(r"%(?:2[DE]|3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE])")


def _is_canonical(text: str, chars: re.Pattern) -> bool:
    if chars.search(text):
        return False
    return "%" not in text or not (_BAD_ESCAPE.search(text) or _ESCAPED_UNRESERVED.search(text))


def _requote(component: str) -> str:
    """Percent-decode a raw query component, then encode it as SigV4 wants (RFC 3986:
    everything but unreserved characters, upper-case hex)."""
    if _is_canonical(component, _NOT_CANONICAL_CHAR):
        return component
    return quote(unquote_to_bytes(component), safe="~")


def _requote_plus(component: str) -> str:
    """As _requote, for a client that form-encoded spaces as '+'."""
    return _requote(component.replace("+", "%20"))


def _canonical_query(qs: str, presigned: bool, encode=_requote) -> str:
    if not qs:
        return ""
    if encode is _requote and _is_canonical(qs, _NOT_CANONICAL_QS_CHAR):
        # Already encoded the canonical way (what SDKs send): only sort it.
        pairs = []
        for piece in qs.split("&"):
            key, _, value = piece.partition("=")
            if "=" in value:  # a raw '=' inside a value must be re-encoded: slow path
                break
            if piece and not (presigned and key == "X-Amz-Signature"):
                pairs.append((key, value))
        else:
            pairs.sort()
            return "&".join([f"{k}={v}" for k, v in pairs])
    pairs = []
    for piece in qs.split("&"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        if presigned and key == "X-Amz-Signature":
            continue
        pairs.append((encode(key), encode(value)))
    pairs.sort()
    return "&".join([f"{k}={v}" for k, v in pairs])


def _canonical_query_raw(qs: str, presigned: bool) -> str:
    """The query as sent, only sorted: what a signer that trusts its own encoding produces."""
    return _canonical_query(qs, presigned, encode=str)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 dot-segment removal; AWS also collapses repeated slashes (not for S3)."""
    if "//" not in path and "/." not in path:
        return path
    out: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
        else:
            out.append(segment)
    result = "/" + "/".join(out)
    if path.endswith("/") and out:
        result += "/"
    return result


def _uri_double_encoded(raw_path: str) -> str:
    """Non-S3 canonical URI: the normalised wire path, URI-encoded once more."""
    if raw_path == "/" or not raw_path:
        return "/"
    path = _remove_dot_segments(raw_path)
    if _PATH_SAFE.fullmatch(path):
        return path
    return quote(path, safe="/~")


def _uri_candidates(raw_path: str, family: str) -> list[str]:
    """Canonical URIs to try, the one AWS documents first. The others only matter when a
    client encoded its path differently from botocore, and are tried only on a mismatch."""
    raw_path = raw_path or "/"
    decoded_reencoded = quote(unquote_to_bytes(raw_path), safe="/~")
    if family == S3:
        candidates = [raw_path, decoded_reencoded]
    else:
        candidates = [
            _uri_double_encoded(raw_path),
            quote(raw_path, safe="/~"),  # not normalised
            quote(unquote_to_bytes(_remove_dot_segments(raw_path)), safe="/~"),  # single-encoded
        ]
        if not raw_path.isascii():
            try:  # a raw path the server decoded as latin-1 rather than UTF-8
                candidates.append(quote(raw_path.encode("latin-1"), safe="/~"))
            except UnicodeEncodeError:
                pass
    return candidates


def _canonical_headers(signed: list[str], headers: dict[str, str]) -> str:
    lines = []
    for name in signed:
        lname = name.lower()
        value = headers.get(lname, "")
        # Trim, and fold inner runs of whitespace into one space.
        if "  " in value or "\t" in value or "\n" in value or value[:1] == " " or value[-1:] == " ":
            value = " ".join(value.split())
        lines.append(f"{lname}:{value}\n")
    return "".join(lines)


def _query_value(qs: str, name: str) -> str | None:
    if not qs or name not in qs:
        return None
    for piece in qs.split("&"):
        key, _, value = piece.partition("=")
        if key == name:
            return unquote(value)
    return None
