"""The json protocol's request parser (awsJson 1.0 and 1.1: SQS, KMS, Logs, ECS, ...).

The body is one JSON object shaped like the input (an empty or blank body means {});
timestamps are epoch seconds (or text, per timestampFormat), blobs base64. See _doc.py for
the conversion, _docrequest.py for the rest.
"""

from __future__ import annotations

import json

from ._docrequest import make_parse

PROTOCOL = "json"

parse = make_parse(
    PROTOCOL,
    binary=False,
    decode=json.loads,
    decode_errors=(ValueError, RecursionError),
    format_name="JSON",
    blank_is_empty=True,
)
