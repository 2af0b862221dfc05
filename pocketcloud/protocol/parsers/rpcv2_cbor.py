"""The smithy-rpc-v2-cbor protocol's request parser (CloudWatch, Snowball).

POST /service/<Service>/operation/<Operation> with a CBOR map shaped like the input (an
empty body means {}); timestamps are tag-1 epoch values, blobs byte strings.
"""

from __future__ import annotations

import cbor2

from ._docrequest import make_parse

PROTOCOL = "smithy-rpc-v2-cbor"


# Value sharing (tags 28/29) lets a few bytes name one container many times: a 200-byte body
# decodes to a map key whose hash walks 2**30 tuples, or to lists that conversion and
# validation walk billions of times, blocking the server. Smithy RPC v2 clients never share
# values, so cbor2 is told to refuse the two tags while decoding.
def _refuse_sharing(*_args):
    raise ValueError("shared values are not supported")


_SEMANTIC = {28: _refuse_sharing, 29: _refuse_sharing}
_loads = cbor2.loads


def _decode(body: bytes):
    return _loads(body, semantic_decoders=_SEMANTIC)


parse = make_parse(
    PROTOCOL,
    binary=True,
    decode=_decode,
    decode_errors=(cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError, EOFError),
    format_name="CBOR",
    blank_is_empty=False,
)
