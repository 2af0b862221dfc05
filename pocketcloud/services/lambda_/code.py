"""Function and layer code on disk.

A zip is stored once, named by the hex SHA-256 of its bytes (never by a client's name), under
<data dir>/lambda/code/, and unpacked next to it into a directory of the same hash, which is
the function's task root. Layers are unpacked the same way; an execution environment's /opt is a
directory named by the hash of its layer list, into which the layers are copied in order, as AWS
overlays them.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import os
import shutil
import stat
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path

from ...protocol.errors import ServiceError

MAX_ZIP_BYTES = 50 * 1024 * 1024          # direct upload limit
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024    # function + layers, unzipped


class CodeStore:
    def __init__(self, settings):
        if settings.ephemeral:
            root = Path(tempfile.mkdtemp(prefix="pocketcloud-lambda-"))
            atexit.register(shutil.rmtree, root, True)
        else:
            root = Path(settings.data_dir) / "lambda"
        self.root = root
        (root / "code").mkdir(parents=True, exist_ok=True)
        (root / "opt").mkdir(parents=True, exist_ok=True)
        (root / "env").mkdir(parents=True, exist_ok=True)

    # -- zips ----------------------------------------------------------------------------------
    def save_zip(self, data: bytes) -> dict:
        """Store and unpack a zip; returns {"sha": hex, "CodeSha256": b64, "CodeSize": n}."""
        if len(data) > MAX_ZIP_BYTES:
            raise ServiceError("RequestEntityTooLargeException",
                               f"Request must be smaller than {MAX_ZIP_BYTES} bytes for the CreateFunction operation",
                               413, Type="User")
        digest = hashlib.sha256(data)
        sha = digest.hexdigest()
        target = self.root / "code" / sha
        if not target.is_dir():
            self._unpack(data, target)
            (self.root / "code" / f"{sha}.zip").write_bytes(data)
        return {"sha": sha, "CodeSha256": base64.b64encode(digest.digest()).decode(), "CodeSize": len(data)}

    def task_root(self, sha: str) -> Path:
        return self.root / "code" / sha

    def zip_path(self, sha: str) -> Path:
        return self.root / "code" / f"{sha}.zip"

    def _unpack(self, data: bytes, target: Path) -> None:
        try:
            archive = zipfile.ZipFile(BytesIO(data))
            infos = archive.infolist()
        except (zipfile.BadZipFile, ValueError, OSError):
            raise _unzip_error() from None
        if sum(info.file_size for info in infos) > MAX_UNZIPPED_BYTES:
            raise ServiceError("InvalidParameterValueException",
                               f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes", 400, Type="User")
        staging = Path(tempfile.mkdtemp(dir=self.root / "code", prefix=".unpack-"))
        try:
            for info in infos:
                # extract() drops absolute paths and '..' parts, so nothing lands outside staging.
                path = Path(archive.extract(info, staging))
                mode = (info.external_attr >> 16) & 0o777
                if mode and not info.is_dir():
                    # Zip keeps Unix permissions in external_attr; a custom runtime's bootstrap
                    # must stay executable.
                    os.chmod(path, mode | stat.S_IRUSR)
            os.replace(staging, target)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            shutil.rmtree(staging, ignore_errors=True)
            if target.is_dir():  # another request unpacked the same zip meanwhile
                return
            raise _unzip_error() from None

    # -- layers --------------------------------------------------------------------------------
    def opt_dir(self, layer_shas: list[str]) -> Path | None:
        """The /opt of environments with these layers (in order), built once."""
        if not layer_shas:
            return None
        key = hashlib.sha256("/".join(layer_shas).encode()).hexdigest()[:32]
        target = self.root / "opt" / key
        if not target.is_dir():
            staging = Path(tempfile.mkdtemp(dir=self.root / "opt", prefix=".build-"))
            for sha in layer_shas:
                shutil.copytree(self.task_root(sha), staging, dirs_exist_ok=True, symlinks=True)
            try:
                os.replace(staging, target)
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)
        return target

    def new_tmp_dir(self) -> Path:
        """An execution environment's own /tmp (TMPDIR), removed when it ends."""
        return Path(tempfile.mkdtemp(dir=self.root / "env", prefix="tmp-"))


def _unzip_error() -> ServiceError:
    return ServiceError("InvalidParameterValueException",
                        "Could not unzip uploaded file. Please check your file, then try to upload again.",
                        400, Type="User")
