"""Token buckets for usage-plan throttling, refilled on the virtual clock.

In memory on purpose: a throttle is about the last second, which a restart forgets on AWS too.
"""

from __future__ import annotations

_buckets: dict[tuple, list[float]] = {}


def allow(key: tuple, rate: float, burst: int, now: float) -> bool:
    """Take one token from the bucket `key` (capacity `burst`, `rate` tokens a second)."""
    capacity = max(burst, 1) if burst else max(rate, 1.0)
    bucket = _buckets.get(key)
    if bucket is None:
        bucket = _buckets[key] = [capacity, now]
    tokens = min(capacity, bucket[0] + (now - bucket[1]) * rate)
    bucket[1] = now
    if tokens < 1:
        bucket[0] = tokens
        return False
    bucket[0] = tokens - 1
    return True


def forget_all() -> None:
    _buckets.clear()
