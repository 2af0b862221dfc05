"""The one place state lives.

SQLite in WAL mode in the data directory by default (every acknowledged write is committed
before the response goes out, so a killed process loses nothing acknowledged); an in-memory
database with --ephemeral. Values are CBOR, which keeps bytes and datetimes as they are.
The SQL is deliberately plain (one table of keyed documents, one of metadata) so a shared
PostgreSQL-compatible database could replace SQLite without touching providers.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from datetime import timezone
from pathlib import Path
from typing import Any, Iterator


_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS resources (
        service VARCHAR(64) NOT NULL,
        account VARCHAR(32) NOT NULL,
        region VARCHAR(32) NOT NULL,
        kind VARCHAR(64) NOT NULL,
        name VARCHAR(2048) NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY (service, account, region, kind, name)
    )""",
    """CREATE TABLE IF NOT EXISTS meta (
        name VARCHAR(255) PRIMARY KEY,
        body BLOB NOT NULL
    )""",
)


_cbor2 = None  # imported on first use, not at start-up: it brings uuid and platform along (~3 ms)


def _cbor():
    global _cbor2
    import cbor2

    _cbor2 = cbor2
    return cbor2


def _encode(value: Any) -> bytearray:
    # Naive datetimes are taken as UTC, like everything else in pocketcloud. A bytearray, not
    # bytes: Python's sqlite3 binds a bytearray as it is, but looks for an adapter for every
    # bytes parameter (a failed attribute lookup whose AttributeError is formatted and dropped,
    # ~3k instructions); the copy costs less.
    return bytearray((_cbor2 or _cbor()).dumps(value, timezone=timezone.utc))


def _decode(raw: bytes) -> Any:
    return (_cbor2 or _cbor()).loads(raw)


class Store:
    def __init__(self, path: Path | str | None = None):
        """path: the SQLite file; None keeps everything in memory."""
        self.path = str(path) if path else ":memory:"
        self._lock = threading.RLock()
        self._depth = 0
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a commit survives a process crash (SIGKILL); only an OS crash
            # or power loss can lose the last transactions.
            self._db.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            self._db.execute(statement)
        # Statements that return no rows (writes, BEGIN, COMMIT) run on this one cursor rather
        # than on one Connection.execute makes and drops per call (~1.1k instructions each).
        # Queries keep their own cursors, so that none is left open holding a read.
        self._writer = self._db.cursor()

    # -- transactions ------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """Group writes atomically; nested calls join the outer transaction."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._writer.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    self._writer.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._writer.execute("COMMIT")

    # -- documents ---------------------------------------------------------------------------
    def put(self, service: str, account: str, region: str, kind: str, name: str, value: Any) -> None:
        with self._lock:
            self._writer.execute(
                "INSERT INTO resources (service, account, region, kind, name, body) VALUES (?,?,?,?,?,?)"
                " ON CONFLICT (service, account, region, kind, name) DO UPDATE SET body = excluded.body",
                (service, account, region, kind, name, _encode(value)),
            )

    def get(self, service: str, account: str, region: str, kind: str, name: str) -> Any | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM resources WHERE service=? AND account=? AND region=? AND kind=? AND name=?",
                (service, account, region, kind, name),
            ).fetchone()
        return None if row is None else _decode(row[0])

    def delete(self, service: str, account: str, region: str, kind: str, name: str) -> bool:
        with self._lock:
            cur = self._writer.execute(
                "DELETE FROM resources WHERE service=? AND account=? AND region=? AND kind=? AND name=?",
                (service, account, region, kind, name),
            )
        return cur.rowcount > 0

    def list(self, service: str, account: str, region: str, kind: str, prefix: str = "") -> list[tuple[str, Any]]:
        """(name, value) pairs of one kind in one namespace, ordered by name."""
        with self._lock:
            rows = self._db.execute(
                "SELECT name, body FROM resources WHERE service=? AND account=? AND region=? AND kind=?"
                " AND substr(name, 1, ?) = ? ORDER BY name",
                (service, account, region, kind, len(prefix), prefix),
            ).fetchall()
        return [(name, _decode(body)) for name, body in rows]

    # -- metadata (clock offset, schema version...) -------------------------------------------
    def meta_get(self, name: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute("SELECT body FROM meta WHERE name=?", (name,)).fetchone()
        return default if row is None else _decode(row[0])

    def meta_set(self, name: str, value: Any) -> None:
        with self._lock:
            self._writer.execute(
                "INSERT INTO meta (name, body) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET body = excluded.body",
                (name, _encode(value)),
            )

    def reset(self) -> None:
        """Forget every resource (the clock offset is kept in meta and reset by the caller)."""
        with self._lock:
            self._db.execute("DELETE FROM resources")
            self._db.execute("DELETE FROM meta")

    def close(self) -> None:
        with self._lock:
            self._db.close()


class Namespace:
    """A provider's view of the store: one service in one account and region."""

    __slots__ = ("store", "service", "account", "region")

    def __init__(self, store: Store, service: str, account: str, region: str):
        self.store, self.service, self.account, self.region = store, service, account, region

    def put(self, kind: str, name: str, value: Any) -> None:
        self.store.put(self.service, self.account, self.region, kind, name, value)

    def get(self, kind: str, name: str) -> Any | None:
        return self.store.get(self.service, self.account, self.region, kind, name)

    def delete(self, kind: str, name: str) -> bool:
        return self.store.delete(self.service, self.account, self.region, kind, name)

    def list(self, kind: str, prefix: str = "") -> list[tuple[str, Any]]:
        return self.store.list(self.service, self.account, self.region, kind, prefix)
