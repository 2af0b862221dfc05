"""The services pocketcloud serves and their botocore models.

Models are botocore's JSON files, read by protocol/model.py. They are large (EC2's alone takes
~100 ms to load), so they load lazily, per service, on first use. Routing needs only a small
index (protocols, target prefixes, signing names, operation names and REST URIs). The index is
built from the models once per botocore version and cached on disk, so a cold start reads one
small JSON file and does not import botocore at all.
"""

from __future__ import annotations

import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import query_compat
from .model import ServiceModel, load_service_data

# botocore service names: every service of the SAA notes plus STS (and CloudWatch Logs and
# EventBridge, which the notes' CloudWatch and Lambda sections rely on).
SERVICES: tuple[str, ...] = (
    "sts", "ec2", "s3", "cloudfront", "rds", "route53", "elb", "elbv2", "cloudwatch", "logs",
    "autoscaling", "iam", "sns", "sqs", "storagegateway", "kms", "efs", "shield", "waf",
    "waf-regional", "wafv2", "cloudformation", "snowball", "cloudtrail", "elasticache", "ecs",
    "lambda", "redshift", "apigateway", "apigatewayv2", "events",
)

INDEX_FORMAT = 6


@lru_cache(maxsize=1)
def _botocore_version() -> str:
    """botocore's version, read from its source without importing it (an import costs ~40 ms,
    importlib.metadata ~3 ms of every cold start)."""
    from .model import data_dir

    init = os.path.join(os.path.dirname(data_dir()), "__init__.py")
    try:
        with open(init, encoding="utf-8") as f:
            for line in f:
                if line.startswith("__version__"):
                    return line.split("=", 1)[1].strip().strip("'\"")
    except OSError:
        pass
    import botocore

    return botocore.__version__


def _cache_dir() -> Path:
    if os.environ.get("POCKETCLOUD_CACHE_DIR"):
        return Path(os.environ["POCKETCLOUD_CACHE_DIR"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "pocketcloud"


@lru_cache(maxsize=None)
def service_model(name: str) -> ServiceModel:
    """The model of one service (loaded on first use, then kept)."""
    return ServiceModel(load_service_data(name), name)


@lru_cache(maxsize=None)
def query_service_model(name: str) -> ServiceModel:
    """The query-flavoured model of a service that moved from query to JSON (SQS)."""
    return ServiceModel(query_compat.query_model_data(name, load_service_data(name)), name)


def model_for(name: str, protocol: str | None) -> ServiceModel:
    """The model that reads and writes a request in `protocol`."""
    if protocol == "query" and query_compat.speaks_query(name):
        return query_service_model(name)
    return service_model(name)


def protocols_of(metadata: dict) -> list[str]:
    return list(metadata.get("protocols") or [metadata["protocol"]])


def _required_members(op: dict, shapes: dict, location: str) -> list[str]:
    """Wire names of the required header (lower-case) or querystring members: S3 tells
    operations that share a method and URI apart by them (CopyObject is PutObject with
    x-amz-copy-source, UploadPart is PutObject with partNumber and uploadId)."""
    shape = shapes.get(op.get("input", {}).get("shape", ""), {})
    out = []
    for name in shape.get("required", []):
        member = shape.get("members", {}).get(name, {})
        if member.get("location") == location:
            wire = member.get("locationName", name)
            out.append(wire.lower() if location == "header" else wire)
    return out


def _build_index() -> dict[str, Any]:
    services: dict[str, Any] = {}
    for name in SERVICES:
        data = load_service_data(name)
        md = data["metadata"]
        shapes = data["shapes"]
        ops = {}
        for op_name, op in data["operations"].items():
            http = op.get("http", {})
            ops[op_name] = [http.get("method", "POST"), http.get("requestUri", "/"),
                            _required_members(op, shapes, "header"), _required_members(op, shapes, "querystring")]
        services[name] = {
            "protocols": protocols_of(md),
            "targetPrefix": md.get("targetPrefix"),
            "signingName": md.get("signingName") or md.get("endpointPrefix"),
            "endpointPrefix": md.get("endpointPrefix"),
            "apiVersion": md.get("apiVersion"),
            "jsonVersion": md.get("jsonVersion"),
            "serviceId": md.get("serviceId"),
            # Moved from query to JSON but still answers query (older clients): see query_compat.
            "legacyQuery": query_compat.speaks_query(name),
            "operations": ops,
        }
    return {"format": INDEX_FORMAT, "botocore": _botocore_version(), "services": services}


@lru_cache(maxsize=None)
def index() -> dict[str, Any]:
    """Routing index of every served service, read from the on-disk cache or built."""
    path = _cache_dir() / f"index-{INDEX_FORMAT}-{_botocore_version()}.json"
    try:
        with open(path, "rb") as f:
            data = json.load(f)
        if data.get("format") == INDEX_FORMAT and set(data["services"]) == set(SERVICES):
            return data
    except (OSError, ValueError, KeyError):
        pass
    data = _build_index()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".index-")
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, separators=(",", ":"))
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home still works, just without the cache
    return data
