"""Operations the codec conformance test excuses, each with a reason.

Key: (service, operation). Value: Excuse(directions, reason, protocols=None).
  directions  which checks are excused: any of "input", "output", "error"
  protocols   None for every protocol of the service, else a tuple of protocol names

An excuse hides failures only; a passing excused check is reported as "stale" in the
coverage summary so the list shrinks as the codec grows. Keep every entry justified by the
wire or by botocore, never by "our codec does not do this yet" without saying what is missing.
"""

from __future__ import annotations

from typing import NamedTuple


class Excuse(NamedTuple):
    directions: tuple[str, ...]
    reason: str
    protocols: tuple[str, ...] | None = None


# Nothing is excused today: every operation passes in every direction and protocol.
EXCEPTIONS: dict[tuple[str, str], Excuse] = {}


def excuse_for(service: str, operation: str, protocol: str, direction: str) -> Excuse | None:
    excuse = EXCEPTIONS.get((service, operation))
    if excuse is None or direction not in excuse.directions:
        return None
    if excuse.protocols is not None and protocol not in excuse.protocols:
        return None
    return excuse
