"""The one virtual clock. Every "now" in pocketcloud comes from here.

Virtual time = real time + offset. `advance` and `set` move the offset; the scheduler runs the
work that became due. While the scheduler runs a due task it pins `now()` to that task's due
time, so time-based behaviour (lifecycle, retention, redelivery) happens at the instant it would
have in AWS, even when the clock jumps 30 days at once.

Clients sign requests with their own (real) clocks. So that moving the virtual clock does not
make every signature look skewed, a signature is judged by `signature_now`: real time plus the
virtual time the clock was moved since the signature was made. A presigned URL made before
`advance 2h` has aged two hours; one made after it is fresh. A SigV2 presigned URL (what boto3
and the AWS CLI make for S3 by default) says only when it expires, not when it was made: it is
taken as made when the server first sees it, so using it once before moving the clock lets the
move age it.
"""

from __future__ import annotations

import math
import time as _time
from datetime import datetime, timezone

UTC = timezone.utc
_MIN_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc).timestamp()
_MAX_EPOCH = datetime(9999, 12, 31, tzinfo=timezone.utc).timestamp()


class Clock:
    def __init__(self, offset: float = 0.0):
        self.offset = offset
        self._pinned: float | None = None
        # (real time of a move, offset before it), oldest first, the last few hundred moves
        self._moves: list[tuple[float, float]] = []
        # signature of a SigV2 presigned URL -> the offset when it was first seen (bounded)
        self._first_seen: dict[str, float] = {}

    def time(self) -> float:
        """Virtual seconds since the epoch."""
        if self._pinned is not None:
            return self._pinned
        return _time.time() + self.offset

    def stamp(self) -> float:
        """time() to the millisecond, as S3 keeps its objects' times. (round(t, 3) formats
        the number in decimal to round it: several times the cost, on every PUT.)"""
        return round(self.time() * 1000) / 1000

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> None:
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the clock only moves forward, by a finite duration")
        self._check_offset(self.offset + seconds)
        self._moved()
        self.offset += seconds

    @staticmethod
    def _check_offset(offset: float) -> None:
        """Virtual time must stay inside what datetimes can hold (years 1..9999)."""
        if not math.isfinite(offset) or not (_MIN_EPOCH < _time.time() + offset < _MAX_EPOCH):
            raise ValueError("that would move the clock past the year 9999")

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        offset = when.timestamp() - _time.time()
        self._check_offset(offset)
        self._moved()
        self.offset = offset

    def _moved(self) -> None:
        self._moves.append((_time.time(), self.offset))
        if len(self._moves) > 512:
            del self._moves[:256]

    def offset_at(self, real_time: float) -> float:
        """The offset that was in force at a past real instant."""
        offset = self.offset
        for moved_at, before in reversed(self._moves):
            if real_time >= math.floor(moved_at):
                break
            offset = before
        return offset

    def signature_now(self, signed_at: float) -> datetime:
        """The instant by which to judge a signature made at real time `signed_at`. Signatures
        carry whole seconds, so the admin API moves the clock just after a second's boundary:
        one stamped in the second of a move was made after it."""
        return datetime.fromtimestamp(_time.time() + self.offset - self.offset_at(signed_at), UTC)

    def undated_signature_now(self, signature: str) -> datetime:
        """The instant by which to judge a signature that carries no date (SigV2 presigned)."""
        offset = self._first_seen.get(signature)
        if offset is None:
            if len(self._first_seen) >= 10_000:
                self._first_seen.clear()
            offset = self._first_seen[signature] = self.offset
        return datetime.fromtimestamp(_time.time() + self.offset - offset, UTC)

    def pin(self, at: float | None) -> None:
        self._pinned = at


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    """'30d', '1h30m', '90s', '2w', or plain seconds -> seconds."""
    text = text.strip().lower()
    if not text:
        raise ValueError("empty duration")
    try:
        return float(text)
    except ValueError:
        pass
    total = 0.0
    number = ""
    for ch in text:
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in _UNITS and number:
            total += float(number) * _UNITS[ch]
            number = ""
        else:
            raise ValueError(f"bad duration {text!r}: use e.g. 30d, 12h, 1h30m, 90s")
    if number:
        raise ValueError(f"bad duration {text!r}: a number needs a unit (s, m, h, d, w)")
    return total


def parse_when(text: str) -> datetime:
    """An ISO-8601 instant ('2027-01-01', '2027-01-01T12:00:00Z') -> aware datetime."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)
