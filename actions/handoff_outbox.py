"""Hand-off requests the desk could not take yet, kept on disk until it can.

When the desk is down the shopper is told a colleague will follow up, and the request (transcript
and all) waits here, in a SQLite file under the assistant's state directory, so neither a desk
outage nor an action-server restart loses it. A background task in the action server retries
delivery; `python -m actions.handoff_outbox` delivers what is pending by hand (e.g. from cron).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

from actions.clients.handoff import DeskRejected, DeskUnavailable

logger = logging.getLogger(__name__)

RETRY_EVERY_S = float(os.environ.get("HANDOFF_OUTBOX_RETRY_S", "15"))
Deliver = Callable[[Mapping[str, Any]], Awaitable[object]]


def default_path() -> Path:
    var = Path(os.environ.get("ASSISTANT_VAR", Path(__file__).resolve().parent.parent / "var"))
    return var / "handoff-outbox.sqlite"


class HandoffOutbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            # `rejected`: the desk refused the request itself; kept for the operator, never retried.
            db.execute(
                "CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY AUTOINCREMENT, queued_at REAL NOT NULL,"
                " attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, rejected INTEGER NOT NULL DEFAULT 0,"
                " request TEXT NOT NULL)"
            )
        self._retrying: asyncio.Task[None] | None = None

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def put(self, request: Mapping[str, Any], rejected_because: str | None = None) -> int:
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT INTO pending (queued_at, request, rejected, last_error) VALUES (?, ?, ?, ?)",
                (time.time(), json.dumps(request), int(rejected_because is not None), rejected_because),
            )
        what = f"kept as rejected ({rejected_because})" if rejected_because else "queued (desk unavailable)"
        logger.warning("hand-off for %s %s in %s", request.get("conversation_id"), what, self.path)
        return int(cursor.lastrowid or 0)

    def pending(self) -> list[tuple[int, dict[str, Any]]]:
        return self._rows(rejected=False)

    def rejected(self) -> list[tuple[int, dict[str, Any]]]:
        return self._rows(rejected=True)

    def _rows(self, rejected: bool) -> list[tuple[int, dict[str, Any]]]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT id, request FROM pending WHERE rejected = ? ORDER BY id", (int(rejected),))
            return [(row_id, json.loads(body)) for row_id, body in rows.fetchall()]

    async def deliver_pending(self, deliver: Deliver) -> int:
        """Sends what is queued, oldest first; stops while the desk is unavailable, sets aside what it
        rejects (an operator looks at `rejected()`). Returns how many went."""
        sent = 0
        for row_id, request in self.pending():
            try:
                await deliver(request)
            except DeskRejected as error:
                with closing(self._connect()) as db, db:
                    db.execute("UPDATE pending SET rejected = 1, last_error = ? WHERE id = ?", (str(error), row_id))
                logger.error(
                    "queued hand-off for %s rejected by the desk, kept: %s", request.get("conversation_id"), error
                )
                continue
            except DeskUnavailable as error:
                with closing(self._connect()) as db, db:
                    db.execute(
                        "UPDATE pending SET attempts = attempts + 1, last_error = ? WHERE id = ?", (str(error), row_id)
                    )
                logger.info("desk still unavailable, %d hand-off(s) wait: %s", len(self.pending()), error)
                break
            with closing(self._connect()) as db, db:
                db.execute("DELETE FROM pending WHERE id = ?", (row_id,))
            logger.info("queued hand-off for %s delivered to the desk", request.get("conversation_id"))
            sent += 1
        return sent

    def keep_retrying(self, deliver: Deliver, every_s: float = RETRY_EVERY_S) -> None:
        """Starts (once per process) a task that retries until nothing is pending."""
        if self._retrying is not None and not self._retrying.done():
            return

        async def retry() -> None:
            while self.pending():
                await asyncio.sleep(every_s)
                try:
                    await self.deliver_pending(deliver)
                except Exception:  # a bug must not kill the retry loop silently
                    logger.exception("retrying queued hand-offs failed")

        self._retrying = asyncio.get_running_loop().create_task(retry())


def main() -> int:
    """Deliver queued hand-offs now."""
    from actions.backend import handoff_client

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    outbox = HandoffOutbox(default_path())

    async def run() -> int:
        client = handoff_client()
        try:
            return await outbox.deliver_pending(client.create_handoff)
        finally:
            await client.close()

    sent = asyncio.run(run())
    left = len(outbox.pending())
    print(f"delivered {sent}, {left} still pending")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
