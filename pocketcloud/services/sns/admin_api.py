"""SNS's part of the admin API (gateway/admin.py): what was sent where no receiver exists.

GET    /_pocketcloud/sns/outbox    {"messages": [...]}: email, email-json, SMS and mobile-push
                                   deliveries, oldest first; ?protocol=&endpoint=&topic=&subscription=
DELETE /_pocketcloud/sns/outbox    {"deleted": n}
GET    /_pocketcloud/sns/retries   {"retries": [...]}: HTTP/S deliveries waiting for a retry, with
                                   the virtual time ("Due", epoch seconds) and attempt number
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from . import outbox
from .common import global_ns
from .delivery import RETRY


def handle(runtime, path: str, method: str, query_string: str) -> dict | None:
    if path == "/_pocketcloud/sns/outbox":
        if method == "DELETE":
            return {"deleted": outbox.clear(runtime)}
        if method == "GET":
            return {"messages": outbox.entries(runtime, query_string)}
    if path == "/_pocketcloud/sns/retries" and method == "GET":
        wanted = dict(parse_qsl(query_string)).get("subscription")
        retries = [{"SubscriptionArn": r["SubscriptionArn"], "MessageId": r["MessageId"], "Url": r["Url"],
                    "Attempt": r["Attempt"], "Due": r["Due"]}
                   for _, r in global_ns(runtime).list(RETRY)
                   if r["Attempt"] > 0 and (not wanted or r["SubscriptionArn"] == wanted)]
        return {"retries": sorted(retries, key=lambda r: r["Due"])}
    return None
