"""Bounded caches kept as plain dicts, so that their lookups cost what a dict's do."""

from __future__ import annotations

from itertools import islice


def drop_oldest(cache: dict, count: int) -> None:
    """Remove the `count` entries inserted first. Callers drop a quarter of a full cache at
    once: a dict keeps insertion order, but deleting its first entry one at a time leaves a run
    of emptied slots at the front that every later `next(iter(cache))` walks again (~0.5 us per
    eviction at 1,024 entries, on every PUT of a new S3 key), while this walks them once for a
    quarter of the cache's insertions."""
    for key in list(islice(cache, count)):
        del cache[key]
