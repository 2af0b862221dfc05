"""Settings: command-line flags over POCKETCLOUD_* environment variables over defaults."""

from __future__ import annotations

import os
from pathlib import Path


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "pocketcloud"


def parse_services(value: str | None) -> frozenset[str] | None:
    if value is None or not value.strip() or value.strip() == "all":
        return None
    return frozenset(name.strip() for name in value.split(",") if name.strip() and name.strip() != "none")


class Settings:
    """Read from POCKETCLOUD_* environment variables when made; the CLI then applies flags."""

    def __init__(self):
        env = os.environ
        self.host: str = env.get("POCKETCLOUD_HOST", "127.0.0.1")
        self.port: int = int(env.get("POCKETCLOUD_PORT", "4566"))
        self.data_dir: Path = Path(env["POCKETCLOUD_DATA_DIR"]) if env.get("POCKETCLOUD_DATA_DIR") \
            else default_data_dir()
        self.ephemeral: bool = _env_bool("POCKETCLOUD_EPHEMERAL")
        self.log_level: str = env.get("POCKETCLOUD_LOG_LEVEL", "info")
        self.enforce_signatures: bool = _env_bool("POCKETCLOUD_ENFORCE_SIGNATURES")
        # The services this server answers (botocore names); None = all of them. The others
        # answer NotImplemented, so a test or a CI job can keep the surface it relies on small.
        self.services: frozenset[str] | None = parse_services(env.get("POCKETCLOUD_SERVICES"))
        # Decide every request by the caller's IAM policies (and resource policies), as AWS does.
        self.enforce_iam: bool = _env_bool("POCKETCLOUD_ENFORCE_IAM")
        # Largest non-streaming request body accepted (streaming uploads such as S3 PutObject
        # are not held in memory and are bounded by their service's own limits instead).
        # 80 MiB fits Lambda's 50 MB zip upload once base64-encoded in JSON.
        self.max_body_bytes: int = int(env.get("POCKETCLOUD_MAX_BODY_BYTES", str(80 * 1024 * 1024)))

    @property
    def endpoint(self) -> str:
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"
