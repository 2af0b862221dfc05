"""The outbox: what SNS "sent" to email, email-json, SMS and mobile-push endpoints, which have
no receiver on this machine. Read it through the admin API:

    GET    /_pocketcloud/sns/outbox[?protocol=email&endpoint=a@b.c&topic=<arn>]
    DELETE /_pocketcloud/sns/outbox
"""

from __future__ import annotations

import itertools
from urllib.parse import parse_qsl

from .common import global_ns, iso_millis

KIND = "outbox"
_counter = itertools.count()
MAX_ENTRIES = 10_000  # the oldest are dropped beyond this: the outbox is for inspection, not storage


def record(runtime, entry: dict) -> None:
    ns = global_ns(runtime)
    now = runtime.clock.time()
    count = next(_counter)
    name = f"{now:017.6f}-{count:09d}"
    ns.put(KIND, name, {**entry, "Timestamp": iso_millis(runtime.clock.now())})
    if count % 500 == 499:
        names = [n for n, _ in ns.list(KIND)]
        for old in names[:-MAX_ENTRIES]:
            ns.delete(KIND, old)


def entries(runtime, query_string: str = "") -> list[dict]:
    wanted = dict(parse_qsl(query_string))
    fields = {"protocol": "Protocol", "endpoint": "Endpoint", "topic": "TopicArn", "subscription": "SubscriptionArn"}
    out = []
    for _, entry in global_ns(runtime).list(KIND):
        if all(entry.get(fields[k]) == v for k, v in wanted.items() if k in fields):
            out.append(entry)
    return out


def clear(runtime) -> int:
    ns = global_ns(runtime)
    names = [n for n, _ in ns.list(KIND)]
    for name in names:
        ns.delete(KIND, name)
    return len(names)
