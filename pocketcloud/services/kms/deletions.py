"""The global index of scheduled key deletions (account, region, key, due time), read by the
provider's start() to re-register them after a restart. Kept import-light: it loads at start-up."""

from __future__ import annotations

from pocketcloud.core.store import Namespace

SCHEDULE_NS = ("kms", "-", "-")
SCHEDULE_KIND = "deletion"


def index(store) -> Namespace:
    return Namespace(store, *SCHEDULE_NS)


def entry_name(account: str, region: str, key_id: str) -> str:
    return f"{account}/{region}/{key_id}"


def pending(store) -> list[dict]:
    return [v for _, v in index(store).list(SCHEDULE_KIND)]
