"""Where CloudTrail events live: one store kind per UTC day in the account and region they
happened in (management events in "mgmt-YYYYMMDD", selected data events in "data-YYYYMMDD"),
each named by its time in milliseconds and its event id, so a day lists in time order and a
lookup over 90 days reads only those 90 days. A global index remembers which account/region
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


def write(store, built: list[tuple[str, str, float, dict]], known: set) -> None:
    """Write (account, region, epoch, entry) events in one transaction."""
    index = Namespace(store, *INDEX_NS)
    with store.transaction():
        for account, region, epoch, entry in built:
            record = entry["record"]
            Namespace(store, "cloudtrail", account, region).put(
                kind(record["eventCategory"], day_of(epoch)), event_name(epoch, record["eventID"]), entry)
            if (account, region) not in known:
                known.add((account, region))
                index.put(INDEX_KIND, f"{account}/{region}", {"account": account, "region": region})


def namespaces(store) -> list[tuple[str, str]]:
    return [(v["account"], v["region"]) for _, v in Namespace(store, *INDEX_NS).list(INDEX_KIND)]


def events_between(ns: Namespace, category: str, start: float, end: float, newest_first: bool = True):
    """(name, entry) of events with start < time <= end (epoch seconds)."""
    low, high = event_name(start, "~"), event_name(end, "~")
    for day in (days_between(start, end) if newest_first else reversed(days_between(start, end))):
        items = ns.list(kind(category, day))
        if newest_first:
            items.reverse()
        for name, entry in items:
            if low < name <= high:
                yield name, entry


def prune(store, now: float) -> int:
    """Drop the days past the retention window (a week of them at a time, daily)."""
    removed = 0
    for account, region in namespaces(store):
        ns = Namespace(store, "cloudtrail", account, region)
        for age in range(RETENTION_DAYS + 1, RETENTION_DAYS + 8):
            day = day_of(now - age * 86400)
            for category in ("Management", "Data"):
                with store.transaction():
                    for name, _ in ns.list(kind(category, day)):
                        ns.delete(kind(category, day), name)
                        removed += 1
    return removed
