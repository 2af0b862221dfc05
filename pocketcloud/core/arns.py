"""ARNs as services read them when one service delivers to another's resource."""

from __future__ import annotations

import re

_ARN = re.compile(r"^arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12}|[^:]*):(.+)$")


def parse_arn(arn: str) -> tuple[str, str, str, str] | None:
    """(service, region, account, resource) of an ARN, or None."""
    match = _ARN.match(arn or "")
    return match.groups() if match else None
