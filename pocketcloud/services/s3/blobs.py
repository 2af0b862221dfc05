"""Object bodies on disk: streamed in, encrypted, written to a temp file, fsynced, renamed.

A stored body is a list of segments (one for a PUT, one per part after a multipart upload, so
completing an upload moves no data). A segment is {"size", "nonce", "file"} with "file" a
random id (never a client-supplied name) and the body AES-CTR encrypted (streamable, range
readable), or {"size", "inline"} for small bodies sealed whole with AES-GCM and kept in the
metadata row: a 1 KiB object costs no file and no cipher set-up beyond one AEAD call.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import hashlib
import os
import shutil
import sys
import tempfile
import threading
import uuid
from pathlib import Path

from ...protocol.errors import ServiceError
from . import crypto

INLINE_MAX = 8 * 1024  # encrypted bodies up to this size live in the metadata row
_BATCH = 1024 * 1024  # the recycled buffers: a large body is written (os.write) this much at a time
READ_CHUNK = _BATCH  # plaintext bytes per chunk of a streamed GET (at most a buffer's size)
_SPARE_BUFFERS = 6  # buffer pairs of finished uploads and reads kept for the next ones
# An upload's chunks queued for its worker: the event loop waits past HIGH, until LOW.
_QUEUE_HIGH = 2 * _BATCH
_QUEUE_LOW = _BATCH
# Upload threads run this much nicer than the event loop thread (Linux: per thread), which
# receives every upload's bytes: it should never wait for a core behind bulk hashing. (3-5
# beat 0, 7 and 10 in A/B rounds; see bench/README.md.)
_WORKER_NICENESS = 3


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


_END = object()  # queued after a body's last chunk: finish the file


def _wake(waiter: asyncio.Future, error: BaseException | None) -> None:
    if not waiter.done():
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(error)


class _Spool:
    """A large body on its way to disk: chunks queued by the event loop as they arrive, then
    hashed, encrypted and written in order by one worker thread at a time.

    A worker drains the queue for as long as chunks keep coming, so a steady upload costs a
    thread hop only when its worker had caught up, and its last chunk is worked on moments
    after it arrives instead of after a whole batch has gathered. The event loop waits only
    when more than _QUEUE_HIGH bytes are queued (memory stays bounded whatever the body's
    size), until the worker is down to _QUEUE_LOW; each wait is one wake-up from the worker.

    Each chunk is hashed (MD5 and the checksum: hashlib releases the GIL) and encrypted
    (AES-CTR `update_into`) straight into a recycled ciphertext buffer, written out (os.write
    on the raw fd) whenever it fills: no copy of the plaintext. Recycled, because a fresh large
    buffer is mmapped by malloc and page-faults all of its pages on first touch, which here
    costs more than the AES itself. An upload cut short (an error, a cancelled request) drops
    the spool: the file and buffer go at once when no worker holds them, else right after the
    chunk that worker is on.
    """

    __slots__ = ("path", "fd", "cipher", "digests", "plain", "view", "pos", "spares", "loop", "workers", "mutex",
                 "queue", "queued", "draining", "room", "done", "error", "dropped", "finished", "durable", "final")

    def __init__(self, path: Path, cipher, digests: "Digests", spares: list, workers, size: int = _BATCH):
        self.path = path
        self.fd: int | None = None
        self.cipher = cipher
        self.digests = digests
        self.plain, self.view = _buffers(spares, size)  # `plain` unused: the pair is recycled whole
        self.spares = spares
        self.pos = 0
        self.loop = asyncio.get_running_loop()
        self.workers = workers
        self.mutex = threading.Lock()  # guards the fields below, shared with the worker
        self.queue: collections.deque = collections.deque()
        self.queued = 0  # bytes queued and not yet written
        self.draining = False  # a worker has the queue (or is about to)
        self.room: asyncio.Future | None = None  # the event loop waiting for room in the queue
        self.done: asyncio.Future | None = None  # ... or for the file to be finished
        self.error: BaseException | None = None
        self.dropped = False
        self.finished = False
        self.durable = False
        self.final: Path | None = None

    # -- the event loop's side ------------------------------------------------------------------
    def feed(self, chunk) -> asyncio.Future | None:
        """Queue a chunk; returns a future to await before the next one when the queue is full."""
        with self.mutex:
            if self.error is not None:
                raise self.error
            self.queue.append(chunk)
            self.queued += len(chunk)
            start = not self.draining
            self.draining = True
            room = None
            if self.queued > _QUEUE_HIGH:
                room = self.room = self.loop.create_future()
        if start:
            self.workers.submit(self._drain)
        return room

    def finish(self, durable: bool, final: Path) -> asyncio.Future:
        """After the last chunk: a future that completes once the file is whole (fsynced when
        durable) and renamed to `final`, or fails with the worker's error."""
        with self.mutex:
            if self.error is not None:
                raise self.error
            self.durable, self.final = durable, final
            self.queue.append(_END)
            done = self.done = self.loop.create_future()
            start = not self.draining
            self.draining = True
        if start:
            self.workers.submit(self._drain)
        return done

    def drop(self) -> None:
        """Give up the upload (unless it finished): the temp file is removed, the buffers recycled,
        now or, when a worker is on a chunk, by that worker right after it."""
        with self.mutex:
            if self.dropped or self.finished:
                return
            self.dropped = True
            self.queue.clear()
            busy = self.draining
        if not busy:
            self._release()

    # -- the worker's side ----------------------------------------------------------------------
    def _drain(self) -> None:
        while True:
            with self.mutex:
                if self.dropped or not self.queue:
                    self.draining = False
                    dropped = self.dropped
                    break
                chunk = self.queue.popleft()
            try:
                if chunk is _END:
                    self._complete()
                else:
                    self._absorb(chunk)
            except BaseException as exc:  # noqa: BLE001 - handed to the event loop, which raises it
                with self.mutex:
                    self.error = exc
                    self.dropped = True
                    self.draining = False
                    self.queue.clear()
                    waiters = (self.room, self.done)
                    self.room = self.done = None
                self._release()
                for waiter in waiters:
                    if waiter is not None:
                        self._signal(waiter, exc)
                return
            with self.mutex:
                if chunk is _END:
                    self.finished = True
                    self.draining = False
                    if self.dropped:  # cut short while the file was being finished: nobody will index it
                        _unlink([self.final])
                    waiter, self.done = self.done, None
                else:
                    self.queued -= len(chunk)
                    waiter = self.room if self.queued <= _QUEUE_LOW else None
                    if waiter is not None:
                        self.room = None
            if waiter is not None:
                self._signal(waiter, None)
            if chunk is _END:
                return
        if dropped:
            self._release()

    def _signal(self, waiter: asyncio.Future, error: BaseException | None) -> None:
        try:
            self.loop.call_soon_threadsafe(_wake, waiter, error)
        except RuntimeError:  # the loop is closed (shutting down): nobody waits any more
            pass

    def _absorb(self, chunk) -> None:
        if self.fd is None:
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        digests, cipher = self.digests, self.cipher
        size = len(chunk)
        digests.size += size
        digests.md5.update(chunk)  # hashlib releases the GIL for the whole chunk
        for hasher in digests.checksums:
            hasher.update(chunk)
        out, pos = self.view, self.pos
        room = len(out) - crypto.BLOCK  # update_into wants len(data) + 15 bytes of room
        if pos + size <= room:
            self.pos = pos + cipher.update_into(chunk, out[pos:])
            return
        whole, done = memoryview(chunk), 0
        while done < size:
            if pos == room:
                self._write(pos)
                pos = 0
            take = min(size - done, room - pos)
            pos += cipher.update_into(whole[done:done + take], out[pos:])
            done += take
        self.pos = pos

    def _write(self, size: int) -> None:
        view, fd, done = self.view, self.fd, 0
        while done < size:
            done += os.write(fd, view[done:size])

    def _complete(self) -> None:
        if self.fd is None:  # an empty spool (a body that ended at once): still a file
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        self._write(self.pos)
        self.pos = 0
        self.cipher.finalize()  # CTR holds nothing back: this only closes the cipher
        if self.durable:
            os.fsync(self.fd)
        os.close(self.fd)
        self.fd = None
        final = self.final
        final.parent.mkdir(exist_ok=True)
        os.replace(self.path, final)
        if self.durable:
            fd = os.open(final.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _recycle(self.spares, self.plain, self.view)

    def _release(self) -> None:
        """Close and remove the temp file, recycle the buffers (once no worker is on them)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        self.path.unlink(missing_ok=True)  # also after a finish that failed past closing it
        _recycle(self.spares, self.plain, self.view)


def _yield_to_loop() -> None:
    """Make the calling upload thread nicer than the rest of the process (see _WORKER_NICENESS).
    Only on Linux, where a thread has a niceness of its own (elsewhere PRIO_PROCESS would name
    the whole process); nothing where the system refuses."""
    if not sys.platform.startswith("linux"):
        return
    try:
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + _WORKER_NICENESS))
    except OSError:
        pass


def _incomplete_body() -> ServiceError:
    return ServiceError("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length "
                        "HTTP header.", 400)


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
        # Hashing and encrypting uploads: one thread per core and one more, all niced below the
        # event loop thread that receives their bytes, so that they use every core the loop
        # leaves without ever keeping it waiting (un-niced, the default executor's 6 threads
        # took ~10% off 8 MiB PUTs at 4 connections on 2 cores; niced, one thread more than
        # cores gained ~4% over one per core).
        self.workers = concurrent.futures.ThreadPoolExecutor((os.cpu_count() or 2) + 1, thread_name_prefix="s3-body",
                                                             initializer=_yield_to_loop)
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

        A large body goes to a _Spool as it arrives: hashed, encrypted and written in a worker
        thread while the event loop receives what follows, with a bounded queue between them."""
        held: list[bytes] = []
        held_size = received = 0
        spool: _Spool | None = None
        try:
            if source is not None:
                async for chunk in source:
                    received += len(chunk)
                    if received > limit:
                        raise too_large()
                    if spool is not None:
                        room = spool.feed(chunk)
                        if room is not None:
                            await room
                        continue
                    held.append(chunk)
                    held_size += len(chunk)
                    if held_size > INLINE_MAX:
                        nonce = crypto.new_nonce()
                        spool = self._spool(key, nonce, digests, _BATCH)
                        for piece in held:
                            spool.feed(piece)
                        held = []
                declared = getattr(source, "length", None)
                if declared is not None and received < declared:  # the client went away mid-body
                    raise _incomplete_body()
            if spool is None and held_size <= INLINE_MAX:
                data = b"".join(held) if len(held) != 1 else held[0]
                digests.update(data)
                return self.inline_segment(key, data)
            if spool is None:  # a single chunk past INLINE_MAX: buffers of its size unless recycled
                nonce = crypto.new_nonce()
                spool = self._spool(key, nonce, digests, held_size)
                for piece in held:
                    spool.feed(piece)
            file_id = uuid.uuid4().hex
            await spool.finish(self.durable, self._path(file_id))
            return {"size": digests.size, "nonce": nonce, "file": file_id}
        finally:
            if spool is not None:
                spool.drop()  # nothing when it finished; else the upload was cut short

    def _spool(self, key: bytes, nonce: bytes, digests: Digests, size: int) -> _Spool:
        return _Spool(self.tmp / uuid.uuid4().hex, crypto.encryptor(key, nonce), digests, self._spares, self.workers,
                      size)

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
        if len(segments) == 1 and "file" not in segments[0]:  # a small body, sealed in its row: no file
            return
        paths = [self._path(segment["file"]) for segment in segments if segment.get("file")]
        if not paths:
            return
        try:
            # Unlinking a large file frees its page cache: work for a thread, not the event loop
            # (one of the niced upload threads, so that it does not compete with the loop either).
            asyncio.get_running_loop().run_in_executor(self.workers, _unlink, paths)
        except RuntimeError:  # no running loop (or it is shutting down): unlink here
            _unlink(paths)

    def clear(self) -> None:
        for child in self.root.iterdir():
            if child.is_dir() and child != self.tmp:
                shutil.rmtree(child, ignore_errors=True)
