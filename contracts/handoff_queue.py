"""A small durable queue in SQLite for messages the handoff desk has not taken yet.

Two users: the action server's hand-off outbox (actions/handoff_outbox.py) and the Rasa process's
queue of shopper messages forwarded to an agent (channels/handoff_relay.py). A row is written before
the caller acknowledges anything, so a desk outage or a restart loses nothing, and a row is *claimed*
(a lease in the row, taken in one write transaction) before it is sent, so two workers sharing the
file never send it twice. Standard library only (a contract of both venvs): the Rasa process runs
Python 3.10 without the services' packages.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_LEASE_S = 60.0
Row = tuple[int, dict[str, Any]]
Send = Callable[[Mapping[str, Any]], Awaitable[object]]
Errors = tuple[type[BaseException], ...]


class DurableQueue:
    """Rows of JSON in a SQLite file, oldest first; `rejected` rows are kept for an operator."""

    def __init__(self, path: Path, lease_s: float = DEFAULT_LEASE_S) -> None:
        self.path = path
        self.lease_s = lease_s
        self.worker = uuid.uuid4().hex  # who holds a claim, for the log and the row
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY AUTOINCREMENT, queued_at REAL NOT NULL,"
                " attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, rejected INTEGER NOT NULL DEFAULT 0,"
                " request TEXT NOT NULL)"
            )
            columns = {row[1] for row in db.execute("PRAGMA table_info(pending)")}
            # Files written before claims existed get the two columns on first open.
            if "claimed_until" not in columns:
                db.execute("ALTER TABLE pending ADD COLUMN claimed_until REAL NOT NULL DEFAULT 0")
            if "claimed_by" not in columns:
                db.execute("ALTER TABLE pending ADD COLUMN claimed_by TEXT")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def put(self, payload: Mapping[str, Any], rejected_because: str | None = None) -> int:
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT INTO pending (queued_at, request, rejected, last_error) VALUES (?, ?, ?, ?)",
                (time.time(), json.dumps(payload), int(rejected_because is not None), rejected_because),
            )
        return int(cursor.lastrowid or 0)

    def pending(self) -> list[Row]:
        return self._rows(rejected=False)

    def rejected(self) -> list[Row]:
        return self._rows(rejected=True)

    def _rows(self, rejected: bool) -> list[Row]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT id, request FROM pending WHERE rejected = ? ORDER BY id", (int(rejected),))
            return [(row_id, json.loads(body)) for row_id, body in rows.fetchall()]

    def claim(self) -> list[Row]:
        """Takes every pending row no other worker holds, oldest first, for `lease_s` seconds.

        BEGIN IMMEDIATE takes SQLite's write lock before reading, so two workers cannot both see a
        row as free; a worker that dies mid-send leaves its lease to run out, then the row is free again."""
        now = time.time()
        with closing(sqlite3.connect(self.path, timeout=10, isolation_level=None)) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                rows = db.execute(
                    "SELECT id, request FROM pending WHERE rejected = 0 AND claimed_until < ? ORDER BY id", (now,)
                ).fetchall()
                db.executemany(
                    "UPDATE pending SET claimed_until = ?, claimed_by = ? WHERE id = ?",
                    [(now + self.lease_s, self.worker, row_id) for row_id, _ in rows],
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return [(row_id, json.loads(body)) for row_id, body in rows]

    def _update(self, sql: str, *args: Any) -> None:
        with closing(self._connect()) as db, db:
            db.execute(sql, args)

    def done(self, row_id: int) -> None:
        self._update("DELETE FROM pending WHERE id = ?", row_id)

    def retry_later(self, row_id: int, error: str) -> None:
        self._update(
            "UPDATE pending SET attempts = attempts + 1, last_error = ?, claimed_until = 0, claimed_by = NULL"
            " WHERE id = ?",
            error,
            row_id,
        )

    def release(self, row_id: int) -> None:
        """Frees a claimed row that was not tried this round."""
        self._update("UPDATE pending SET claimed_until = 0, claimed_by = NULL WHERE id = ?", row_id)

    def reject(self, row_id: int, error: str) -> None:
        self._update("UPDATE pending SET rejected = 1, last_error = ?, claimed_until = 0 WHERE id = ?", error, row_id)

    async def send_pending(self, send: Send, *, permanent: Errors, transient: Errors) -> int:
        """Sends the claimed rows in order. A `permanent` failure sets that row aside (rejected); a
        `transient` one stops the round and frees the rest, so nothing overtakes an earlier row.
        Returns how many were sent."""
        claimed, sent = self.claim(), 0
        for index, (row_id, payload) in enumerate(claimed):
            try:
                await send(payload)
            except permanent as error:
                self.reject(row_id, str(error))
                logger.error("queued item %s in %s refused by the desk, set aside: %s", row_id, self.path.name, error)
                continue
            except transient as error:
                self.retry_later(row_id, str(error))
                for later, _ in claimed[index + 1 :]:
                    self.release(later)
                logger.info("desk unavailable, %d item(s) wait in %s: %s", len(claimed) - index, self.path.name, error)
                break
            except BaseException:
                for later, _ in claimed[index:]:
                    self.release(later)
                raise
            self.done(row_id)
            sent += 1
        return sent
