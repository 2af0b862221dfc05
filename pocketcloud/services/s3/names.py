"""Bucket naming rules (general purpose buckets) and LocationConstraint rules."""

from __future__ import annotations

import re

from ...core.regions import REGIONS
from ...protocol.errors import ServiceError

_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def check_bucket_name(name: str) -> None:
    if (not _NAME.match(name) or ".." in name or ".-" in name or "-." in name or _IP.match(name)
            or name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES)):
        raise ServiceError("InvalidBucketName", "The specified bucket is not valid.", 400, BucketName=name)


def check_location(constraint: str | None, region: str) -> str:
    """The bucket's region from CreateBucket's LocationConstraint, as S3 checks it: absent
    means us-east-1 and is only accepted there; "us-east-1" itself is never a valid constraint;
    the us-east-1 (global) endpoint accepts any other region, a regional endpoint only its own."""
    if constraint in (None, ""):
        if region != "us-east-1":
            raise ServiceError("IllegalLocationConstraintException",
                               "The unspecified location constraint is incompatible for the region specific "
                               "endpoint this request was sent to.", 400)
        return "us-east-1"
    if constraint == "EU":
        constraint = "eu-west-1"
    if constraint == "us-east-1" or constraint not in REGIONS:
        raise ServiceError("InvalidLocationConstraint", "The specified location-constraint is not valid", 400,
                           LocationConstraint=constraint)
    if region != "us-east-1" and constraint != region:
        raise ServiceError("IllegalLocationConstraintException",
                           f"The {constraint} location constraint is incompatible for the region specific "
                           "endpoint this request was sent to.", 400)
    return constraint
