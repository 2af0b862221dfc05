"""Additional checksums (x-amz-checksum-*): which one a request asks for, computing them while
the body streams, checking the client's value, and the multipart forms (composite "-N", and
full-object CRCs combined from the parts' CRCs)."""

from __future__ import annotations

import base64
from binascii import b2a_base64

from ...protocol.aws_chunked import checksum_for, crc_function
from ...protocol.errors import ServiceError

ALGORITHMS = ("CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME", "SHA512", "MD5", "XXHASH64", "XXHASH3", "XXHASH128")
PARAM = {alg: "Checksum" + alg for alg in ALGORITHMS}
_PARAM_NAMES = frozenset(PARAM.values())
# S3 computes this one for objects uploaded without a checksum.
DEFAULT = "CRC64NVME"
_CRC_WIDTH = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8}


_HEADERS = {alg: "x-amz-checksum-" + alg.lower() for alg in ALGORITHMS}


def _header(algorithm: str) -> str:
    return _HEADERS.get(algorithm) or "x-amz-checksum-" + algorithm.lower()


def hasher(algorithm: str):
    made = checksum_for(_header(algorithm))
    if made is None:  # CRC32C/CRC64NVME need awscrt (a dependency): only missing in odd installs
        raise ServiceError("InvalidRequest", f"Checksum algorithm {algorithm} is not supported here", 400)
    return made


_CRCS: dict[str, tuple | None] = {}  # algorithm -> (awscrt function, width) or None: crc_function's answers


def of(algorithm: str, data: bytes) -> str:
    """The checksum of a whole body, encoded as S3 answers it."""
    crc = _CRCS.get(algorithm, False)
    if crc is False:  # algorithms are ALGORITHMS' names (requested() refuses others): few, all kept
        crc = _CRCS[algorithm] = crc_function(algorithm.lower())
    if crc is not None:  # S3's default CRC64NVME (on every PUT) and CRC32C: one call, no hasher
        function, width = crc
        return encode(function(data, 0).to_bytes(width, "big"))
    made = hasher(algorithm)  # an unsupported one refused as for a streamed body
    made.update(data)
    return encode(made.digest())


def requested(params: dict, headers: dict | None = None) -> tuple[str | None, str | None]:
    """(algorithm, value sent) of a request: a ChecksumXXX value (header or trailer), else
    the ChecksumAlgorithm asked for (value computed by us), else (None, None)."""
    if not _PARAM_NAMES.isdisjoint(params):
        for alg in ALGORITHMS:
            value = params.get(PARAM[alg])
            if value is not None:
                return alg, value
    trailer = headers.get("x-amz-trailer") if headers else None
    if trailer:
        trailer = trailer.strip().lower()
        if trailer.startswith("x-amz-checksum-"):
            alg = trailer[len("x-amz-checksum-"):].upper()
            if alg in ALGORITHMS:
                return alg, None  # the value arrives after the body (body.trailers)
    alg = params.get("ChecksumAlgorithm")
    if alg is not None:
        alg = alg.upper()
        if alg not in ALGORITHMS:
            raise ServiceError("InvalidRequest", "Checksum algorithm provided is unsupported. Please try again "
                               f"with any of the valid types: [{', '.join(ALGORITHMS)}]", 400)
        return alg, None
    return None, None


def encode(digest: bytes) -> str:
    return b2a_base64(digest, newline=False).decode("ascii")


def check(algorithm: str, sent: str | None, computed: str) -> None:
    if sent is None or sent == computed:
        return
    try:
        raw = base64.b64decode(sent, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != len(base64.b64decode(computed)):
        raise ServiceError("InvalidRequest", f"Value for x-amz-checksum-{algorithm.lower()} header is invalid.", 400)
    raise ServiceError("BadDigest", f"The {algorithm} you specified did not match the calculated checksum.", 400)


def composite(algorithm: str, part_values: list[str]) -> str:
    """The checksum of the concatenated part checksums, with "-N" (COMPOSITE multipart)."""
    h = hasher(algorithm)
    for value in part_values:
        h.update(base64.b64decode(value))
    return f"{encode(h.digest())}-{len(part_values)}"


def combine(algorithm: str, parts: list[tuple[str, int]]) -> str:
    """The whole object's CRC from its parts' CRCs and sizes (FULL_OBJECT multipart)."""
    from awscrt import checksums as crt

    join = {"CRC32": crt.combine_crc32, "CRC32C": crt.combine_crc32c, "CRC64NVME": crt.combine_crc64nvme}[algorithm]
    total = 0
    for value, size in parts:
        total = join(total, int.from_bytes(base64.b64decode(value), "big"), size)
    return encode(total.to_bytes(_CRC_WIDTH[algorithm], "big"))


def is_crc(algorithm: str) -> bool:
    return algorithm in _CRC_WIDTH
