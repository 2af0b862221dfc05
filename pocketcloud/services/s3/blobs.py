"""Object bodies on disk: streamed in, encrypted, written to a temp file, fsynced, renamed.

A stored body is a list of segments (one for a PUT, one per part after a multipart upload, so
completing an upload moves no data). A segment is {"size", "nonce", "file"} with "file" a
random id (never a client-supplied name) and the body AES-CTR encrypted (streamable, range
readable), or {"size", "inline"} for small bodies sealed whole with AES-GCM and kept in the
metadata row: a 1 KiB object costs no file and no cipher set-up beyond one AEAD call.
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
_BATCH = 1024 * 1024  # bytes of a large body hashed, encrypted and written per worker-thread step


def _absorb(chunks: list[bytes], digests: "Digests", cipher, handle) -> None:
    for chunk in chunks:
        digests.update(chunk)
        handle.write(cipher.update(chunk))


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
        for leftover in self.tmp.iterdir():  # uploads cut short by a crash: never acknowledged
            leftover.unlink(missing_ok=True)
        self.aead_for = None  # key -> AES-GCM sealer, set by the provider (crypto.MasterKey.aead_for)

    def _path(self, file_id: str) -> Path:
        return self.root / file_id[:2] / file_id

    async def write(self, source, key: bytes, digests: Digests, limit: int, too_large) -> dict:
        """Consume `source` (an async iterator of bytes, or None) into a new segment encrypted
        under `key`: sealed whole (AES-GCM) in the metadata row when it is small, else streamed
        (AES-CTR) to a file. Raises too_large() past `limit` bytes.

        A large body is hashed, encrypted and written a batch at a time in a worker thread
        (hashlib and OpenSSL release the GIL), overlapping with the receipt of the next batch:
        at most two batches are held in memory."""
        held: list[bytes] = []
        held_size = received = 0
        cipher = handle = tmp_path = inflight = None
        nonce = None
        try:
            if source is not None:
                async for chunk in source:
                    received += len(chunk)
                    if received > limit:
                        raise too_large()
                    held.append(chunk)
                    held_size += len(chunk)
                    if handle is None:
                        if held_size <= INLINE_MAX:
                            continue
                        nonce = crypto.new_nonce()
                        cipher = crypto.encryptor(key, nonce)
                        tmp_path = self.tmp / uuid.uuid4().hex
                        handle = open(tmp_path, "wb")
                    if held_size >= _BATCH:
                        if inflight is not None:
                            await inflight
                        inflight = asyncio.ensure_future(asyncio.to_thread(_absorb, held, digests, cipher, handle))
                        held, held_size = [], 0
            if inflight is not None:
                await inflight
                inflight = None
            if handle is None:
                data = b"".join(held) if len(held) != 1 else held[0]
                digests.update(data)
                return {"size": digests.size, "inline": crypto.seal(self.aead_for(key), data)}
            _absorb(held, digests, cipher, handle)
            handle.write(cipher.finalize())
            file_id = uuid.uuid4().hex
            final = self._path(file_id)
            await asyncio.to_thread(self._commit, handle, tmp_path, final)
            handle = tmp_path = None
            return {"size": digests.size, "nonce": nonce, "file": file_id}
        finally:
            if inflight is not None:
                try:
                    await inflight
                except Exception:
                    pass
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
        """Plaintext bytes [start, end) of a body made of `segments` (end exclusive): bytes for
        a small body held inline (sent in one piece), else an iterator of chunks."""
        if len(segments) == 1 and "inline" in segments[0]:
            data = crypto.unseal(self.aead_for(key), segments[0]["inline"])
            return data if start == 0 and (end is None or end >= len(data)) else data[start:end]
        return self._read_segments(segments, key, start, end)

    def _read_segments(self, segments: list[dict], key: bytes, start: int, end: int | None):
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
        inline = segment.get("inline")
        if inline is not None:
            data = crypto.unseal(self.aead_for(key), inline)
            yield data[lo:hi] if lo or hi < len(data) else data
            return
        aligned = lo - lo % crypto.BLOCK
        cipher = crypto.decryptor(key, segment["nonce"], aligned)
        skip = lo - aligned
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
