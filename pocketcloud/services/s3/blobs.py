"""Object bodies on disk: streamed in, encrypted, written to a temp file, fsynced, renamed.

A stored body is a list of segments (one for a PUT, one per part after a multipart upload, so
completing an upload moves no data). A segment is {"size", "nonce", "file"} with "file" a
random id (never a client-supplied name), or {"size", "nonce", "inline"} for small bodies,
kept in the metadata row: a 1 KiB object costs no file at all.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path

from ...protocol.errors import ServiceError
from . import crypto

INLINE_MAX = 8 * 1024  # encrypted bodies up to this size live in the metadata row
READ_CHUNK = 256 * 1024


class Digests:
    """What one pass over an uploaded body computes: size, MD5 (the ETag) and the requested
    additional checksums."""

    __slots__ = ("size", "md5", "checksums")

    def __init__(self, checksums=()):
        self.size = 0
        self.md5 = hashlib.md5()
        self.checksums = list(checksums)

    def update(self, data: bytes) -> None:
        self.size += len(data)
        self.md5.update(data)
        for hasher in self.checksums:
            hasher.update(data)


class BlobFiles:
    def __init__(self, settings):
        if settings.ephemeral:
            self.root = Path(tempfile.mkdtemp(prefix="pocketcloud-s3-"))
            self.durable = False  # nothing survives an ephemeral server: fsync buys nothing
            import atexit

            atexit.register(shutil.rmtree, self.root, True)
        else:
            self.root = Path(settings.data_dir) / "s3" / "blobs"
            self.durable = True
        self.tmp = self.root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def _path(self, file_id: str) -> Path:
        return self.root / file_id[:2] / file_id

    async def write(self, source, key: bytes, digests: Digests, limit: int, too_large) -> dict:
        """Consume `source` (an async iterator of bytes, or None) into a new segment encrypted
        under `key`. Raises too_large() past `limit` bytes."""
        nonce = crypto.new_nonce()
        cipher = crypto.encryptor(key, nonce)
        held: list[bytes] = []
        held_size = 0
        handle = tmp_path = None
        try:
            if source is not None:
                async for chunk in source:
                    digests.update(chunk)
                    if digests.size > limit:
                        raise too_large()
                    data = cipher.update(chunk)
                    if handle is None:
                        held.append(data)
                        held_size += len(data)
                        if held_size > INLINE_MAX:
                            tmp_path = self.tmp / uuid.uuid4().hex
                            handle = open(tmp_path, "wb")
                            handle.write(b"".join(held))
                            held = []
                    else:
                        handle.write(data)
            tail = cipher.finalize()
            if handle is None:
                return {"size": digests.size, "nonce": nonce, "inline": b"".join(held) + tail}
            handle.write(tail)
            file_id = uuid.uuid4().hex
            final = self._path(file_id)
            await asyncio.to_thread(self._commit, handle, tmp_path, final)
            handle = tmp_path = None
            return {"size": digests.size, "nonce": nonce, "file": file_id}
        finally:
            if handle is not None:
                handle.close()
            if tmp_path is not None:
                tmp_path.unlink(missing_ok=True)

    def _commit(self, handle, tmp_path: Path, final: Path) -> None:
        handle.flush()
        if self.durable:
            os.fsync(handle.fileno())
        handle.close()
        final.parent.mkdir(exist_ok=True)
        os.replace(tmp_path, final)
        if self.durable:
            fd = os.open(final.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def read(self, segments: list[dict], key: bytes, start: int = 0, end: int | None = None):
        """Plaintext bytes [start, end) of a body made of `segments` (end exclusive), as an
        iterator of chunks."""
        total = sum(s["size"] for s in segments)
        end = total if end is None else min(end, total)
        offset = 0
        for segment in segments:
            seg_start, seg_end = offset, offset + segment["size"]
            offset = seg_end
            if seg_end <= start or seg_start >= end:
                continue
            lo, hi = max(start, seg_start) - seg_start, min(end, seg_end) - seg_start
            yield from self._read_segment(segment, key, lo, hi)

    def _read_segment(self, segment: dict, key: bytes, lo: int, hi: int):
        aligned = lo - lo % crypto.BLOCK
        cipher = crypto.decryptor(key, segment["nonce"], aligned)
        skip = lo - aligned
        inline = segment.get("inline")
        if inline is not None:
            data = cipher.update(inline[aligned:hi])
            yield data[skip:]
            return
        with open(self._path(segment["file"]), "rb") as handle:
            handle.seek(aligned)
            left = hi - aligned
            while left > 0:
                raw = handle.read(min(READ_CHUNK, left))
                if not raw:
                    raise ServiceError("InternalError", "An object's body is missing from the data directory", 500)
                left -= len(raw)
                data = cipher.update(raw)
                if skip:
                    data, skip = data[skip:], 0
                yield data

    def delete(self, segments: list[dict]) -> None:
        for segment in segments:
            file_id = segment.get("file")
            if file_id:
                self._path(file_id).unlink(missing_ok=True)

    def clear(self) -> None:
        for child in self.root.iterdir():
            if child.is_dir() and child != self.tmp:
                shutil.rmtree(child, ignore_errors=True)
