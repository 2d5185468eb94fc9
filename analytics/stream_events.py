"""Analytics fed from the event stream instead of the tracker store: a consumer and the loader the warehouse uses.

    python -m analytics.stream_events   # the launcher's process `analytics-stream` when the stream is on

The consumer reads the analytics queue of Rasa's event stream (contracts/event_stream.py) and appends
every event, as one JSON line `{"key": …, "event": {…}}`, to a file per UTC day in `ANALYTICS_STREAM_DIR`
(default `$ASSISTANT_VAR/analytics-stream`). Lines are on disk (fsync) before their messages are
acknowledged, one fsync per group of events (`GroupCommit`: up to 256 events or 50 ms); a consumer
that dies in between gets those messages again and writes them twice, and the loader keeps one line
per `key` (`contracts.event_stream.event_key`). A torn last line (a crash while writing) is skipped
when read.

With `ANALYTICS_EVENTS=stream` the warehouse (analytics/warehouse.py) loads its `events` table from
these files instead of from the tracker store, so the figures no longer query the database Rasa
serves shoppers from. The files are a copy of the conversations: they hold what shoppers wrote, so
they fall under the same retention and erasure duties as the tracker store (docs/analytics.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from aiohttp import web

from contracts.event_stream import (
    ANALYTICS_QUEUE,
    STREAM_FILE_PREFIX,
    STREAM_FILE_SUFFIX,
    analytics_stream_dir,
    event_key,
    stream_file,
    stream_files_lock,
)
from contracts.log_setup import configure_logging
from service_kit.event_stream import GroupCommit, StreamConsumer, StreamSettings, consuming

logger = logging.getLogger(__name__)

SOURCE_VARIABLE = "ANALYTICS_EVENTS"  # `tracker` (default) or `stream`

# The files' lines as the tracker store's rows (id, sender_id, type_name, timestamp, intent_name,
# action_name, data), one per event key, numbered in time order: the warehouse parses them as it parses
# the store's rows (`PARSE_EVENTS`, registered as `chunk`).
STREAM_ROWS = """
SELECT row_number() OVER (ORDER BY stamp, key) AS id, sender_id, type_name, stamp AS timestamp,
    CASE WHEN type_name = 'user' THEN json_extract_string(event, '$.parse_data.intent.name') END AS intent_name,
    CASE WHEN type_name = 'action' THEN json_extract_string(event, '$.name') END AS action_name,
    CAST(event AS VARCHAR) AS data
FROM (
    SELECT key, event, json_extract_string(event, '$.sender_id') AS sender_id,
        json_extract_string(event, '$.event') AS type_name,
        TRY_CAST(json_extract(event, '$.timestamp') AS DOUBLE) AS stamp
    FROM read_json(?, format = 'newline_delimited', columns = {key: 'VARCHAR', event: 'JSON'}, ignore_errors = true)
    WHERE key IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY key) = 1
)
"""


def events_from_stream(env: Mapping[str, str]) -> Path | None:
    """The directory to load events from, or None to read the tracker store (the default)."""
    source = env.get(SOURCE_VARIABLE, "tracker").strip().lower() or "tracker"
    if source not in ("tracker", "stream"):
        raise ValueError(f"{SOURCE_VARIABLE} must be `tracker` or `stream`, not {source!r}")
    return analytics_stream_dir(env) if source == "stream" else None


def stream_relation(db: duckdb.DuckDBPyConnection, directory: Path) -> duckdb.DuckDBPyRelation | None:
    """The stream files as tracker rows, or None while there are none yet."""
    pattern = f"{STREAM_FILE_PREFIX}*{STREAM_FILE_SUFFIX}"
    if not any(directory.glob(pattern)):
        return None
    return db.sql(STREAM_ROWS.replace("?", "'" + str(directory / pattern).replace("'", "''") + "'"))


class StreamWriter:
    """Appends events to the day's file (`handle`); `commit` puts what was appended on disk, and only then
    are the events acknowledged. `group_commit()` is how the consumer calls it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._written: set[Path] = set()  # files appended to since the last commit

    async def handle(self, event: dict[str, Any]) -> None:
        await asyncio.to_thread(self._append, event)

    async def commit(self) -> None:
        written, self._written = self._written, set()
        try:
            await asyncio.to_thread(self._sync, written)
        except BaseException:
            self._written |= written  # the next commit tries them again
            raise

    def group_commit(self) -> GroupCommit:
        return GroupCommit(self.commit)

    def _append(self, event: dict[str, Any]) -> None:
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        line = json.dumps({"key": event_key(event), "event": event}, separators=(",", ":"), default=str)
        path = stream_file(self.directory, day)
        with stream_files_lock(self.directory), open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
        self._written.add(path)

    def _sync(self, paths: set[Path]) -> None:
        # Under the lock: an erasure renames a rewritten file over the path, already synced by privacy.
        with stream_files_lock(self.directory):
            for path in paths:
                with contextlib.suppress(FileNotFoundError), open(path, "rb") as written:
                    os.fsync(written.fileno())


PORT_VARIABLE = "ANALYTICS_STREAM_PORT"
DEFAULT_PORT = 8109
CONSUMER = web.AppKey("consumer", StreamConsumer)


def create_app(env: Mapping[str, str]) -> web.Application:
    """The consumer as a process the launcher supervises: `GET /health` says whether it is connected and
    how many events it wrote (no token: it shows no data)."""
    settings = StreamSettings.from_env(env)
    if not settings.enabled:
        raise SystemExit("the event stream is off: set ASSISTANT_EVENT_BROKER=rabbitmq (docs/scaling.md)")
    directory = analytics_stream_dir(env)
    writer = StreamWriter(directory)
    consumer = StreamConsumer(settings, ANALYTICS_QUEUE, writer.handle, group_commit=writer.group_commit())

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "stream": request.app[CONSUMER].status.as_dict()})

    async def run_consumer(app: web.Application) -> AsyncIterator[None]:
        logger.info("appending the analytics queue's events to %s", directory)
        async with consuming(app[CONSUMER]):
            yield

    app = web.Application()
    app[CONSUMER] = consumer
    app.router.add_get("/health", health)
    app.cleanup_ctx.append(run_consumer)
    return app


def main() -> None:
    configure_logging()
    port = int(os.environ.get(PORT_VARIABLE) or DEFAULT_PORT)
    web.run_app(create_app(os.environ), host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
