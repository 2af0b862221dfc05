"""Where CloudTrail events live: one store kind per UTC day in the account and region they
happened in (management events in "mgmt-YYYYMMDD", selected data events in "data-YYYYMMDD").
Each flush of the recorder writes one row per kind holding its batch of calls in a compact
form (already scrubbed of secrets); the full records are built when read. An event is named
by its time in milliseconds and its event id, so a lookup over 90 days reads only those days. A global index remembers which account/region
pairs have events, for pruning past the 90 days event history keeps.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pocketcloud.core.store import Namespace

RETENTION_DAYS = 90
INDEX_NS = ("cloudtrail", "-", "-")
INDEX_KIND = "event-namespace"


def day_of(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y%m%d")


def kind(category: str, day: str) -> str:
    return f"{'data' if category == 'Data' else 'mgmt'}-{day}"


def event_name(epoch: float, event_id: str) -> str:
    return f"{int(epoch * 1000):014d}-{event_id}"


def days_between(start: float, end: float) -> list[str]:
    """UTC days from end back to start, newest first."""
    day = datetime.fromtimestamp(end, timezone.utc).date()
    first = datetime.fromtimestamp(start, timezone.utc).date()
    out = []
    while day >= first:
        out.append(day.strftime("%Y%m%d"))
        day -= timedelta(days=1)
    return out


def write(store, calls: list, known: set) -> None:
    """Write queued calls (recorder.Call), scrubbed of secrets, in one transaction."""
    import os

    from .records import data_resource_type, is_read_only, scrub

    ids = os.urandom(16 * len(calls)).hex()
    batches: dict[tuple, list] = {}
    days: dict[int, str] = {}
    kinds: dict[tuple, tuple] = {}  # (service, operation) -> (read only, category)
    for i, call in enumerate(calls):
        call.event_id = ids[32 * i:32 * i + 32]
        op = (call.service, call.operation)
        found = kinds.get(op)
        if found is None:
            found = kinds[op] = (is_read_only(call.operation),
                                 "Data" if data_resource_type(*op) else "Management")
        read_only, category = found
        if call.params:
            call.params = scrub(call.params)
        # Reads never show their response; writes show it scrubbed.
        call.result = None if read_only or call.error else scrub(call.result)
        day_number = int(call.time // 86400)
        day = days.get(day_number) or days.setdefault(day_number, day_of(call.time))
        batches.setdefault((call.account, call.region, day, category), []).append(call.fields())
    index = Namespace(store, *INDEX_NS)
    with store.transaction():
        for (account, region, day, category), rows in batches.items():
            name = f"{int(rows[0][0] * 1000):014d}-{os.urandom(8).hex()}"
            Namespace(store, "cloudtrail", account, region).put(kind(category, day), name, rows)
            if (account, region) not in known:
                known.add((account, region))
                if index.get(INDEX_KIND, f"{account}/{region}") is None:
                    index.put(INDEX_KIND, f"{account}/{region}",
                              {"account": account, "region": region, "since": int(rows[0][0] // 86400)})


def _day_events(ns: Namespace, category: str, day: str) -> list[tuple[str, list]]:
    """(event name, stored fields) of one day, in time order."""
    out = []
    for _, rows in ns.list(kind(category, day)):
        for fields in rows:
            out.append((event_name(fields[0], fields[-1]), fields))
    out.sort(key=lambda item: item[0])
    return out


def namespaces(store) -> list[tuple[str, str]]:
    return [(v["account"], v["region"]) for _, v in Namespace(store, *INDEX_NS).list(INDEX_KIND)]


def events_between(ns: Namespace, category: str, start: float, end: float, newest_first: bool = True,
                   keep=None):
    """(name, {"record", "lookup"}) of events with start < time <= end (epoch seconds).
    `keep(name, fields)`, when given, filters on the stored fields before a record is built."""
    from .records import build
    from .recorder import Call

    low, high = event_name(start, "~"), event_name(end, "~")
    for day in (days_between(start, end) if newest_first else reversed(days_between(start, end))):
        items = _day_events(ns, category, day)
        if newest_first:
            items.reverse()
        for name, fields in items:
            if low < name <= high and (keep is None or keep(name, fields)):
                yield name, build(Call(*fields), ns.store)


def prune(store, now: float) -> int:
    """Drop every day past the retention window, from the oldest day not yet pruned."""
    removed = 0
    index = Namespace(store, *INDEX_NS)
    last = int(now // 86400) - RETENTION_DAYS - 1  # the newest day to drop
    for name, entry in index.list(INDEX_KIND):
        ns = Namespace(store, "cloudtrail", entry["account"], entry["region"])
        for day_number in range(entry.get("since", last - 7), last + 1):
            day = day_of(day_number * 86400)
            for category in ("Management", "Data"):
                with store.transaction():
                    for row, rows in ns.list(kind(category, day)):
                        ns.delete(kind(category, day), row)
                        removed += len(rows)
        if entry.get("since", 0) <= last:
            index.put(INDEX_KIND, name, dict(entry, since=last + 1))
    return removed
