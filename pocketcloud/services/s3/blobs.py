"""Object bodies on disk: streamed in, encrypted, written to a temp file, fsynced, renamed.

A stored body is a list of segments (one for a PUT, one per part after a multipart upload, so
completing an upload moves no data). A segment is {"size", "nonce", "file"} with "file" a
random id (never a client-supplied name) and the body AES-CTR encrypted (streamable, range
readable), or {"size", "inline"} for small bodies sealed whole with AES-GCM and kept in the
metadata row: a 1 KiB object costs no file and no cipher set-up beyond one AEAD call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

from ...protocol.errors import ServiceError
from . import crypto

INLINE_MAX = 8 * 1024  # encrypted bodies up to this size live in the metadata row
_BATCH = 1024 * 1024  # bytes of a large body hashed, encrypted and written per worker-thread step
READ_CHUNK = _BATCH  # plaintext bytes per chunk of a streamed GET (at most a buffer's size)
_SPARE_BUFFERS = 6  # buffer pairs of finished uploads and reads kept for the next ones


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass  # a stray file costs disk space, never correctness: its id is in no index


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


class _Spool:
    """A large body on its way to disk, worked on in worker threads one batch at a time.

    Each batch is copied into a recycled plaintext buffer, then hashed, encrypted into a second
    recycled buffer and written (os.write on the raw fd) with one call each. Recycled, because
    a fresh large buffer is mmapped by malloc and page-faults all of its pages on first touch,
    which here costs more than the AES itself. The lock lets an upload cut short (an error, a
    cancelled request) drop the spool without pulling the file or the buffers from under a
    batch still running in its thread.
    """

    __slots__ = ("path", "fd", "cipher", "digests", "plain", "view", "pos", "lock", "dropped", "spares")

    def __init__(self, path: Path, cipher, digests: "Digests", spares: list, size: int = _BATCH):
        self.path = path
        self.fd: int | None = None
        self.cipher = cipher
        self.digests = digests
        self.plain, self.view = _buffers(spares, size)
        self.spares = spares
        self.pos = 0
        self.lock = threading.Lock()
        self.dropped = False

    def absorb(self, chunks: list) -> None:
        with self.lock:
            if not self.dropped:
                self._absorb(chunks)

    def _absorb(self, chunks: list) -> None:
        if self.fd is None:
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        plain, pos = self.plain, self.pos
        room = len(plain)
        for chunk in chunks:
            size = len(chunk)
            self.digests.size += size
            if pos + size <= room:
                plain[pos:pos + size] = chunk
                pos += size
                continue
            whole, done = memoryview(chunk), 0
            while done < size:
                if pos == room:
                    self.pos = pos
                    self._flush()
                    pos = 0
                take = min(size - done, room - pos)
                plain[pos:pos + take] = whole[done:done + take]
                pos += take
                done += take
        self.pos = pos
        self._flush()

    def _flush(self) -> None:
        """Hash, encrypt and write the staged plaintext: one call each per batch, so a worker
        waits for the GIL a few times per batch rather than a few times per received chunk."""
        data = self.plain[:self.pos]
        digests = self.digests
        digests.md5.update(data)
        for hasher in digests.checksums:
            hasher.update(data)
        view = self.view
        size = self.cipher.update_into(data, view)
        done = 0
        while done < size:
            done += os.write(self.fd, view[done:size])
        self.pos = 0

    def finish(self, chunks: list, durable: bool, final: Path) -> None:
        """The last chunks, then the file made whole (fsynced when durable) and renamed into
        place; the buffer goes back for the next upload."""
        with self.lock:
            if self.dropped:
                return
            self._absorb(chunks)
            self.cipher.finalize()  # CTR holds nothing back: this only closes the cipher
            if durable:
                os.fsync(self.fd)
            os.close(self.fd)
            self.fd = None
            final.parent.mkdir(exist_ok=True)
            os.replace(self.path, final)
            if durable:
                fd = os.open(final.parent, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            self._recycle()

    def close(self) -> None:
        """Give up the upload: the temp file is removed, the buffers recycled."""
        with self.lock:
            self._drop()

    def _drop(self) -> None:
        if self.dropped:
            return
        self.dropped = True
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        self.path.unlink(missing_ok=True)  # also after a finish() that failed past closing it
        self._recycle()

    def _recycle(self) -> None:
        self.dropped = True
        _recycle(self.spares, self.plain, self.view)


def _missing_body() -> ServiceError:
    return ServiceError("InternalError", "An object's body is missing from the data directory", 500)


def _buffers(spares: list, size: int = _BATCH) -> tuple[memoryview, memoryview]:
    """A (plaintext, ciphertext) pair of buffers, the second one block longer (update_into
    wants len(data) + 15 bytes of room): a recycled _BATCH pair when there is one (a fresh
    large buffer page-faults all of its pages on first touch), else a new pair for `size`
    bytes, at most _BATCH (a small body in flight holds no more than it needs)."""
    try:
        return spares.pop()
    except IndexError:
        pass
    size = min(size, _BATCH)
    return memoryview(bytearray(size)), memoryview(bytearray(size + crypto.BLOCK))


def _recycle(spares: list, plain: memoryview, other: memoryview) -> None:
    if len(plain) == _BATCH and len(spares) < _SPARE_BUFFERS:
        spares.append((plain, other))


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
        self._spares: list[tuple[memoryview, memoryview]] = []  # see _buffers
        # Hashing and encrypting uploads: one thread per core at most, so that uploads in
        # parallel do not crowd out the event loop thread that receives their bytes (the
        # default executor's 6+ threads took ~10% off 8 MiB PUTs at 4 connections on 2 cores).
        self.workers = concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="s3-body")
        self.aead_for = None  # key -> AES-GCM sealer, set by the provider (crypto.MasterKey.aead_for)

    def _path(self, file_id: str) -> Path:
        return self.root / file_id[:2] / file_id

    def inline_segment(self, key: bytes, data: bytes) -> dict:
        """The segment of a body small enough to live sealed in its metadata row (<= INLINE_MAX)."""
        return {"size": len(data), "inline": crypto.seal(self.aead_for(key), data)}

    async def write(self, source, key: bytes, digests: Digests, limit: int, too_large) -> dict:
        """Consume `source` (an async iterator of bytes, or None) into a new segment encrypted
        under `key`: sealed whole (AES-GCM) in the metadata row when it is small, else streamed
        (AES-CTR) to a file. Raises too_large() past `limit` bytes.

        A large body is hashed, encrypted and written a batch at a time in a worker thread
        (hashlib and file writes release the GIL), overlapping with the receipt of the next
        batch on the event loop: at most two batches are held in memory."""
        held: list[bytes] = []
        held_size = received = 0
        spool: _Spool | None = None
        inflight = None
        loop = asyncio.get_running_loop()
        try:
            if source is not None:
                async for chunk in source:
                    received += len(chunk)
                    if received > limit:
                        raise too_large()
                    held.append(chunk)
                    held_size += len(chunk)
                    if held_size < _BATCH:
                        continue
                    if spool is None:
                        nonce = crypto.new_nonce()
                        spool = _Spool(self.tmp / uuid.uuid4().hex, crypto.encryptor(key, nonce), digests,
                                       self._spares)
                    elif inflight is not None:
                        await inflight
                    inflight = loop.run_in_executor(self.workers, spool.absorb, held)
                    held, held_size = [], 0
            if spool is None and held_size <= INLINE_MAX:
                data = b"".join(held) if len(held) != 1 else held[0]
                digests.update(data)
                return self.inline_segment(key, data)
            if spool is None:  # under a batch: buffers of its size when no recycled pair is free
                nonce = crypto.new_nonce()
                spool = _Spool(self.tmp / uuid.uuid4().hex, crypto.encryptor(key, nonce), digests, self._spares,
                               held_size)
            elif inflight is not None:
                await inflight
            file_id = uuid.uuid4().hex
            inflight = loop.run_in_executor(self.workers, spool.finish, held, self.durable, self._path(file_id))
            await inflight
            return {"size": digests.size, "nonce": nonce, "file": file_id}
        finally:
            if spool is not None and not spool.dropped:  # cut short
                if spool.lock.acquire(blocking=False):
                    try:
                        spool._drop()
                    finally:
                        spool.lock.release()
                else:  # a batch is still running in its thread: drop the spool right after it
                    try:
                        loop.run_in_executor(self.workers, spool.close)
                    except RuntimeError:  # the executor is shut down: start-up clears tmp/
                        pass

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
        aligned = lo - lo % crypto.BLOCK  # CTR decrypts from any block
        cipher = crypto.decryptor(key, segment["nonce"], aligned)
        skip = lo - aligned
        left = hi - aligned
        # The ciphertext is read into a recycled buffer and decrypted into another; each chunk
        # sent is then one new bytes object (the ASGI server may still hold a chunk after
        # send() returns), in steps of READ_CHUNK: few sends, each a flow-control round trip.
        plain, out = _buffers(self._spares, left)
        try:
            try:
                handle = open(self._path(segment["file"]), "rb", buffering=0)
            except FileNotFoundError:
                raise _missing_body() from None
            with handle:
                handle.seek(aligned)
                while left > 0:
                    got = handle.readinto(plain[:min(left, READ_CHUNK, len(plain))])
                    if not got:
                        raise _missing_body()
                    left -= got
                    size = cipher.update_into(plain[:got], out)
                    yield bytes(out[skip:size])
                    skip = 0
        finally:
            _recycle(self._spares, plain, out)

    def delete(self, segments: list[dict]) -> None:
        paths = [self._path(segment["file"]) for segment in segments if segment.get("file")]
        if not paths:
            return
        try:
            # Unlinking a large file frees its page cache: work for a thread, not the event loop.
            asyncio.get_running_loop().run_in_executor(None, _unlink, paths)
        except RuntimeError:  # no running loop (or it is shutting down): unlink here
            _unlink(paths)

    def clear(self) -> None:
        for child in self.root.iterdir():
            if child.is_dir() and child != self.tmp:
                shutil.rmtree(child, ignore_errors=True)
