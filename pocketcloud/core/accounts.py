"""Access keys -> accounts. Accounts and regions are real namespaces in pocketcloud."""

from __future__ import annotations

from typing import Callable

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCESS_KEY = "test"
DEFAULT_SECRET_KEY = "test"

# Later services (IAM access keys, STS temporary credentials) register resolvers here:
# a resolver returns (account_id, secret_key, principal_arn) for keys it knows, else None.
KeyResolver = Callable[[str], "tuple[str, str, str | None] | None"]
_resolvers: list[KeyResolver] = []


def register_key_resolver(resolver: KeyResolver) -> None:
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def resolve_access_key(access_key: str | None) -> tuple[str, str | None, str | None]:
    """(account id, secret key or None when unknown, principal ARN or None for the root user).

    'test' is the default account; a 12-digit access key id is taken as that account (as other
    local clouds do), with the secret 'test'; keys issued by IAM/STS are resolved by them.
    """
    if not access_key or access_key == DEFAULT_ACCESS_KEY:
        return DEFAULT_ACCOUNT, DEFAULT_SECRET_KEY, None
    if len(access_key) == 12 and access_key.isdigit():
        return access_key, DEFAULT_SECRET_KEY, None
    for resolver in _resolvers:
        found = resolver(access_key)
        if found is not None:
            return found
    # Unknown keys still work (they land in the default account) unless signatures are
    # enforced, in which case the missing secret makes the gateway answer InvalidClientTokenId.
    return DEFAULT_ACCOUNT, None, None
