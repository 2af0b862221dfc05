"""Decoding of `Content-Encoding: aws-chunked` request bodies (S3 streaming uploads).

SDKs send PutObject/UploadPart bodies in this framing when they sign per chunk
(x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) or put a checksum in a
trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER, x-amz-trailer: x-amz-checksum-crc32):

    hex-size[;chunk-signature=<sig>]\r\n <size bytes> \r\n      (repeated)
    0[;chunk-signature=<sig>]\r\n
    x-amz-checksum-crc32:<base64>\r\n ...                       (trailer lines, optional)
    x-amz-trailer-signature:<sig>\r\n                           (signed trailers only)
    \r\n

AwsChunkedStream wraps the raw BodyStream and yields the decoded data as it arrives (memory
stays bounded by one network read), fills `trailers` when the body ends, and checks the
declared checksum (trailer, else x-amz-checksum-* header) and the declared decoded length,
raising ServiceError from the read that hits the end, as S3 would answer. Checksums:
CRC32, SHA1 and SHA256 always; CRC32C and CRC64NVME when awscrt is installed.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import AsyncIterator, Callable
from functools import lru_cache

from .errors import ServiceError
from .http import BodyStream

MAX_LINE = 8192  # a chunk-size line or trailer line longer than this is not aws-chunked


def is_aws_chunked(headers: dict[str, str]) -> bool:
    """Whether the request body uses aws-chunked framing (lower-case header dict)."""
    encoding = headers.get("content-encoding")
    if encoding and "aws-chunked" in encoding:
        return True
    return headers.get("x-amz-content-sha256", "").startswith("STREAMING-")


def strip_aws_chunked(content_encoding: str) -> str | None:
    """Content-Encoding without the aws-chunked token (None when nothing is left), as S3
    stores it."""
    kept = [
        p.strip() for p in content_encoding.split(",") if p.strip() and p.strip() != "aws-chunked"
    ]
    return ",".join(kept) if kept else None


# --- checksums ----------------------------------------------------------------------------


class _Crc32:
    name = "CRC32"

    def __init__(self):
        self.value = 0

    def update(self, data):
        self.value = zlib.crc32(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(4, "big")


class _CrtCrc:
    def __init__(self, name: str, func, width: int):
        self.name = name
        self._func = func
        self._width = width
        self.value = 0

    def update(self, data):
        self.value = self._func(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(self._width, "big")


class _Hash:
    def __init__(self, name: str, algorithm: str):
        self.name = name
        self._hash = hashlib.new(algorithm)

    def update(self, data):
        self._hash.update(data)

    def digest(self) -> bytes:
        return self._hash.digest()


@lru_cache(maxsize=None)
def crc_function(name: str):
    """(awscrt's function, digest width) of a CRC only awscrt computes, or None."""
    try:
        from awscrt import checksums  # optional: botocore[crt]
    except ImportError:
        return None
    if name == "crc32c":
        return checksums.crc32c, 4
    if name == "crc64nvme" and hasattr(checksums, "crc64nvme"):
        return checksums.crc64nvme, 8
    return None


def _crt(name: str):
    found = crc_function(name)
    return None if found is None else lambda: _CrtCrc(name.upper(), *found)


# hashlib's name of each hash S3 takes as an additional checksum (the CRCs are below).
_HASHLIB = {"sha1": "sha1", "sha256": "sha256", "sha512": "sha512", "md5": "md5"}
# awscrt's constructor of each xxHash S3 takes (x-amz-checksum-xxhash64/-xxhash3/-xxhash128).
_XXHASH = {"xxhash64": "new_xxhash64", "xxhash3": "new_xxhash3_64", "xxhash128": "new_xxhash3_128"}


class _XXHash:
    def __init__(self, name: str, made):
        self.name = name
        self._hash = made

    def update(self, data):
        self._hash.update(data)

    def digest(self) -> bytes:
        return self._hash.finalize()


def _xxhash(algorithm: str):
    try:
        from awscrt.checksums import XXHash  # botocore[crt]'s, as for CRC32C and CRC64NVME
    except ImportError:
        return None
    new = getattr(XXHash, _XXHASH[algorithm], None)
    return None if new is None else _XXHash(algorithm.upper(), new())


def checksum_for(header_name: str):
    """A fresh hasher for an x-amz-checksum-<algorithm> header, or None if unsupported."""
    algorithm = header_name[len("x-amz-checksum-") :]
    if algorithm == "crc32":
        return _Crc32()
    if algorithm in _HASHLIB:
        return _Hash(algorithm.upper(), _HASHLIB[algorithm])
    if algorithm in _XXHASH:
        return _xxhash(algorithm)
    factory = _crt(algorithm)
    return factory() if factory else None


# --- decoding -----------------------------------------------------------------------------


def _incomplete() -> ServiceError:
    return ServiceError("IncompleteBody", "The request body terminated unexpectedly", 400)


def _invalid_framing(detail: str) -> ServiceError:
    return ServiceError("InvalidRequest", f"Invalid aws-chunked request body: {detail}", 400)


def _malformed_trailer(detail: str) -> ServiceError:
    return ServiceError(
        "MalformedTrailerError",
        f"The request contained trailing data that was not well-formed or did not conform to "
        f"our published schema. ({detail})",
        400,
    )


class _Reader:
    """Buffered reads of framing lines and data slices from an async byte iterator."""

    __slots__ = ("_it", "buf", "eof", "pos")

    def __init__(self, source):
        self._it = source.__aiter__()
        self.buf = b""
        self.pos = 0
        self.eof = False

    async def _fill(self) -> bool:
        """Append one more network read to the unread buffer; False at the end."""
        if self.eof:
            return False
        while True:
            try:
                chunk = await self._it.__anext__()
            except StopAsyncIteration:
                self.eof = True
                return False
            if chunk:
                break
        if self.pos >= len(self.buf):
            self.buf = bytes(chunk)
        else:
            self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    async def line(self, allow_eof: bool = False) -> bytes | None:
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line = self.buf[self.pos : end]
                self.pos = end + 2
                return line
            if len(self.buf) - self.pos > MAX_LINE:
                raise _invalid_framing("chunk header line too long")
            if not await self._fill():
                if allow_eof:
                    rest = self.buf[self.pos :]
                    self.pos = len(self.buf)
                    return rest if rest else None
                raise _incomplete()

    async def take(self, n: int) -> bytes:
        """Up to n bytes (at least one) of data."""
        if self.pos >= len(self.buf) and not await self._fill():
            raise _incomplete()
        buf, pos = self.buf, self.pos
        end = pos + n
        if pos == 0 and end >= len(buf):
            self.pos = len(buf)
            return buf
        piece = buf[pos:end]
        self.pos = pos + len(piece)
        return piece

    async def drain(self) -> bool:
        """Drop what is buffered and read one more piece; False at the end."""
        self.pos = len(self.buf)
        return await self._fill()

    async def expect_crlf(self) -> None:
        while len(self.buf) - self.pos < 2:
            if not await self._fill():
                raise _incomplete()
        if self.buf[self.pos : self.pos + 2] != b"\r\n":
            raise _invalid_framing("chunk data is not followed by CRLF")
        self.pos += 2


class AwsChunkedStream(BodyStream):
    """The decoded body of an aws-chunked request, as a BodyStream.

    source        the raw (still framed) body
    headers       the request's lower-case headers (x-amz-trailer,
                  x-amz-decoded-content-length, x-amz-checksum-*)
    verify_chunk  optional callable(signature, sha256_hex_of_chunk_data) called for each
                  signed chunk (the final empty one too); may raise SignatureDoesNotMatch
    verify_trailer optional callable(signature, trailer_lines_bytes) for a signed trailer

    After the stream is read to its end: `trailers` holds the trailer headers (lower-case
    names), `trailer_signature` the x-amz-trailer-signature if sent.
    """

    def __init__(
        self,
        source: BodyStream | AsyncIterator[bytes],
        headers: dict[str, str],
        verify_chunk: Callable[[str, str], None] | None = None,
        verify_trailer: Callable[[str, bytes], None] | None = None,
    ):
        declared = headers.get("x-amz-decoded-content-length")
        try:
            length = int(declared) if declared is not None else None
        except ValueError:
            raise ServiceError(
                "InvalidArgument", "x-amz-decoded-content-length must be an integer", 400
            ) from None
        self.trailers: dict[str, str] = {}
        self.trailer_signature: str | None = None
        self._declared_trailers = [
            t.strip().lower() for t in headers.get("x-amz-trailer", "").split(",") if t.strip()
        ]
        # The checksum to verify: declared as a trailer, else sent as a plain header.
        self._checksum_header = None
        self._header_checksum_value = None
        for name in self._declared_trailers:
            if name.startswith("x-amz-checksum-"):
                self._checksum_header = name
                break
        else:
            for name, value in headers.items():
                if name.startswith("x-amz-checksum-") and name != "x-amz-checksum-type":
                    self._checksum_header = name
                    self._header_checksum_value = value
                    break
        self._verify_chunk = verify_chunk
        self._verify_trailer = verify_trailer
        super().__init__(self._decode(source), length)

    async def _decode(self, source):
        reader = _Reader(source)
        hasher = checksum_for(self._checksum_header) if self._checksum_header else None
        verify_chunk = self._verify_chunk
        total = 0
        while True:
            line = await reader.line()
            size_text, _, extensions = line.partition(b";")
            try:
                size = int(size_text.strip(), 16)
            except ValueError:
                raise _invalid_framing(f"bad chunk size {size_text[:20]!r}") from None
            if size < 0:
                raise _invalid_framing("negative chunk size")
            signature = _chunk_signature(extensions)
            chunk_hash = hashlib.sha256() if verify_chunk and signature is not None else None
            if size == 0:
                if chunk_hash is not None:
                    verify_chunk(signature, chunk_hash.hexdigest())
                break
            remaining = size
            while remaining:
                piece = await reader.take(remaining)
                remaining -= len(piece)
                total += len(piece)
                if hasher is not None:
                    hasher.update(piece)
                if chunk_hash is not None:
                    chunk_hash.update(piece)
                yield piece
            await reader.expect_crlf()
            if chunk_hash is not None:
                verify_chunk(signature, chunk_hash.hexdigest())
        await self._read_trailers(reader)
        # Consume the source to its end so the raw stream reports itself exhausted (the
        # gateway checks that before reusing the connection); bytes after the framing are
        # ignored.
        while await reader.drain():
            pass
        self._finish(total, hasher)

    async def _read_trailers(self, reader: _Reader) -> None:
        raw_lines = []
        while True:
            line = await reader.line(allow_eof=True)
            if not line:  # blank line ends the trailer; so does the end of the body
                break
            name, sep, value = line.partition(b":")
            if not sep:
                raise _malformed_trailer(f"trailer line without a colon: {line[:40]!r}")
            try:
                key = name.strip().decode("ascii").lower()
                text = value.strip().decode("ascii")
            except UnicodeDecodeError:
                raise _malformed_trailer("trailer is not ASCII") from None
            if key == "x-amz-trailer-signature":
                self.trailer_signature = text
            else:
                self.trailers[key] = text
                raw_lines.append(line + b"\n")
        if self.trailer_signature is not None and self._verify_trailer is not None:
            self._verify_trailer(self.trailer_signature, b"".join(raw_lines))

    def _finish(self, total: int, hasher) -> None:
        if self.length is not None and total != self.length:
            raise ServiceError(
                "IncompleteBody",
                f"The decoded body is {total} bytes but x-amz-decoded-content-length declared "
                f"{self.length}",
                400,
            )
        for name in self._declared_trailers:
            if name not in self.trailers:
                raise _malformed_trailer(f"the declared trailer {name} was not sent")
        if self._checksum_header is None:
            return
        expected = self.trailers.get(self._checksum_header, self._header_checksum_value)
        if expected is None or hasher is None:
            return  # unsupported algorithm (CRC32C/CRC64NVME without awscrt): not verified
        try:
            expected_digest = base64.b64decode(expected, validate=True)
        except ValueError:
            expected_digest = None
        actual = hasher.digest()
        if expected_digest is None or len(expected_digest) != len(actual):
            raise ServiceError(
                "InvalidRequest",
                f"Value for {self._checksum_header} trailing header is invalid.",
                400,
            )
        if expected_digest != actual:
            raise ServiceError(
                "BadDigest",
                f"The {hasher.name} you specified did not match the calculated checksum.",
                400,
            )


def _chunk_signature(extensions: bytes) -> str | None:
    if not extensions:
        return None
    for part in extensions.split(b";"):
        name, _, value = part.partition(b"=")
        if name.strip() == b"chunk-signature":
            return value.strip().decode("ascii", "replace")
    return None


def _drive(awaitable):
    """Run a coroutine that never truly suspends (its source is in memory) to completion."""
    try:
        awaitable.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("aws-chunked decoding of an in-memory body suspended")


def decode_bytes(body: bytes, headers: dict[str, str], **verifiers) -> tuple[bytes, dict[str, str]]:
    """Decode a whole aws-chunked body held in memory: (data, trailers). Same checks."""
    stream = AwsChunkedStream(BodyStream.from_bytes(body), headers, **verifiers)
    return _drive(stream.read()), stream.trailers
