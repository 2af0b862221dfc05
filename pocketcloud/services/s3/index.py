"""S3's own tables in the store's SQLite database: object versions, multipart uploads, parts.

The generic resource table cannot list a bucket's current keys in order in a few milliseconds,
nor keep versions apart, so objects get a table of their own, with the columns listings need
(key, size, ETag, time, class) outside the document (MessagePack; see _decode). Its primary key
orders it by (bucket, key, version sequence): a listing reads that index in order, and every
lookup (a key's current version, a version id) is a prefix of it. It is an ordinary rowid table
rather than WITHOUT ROWID: a row carries its document (with a small body sealed inside), and a
WITHOUT ROWID b-tree spills rows past ~1 KB to overflow pages, which made a 1 KiB PUT's insert
twice as dear. SQLite compares TEXT with memcmp on UTF-8, which is exactly S3's key order
(UTF-8 binary).
"""

from __future__ import annotations

import msgspec

from ...core.bounded import remember
from ...core.store import _decode as _decode_cbor

# S3's object documents (a row per version, upload and part) are MessagePack, through msgspec:
# every PUT encodes one and every cold GET decodes one, and msgspec does either for a quarter
# to a third of what CBOR (cbor2, the store's format) costs: a tenth of a 1 KiB PUT's CPU.
# Rows written before are CBOR, told apart by their first byte: a CBOR map starts with
# 0xa0-0xbf, a MessagePack map with 0x80-0x8f, 0xde or 0xdf. (Times are epochs, but for a
# standard Expires header: a UTC datetime, which MessagePack's timestamp keeps as it is.)
_encoder = msgspec.msgpack.Encoder()
_decode_msgpack = msgspec.msgpack.Decoder().decode


def _encode(meta: dict) -> bytearray:
    # A bytearray, not bytes: Python's sqlite3 binds a bytearray as it is, but looks for an
    # adapter for every bytes parameter (a failed attribute lookup whose AttributeError is
    # formatted and dropped: ~3k instructions, a tenth of the UPDATE a PUT makes).
    buffer = bytearray()
    _encoder.encode_into(meta, buffer)
    return buffer


def _decode(raw: bytes) -> dict:
    return _decode_cbor(raw) if 0xa0 <= raw[0] <= 0xbf else _decode_msgpack(raw)


_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS s3_objects (
        bucket TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, version_id TEXT NOT NULL,
        latest INTEGER NOT NULL, marker INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
        modified REAL NOT NULL, storage_class TEXT NOT NULL, checksum TEXT, meta BLOB NOT NULL,
        PRIMARY KEY (bucket, key, seq))""",
    """CREATE TABLE IF NOT EXISTS s3_uploads (
        upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, initiated REAL NOT NULL,
        meta BLOB NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS s3_uploads_bucket ON s3_uploads (bucket, key, initiated)",
    # Partial: only Intelligent-Tiering rows are in it (the daily tiering pass reads them), so a
    # write of any other class pays no index update.
    """CREATE INDEX IF NOT EXISTS s3_objects_tiered ON s3_objects (bucket, key, seq)
        WHERE storage_class='INTELLIGENT_TIERING'""",
    """CREATE TABLE IF NOT EXISTS s3_parts (
        upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, meta BLOB NOT NULL,
        PRIMARY KEY (upload_id, part_number))""",
)

_COLUMNS = "key, seq, version_id, latest, marker, size, etag, modified, storage_class, checksum"
_SUMMARY = ("key", "seq", "version_id", "latest", "marker", "size", "etag", "modified", "storage_class",
            "checksum")


class Version:
    """One row of s3_objects: the listing columns, and the full document when asked for."""

    __slots__ = _SUMMARY + ("meta",)

    def __init__(self, row, meta=None):
        (self.key, self.seq, self.version_id, self.latest, self.marker, self.size, self.etag, self.modified,
         self.storage_class, self.checksum) = row[:10]
        self.meta = _decode(row[10]) if len(row) > 10 else meta


_CACHED = 1024  # documents of current versions kept in memory (bodies up to blobs.INLINE_MAX each)


class ObjectIndex:
    def __init__(self, store):
        self.store = store
        self._latest: dict[tuple[str, str], Version] = {}
        self._db = store._db  # S3's tables live in the store's database and transactions
        self._writer = store._writer  # its cursor for statements that return no rows
        self._lock = store._lock
        with self._lock:
            for statement in _SCHEMA:
                self._db.execute(statement)

    def forget_cached(self) -> None:
        self._latest.clear()

    def _all(self, sql: str, args: tuple) -> list:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _one(self, sql: str, args: tuple):
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _run(self, sql: str, args: tuple) -> int:
        with self._lock:
            return self._writer.execute(sql, args).rowcount

    # -- reads ------------------------------------------------------------------------------------
    def latest(self, bucket: str, key: str) -> Version | None:
        """The key's newest version (possibly a delete marker), document included. The last
        thousand or so answers are remembered (every write goes through this class and forgets
        its key), so a hot object costs no query and no decoding."""
        cache_key = (bucket, key)
        found = self._latest.get(cache_key)
        if found is not None:
            return found
        row = self._one(f"SELECT {_COLUMNS}, meta FROM s3_objects WHERE bucket=? AND key=? AND latest=1",
                        (bucket, key))
        if row is None:
            return None
        found = Version(row)
        remember(self._latest, cache_key, found, _CACHED)
        return found

    def _forget(self, bucket: str, key: str | None = None) -> None:
        if key is None:
            self._latest.clear()
        else:
            self._latest.pop((bucket, key), None)

    def version(self, bucket: str, key: str, version_id: str) -> Version | None:
        row = self._one(f"SELECT {_COLUMNS}, meta FROM s3_objects WHERE bucket=? AND key=? AND version_id=?",
                        (bucket, key, version_id))
        return None if row is None else Version(row)

    def current_page(self, bucket: str, start: str, inclusive: bool, limit: int, prefix: str = "") -> list[Version]:
        """Current (non-marker) versions with key >= start (or > start), in key order."""
        op = ">=" if inclusive else ">"
        if prefix and prefix > start:
            start, op = prefix, ">="
        rows = self._all(
            f"SELECT {_COLUMNS} FROM s3_objects WHERE bucket=? AND latest=1 AND marker=0 AND key {op} ?"
            " ORDER BY key LIMIT ?", (bucket, start, limit))
        return [Version(r) for r in rows]

    def versions_page(self, bucket: str, start_key: str, start_seq: int | None, limit: int) -> list[Version]:
        """Every version (markers too) from (start_key, versions older than start_seq), key
        order then newest first."""
        if start_seq is None:
            rows = self._all(f"SELECT {_COLUMNS} FROM s3_objects WHERE bucket=? AND key >= ?"
                             " ORDER BY key, seq DESC LIMIT ?", (bucket, start_key, limit))
        else:
            rows = self._all(f"SELECT {_COLUMNS} FROM s3_objects WHERE bucket=? AND"
                             " ((key = ? AND seq < ?) OR key > ?) ORDER BY key, seq DESC LIMIT ?",
                             (bucket, start_key, start_seq, start_key, limit))
        return [Version(r) for r in rows]

    def key_versions(self, bucket: str, key: str) -> list[Version]:
        rows = self._all(f"SELECT {_COLUMNS}, meta FROM s3_objects WHERE bucket=? AND key=? ORDER BY seq DESC",
                         (bucket, key))
        return [Version(r) for r in rows]

    def all_versions(self, bucket: str) -> list[Version]:
        """Every version with its document (lifecycle passes)."""
        rows = self._all(f"SELECT {_COLUMNS}, meta FROM s3_objects WHERE bucket=? ORDER BY key, seq DESC",
                         (bucket,))
        return [Version(r) for r in rows]

    def intelligent_tiering(self) -> list[tuple[str, Version]]:
        """(bucket, version with its document) of every version in INTELLIGENT_TIERING (the
        tiering pass; read through the partial index s3_objects_tiered)."""
        rows = self._all(f"SELECT bucket, {_COLUMNS}, meta FROM s3_objects"
                         " WHERE storage_class='INTELLIGENT_TIERING'", ())
        return [(r[0], Version(r[1:])) for r in rows]

    def is_empty(self, bucket: str) -> bool:
        return self._one("SELECT 1 FROM s3_objects WHERE bucket=? LIMIT 1", (bucket,)) is None and \
            self._one("SELECT 1 FROM s3_uploads WHERE bucket=? LIMIT 1", (bucket,)) is None

    # -- writes -----------------------------------------------------------------------------------
    def add(self, bucket: str, key: str, version_id: str, meta: dict, replace_null: bool) -> list[dict]:
        """Make a new newest version; with replace_null the key's "null" version (if any) is
        replaced. Returns the documents of the versions removed (their bodies are the caller's
        to delete, after this commits)."""
        self._forget(bucket, key)
        removed = []
        with self.store.transaction():
            db = self._db
            if replace_null:
                row = db.execute("SELECT seq, meta FROM s3_objects WHERE bucket=? AND key=? AND version_id='null'",
                                 (bucket, key)).fetchone()
                if row is not None:
                    removed.append(_decode(row[1]))
                    db.execute("DELETE FROM s3_objects WHERE bucket=? AND key=? AND seq=?", (bucket, key, row[0]))
            write = self._writer.execute
            write("UPDATE s3_objects SET latest=0 WHERE bucket=? AND key=? AND latest=1", (bucket, key))
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM s3_objects WHERE bucket=? AND key=?",
                             (bucket, key)).fetchone()[0]
            write("INSERT INTO s3_objects VALUES (?,?,?,?,1,?,?,?,?,?,?,?)",
                  (bucket, key, seq, version_id, 1 if meta.get("marker") else 0, meta.get("size", 0),
                   meta.get("etag", ""), meta["modified"], meta.get("storage_class", "STANDARD"),
                   meta.get("checksum_algorithm"), _encode(meta)))
        return removed

    def put_only_version(self, bucket: str, key: str, meta: dict) -> list[dict]:
        """add() for a bucket that never had versioning: each key has one row (seq 1, "null"),
        replaced in one statement. Returns the replaced document, if any."""
        cache_key = (bucket, key)
        old = self._latest.pop(cache_key, None)
        row = (key, 1, "null", 1, 1 if meta.get("marker") else 0, meta.get("size", 0), meta.get("etag", ""),
               meta["modified"], meta.get("storage_class", "STANDARD"), meta.get("checksum_algorithm"))
        document = _encode(meta)
        with self._lock:
            writer = self._writer
            if old is not None:
                old_meta = old.meta
            else:
                # A key not in the cache is most often a new one: inserted in one statement,
                # rather than looked for first (1.5 us less). Only a key already there is read.
                writer.execute("INSERT INTO s3_objects VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
                               "ON CONFLICT (bucket, key, seq) DO NOTHING", (bucket, *row, document))
                old_meta = None if writer.rowcount else _decode(self._db.execute(
                    "SELECT meta FROM s3_objects WHERE bucket=? AND key=? AND seq=1", (bucket, key)).fetchone()[0])
            if old_meta is not None:  # an overwrite: updated in place, a third cheaper than REPLACE's delete + insert
                writer.execute("UPDATE s3_objects SET marker=?, size=?, etag=?, modified=?, storage_class=?, "
                               "checksum=?, meta=? WHERE bucket=? AND key=? AND seq=1",
                               (*row[4:], document, bucket, key))
        # The new version is what the next GET (or overwrite) of this key will want.
        remember(self._latest, cache_key, Version(row, meta), _CACHED)
        return [] if old_meta is None else [old_meta]

    def update(self, bucket: str, key: str, version_id: str, meta: dict) -> None:
        """Rewrite one version's document in place (tags, ACL, storage class, restore state)."""
        self._forget(bucket, key)
        self._run("UPDATE s3_objects SET meta=?, storage_class=? WHERE bucket=? AND key=? AND version_id=?",
                  (_encode(meta), meta.get("storage_class", "STANDARD"), bucket, key, version_id))

    def remove(self, bucket: str, key: str, version_id: str) -> dict | None:
        """Delete one version; the next newest becomes current. Returns its document."""
        self._forget(bucket, key)
        with self.store.transaction():
            db = self._db
            row = db.execute("SELECT seq, latest, meta FROM s3_objects WHERE bucket=? AND key=? AND version_id=?",
                             (bucket, key, version_id)).fetchone()
            if row is None:
                return None
            db.execute("DELETE FROM s3_objects WHERE bucket=? AND key=? AND seq=?", (bucket, key, row[0]))
            if row[1]:
                db.execute("UPDATE s3_objects SET latest=1 WHERE bucket=? AND key=? AND seq="
                           "(SELECT MAX(seq) FROM s3_objects WHERE bucket=? AND key=?)", (bucket, key, bucket, key))
        return _decode(row[2])

    def drop_bucket(self, bucket: str) -> None:
        self._forget(bucket)
        with self.store.transaction():
            self._db.execute("DELETE FROM s3_objects WHERE bucket=?", (bucket,))

    # -- multipart uploads ------------------------------------------------------------------------
    def add_upload(self, upload_id: str, bucket: str, key: str, initiated: float, meta: dict) -> None:
        self._run("INSERT INTO s3_uploads VALUES (?,?,?,?,?)", (upload_id, bucket, key, initiated, _encode(meta)))

    def upload(self, bucket: str, upload_id: str) -> dict | None:
        row = self._one("SELECT meta FROM s3_uploads WHERE upload_id=? AND bucket=?", (upload_id, bucket))
        return None if row is None else _decode(row[0])

    def uploads(self, bucket: str) -> list[dict]:
        rows = self._all("SELECT meta FROM s3_uploads WHERE bucket=? ORDER BY key, initiated", (bucket,))
        return [_decode(r[0]) for r in rows]

    def put_part(self, upload_id: str, number: int, meta: dict) -> dict | None:
        """Store a part; returns the part it replaces, if any."""
        with self.store.transaction():
            row = self._db.execute("SELECT meta FROM s3_parts WHERE upload_id=? AND part_number=?",
                                   (upload_id, number)).fetchone()
            self._writer.execute("INSERT OR REPLACE INTO s3_parts VALUES (?,?,?)", (upload_id, number, _encode(meta)))
        return None if row is None else _decode(row[0])

    def parts(self, upload_id: str) -> list[dict]:
        rows = self._all("SELECT meta FROM s3_parts WHERE upload_id=? ORDER BY part_number", (upload_id,))
        return [_decode(r[0]) for r in rows]

    def drop_upload(self, upload_id: str) -> None:
        with self.store.transaction():
            self._db.execute("DELETE FROM s3_parts WHERE upload_id=?", (upload_id,))
            self._db.execute("DELETE FROM s3_uploads WHERE upload_id=?", (upload_id,))

    def clear(self) -> None:
        self._latest.clear()
        with self.store.transaction():
            for table in ("s3_objects", "s3_uploads", "s3_parts"):
                self._db.execute(f"DELETE FROM {table}")
