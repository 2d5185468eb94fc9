"""`python -m privacy.expire [--days N] [--dry-run]`: conversations older than the shop keeps them go.

Issue 14's retention rule: conversation events older than CONVERSATION_RETENTION_DAYS (default 90,
`off` keeps them forever) are deleted or anonymised. The desk process (`python -m privacy.desk`, the
one the launcher starts) sweeps at its start and then every CONVERSATION_EXPIRY_INTERVAL_H hours
(default 6); this command does the same once, for cron or by hand, and prints what it did as JSON.

Which stores hold conversation text (docs/privacy.md) and what happens to them:
- Rasa's tracker store (every channel, voice transcripts included): whole conversations whose last
  event is older than the age are deleted (`privacy/tracker_store.py`).
- the desk's tickets: closed tickets closed before then are anonymised (`handoff/privacy.py`), the
  figures the analytics page reads stay.
- the event stream's analytics files (when the stream is on): the files of whole days before then
  are deleted (`privacy/stream_files.py`).
Orders, invoices, coupons and the other accounting records are not conversations: they stay.
Not named by the word "retention" on purpose: that is the churn backend (`backends/retention/`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.log_setup import configure_logging
from handoff import privacy as handoff
from privacy import stream_files, tracker_store
from privacy.requests import Stores
from service_kit.db import make_sessions
from service_kit.privacy import Erasure
from settings_kit.settings import ServiceSettings

logger = logging.getLogger("privacy.expire")
DEFAULT_DAYS = 90
OFF = "off"


def _off_is_none(value: Any) -> Any:
    """`CONVERSATION_RETENTION_DAYS=off`: the shop keeps conversations forever."""
    return None if isinstance(value, str) and value.strip().lower() == OFF else value


class ExpirySettings(ServiceSettings):
    """CONVERSATION_RETENTION_DAYS (the age, or `off`) and CONVERSATION_EXPIRY_INTERVAL_H (how often the
    desk sweeps). 90 days by default: more than three times the analytics page's window (28 days)
    and past the usual return periods, so a shopper's complaint about a recent order still finds
    the conversation, while no chat is kept for years by default."""

    days: Annotated[int | None, BeforeValidator(_off_is_none)] = Field(
        default=DEFAULT_DAYS, ge=1, le=36_500, validation_alias="CONVERSATION_RETENTION_DAYS"
    )
    interval_h: float = Field(default=6.0, gt=0, le=24 * 7, validation_alias="CONVERSATION_EXPIRY_INTERVAL_H")


async def sweep(stores: Stores, days: int, *, now: datetime, dry_run: bool = False) -> dict[str, Any]:
    """One sweep over the tracker store and the desk, each in one transaction (rolled back for a dry
    run). `now` is timezone-aware. A store whose table does not exist yet (Rasa or the desk never
    started) has nothing to expire. Logs one line with the counts."""
    before = now - timedelta(days=days)
    tracker, desk, copied = await asyncio.gather(
        _expire_tracker(stores.tracker, before, dry_run),
        _expire_desk(stores.handoff, before, dry_run),
        _expire_stream_files(stores.analytics_stream, before, dry_run),
    )
    logger.info(
        "conversation expiry%s: older than %d days (before %s): tracker store %d conversations, %d events "
        "deleted; desk %d closed tickets, %d messages anonymised; analytics stream %d day files deleted",
        " (dry run)" if dry_run else "",
        days,
        before.isoformat(timespec="seconds"),
        tracker.deleted.get("conversations", 0),
        tracker.deleted.get("events", 0),
        desk.anonymised.get("tickets", 0),
        desk.anonymised.get("messages", 0),
        copied.deleted.get("files", 0),
    )
    return {
        "dry_run": dry_run,
        "days": days,
        "before": before.isoformat(timespec="seconds"),
        "stores": {
            "tracker_store": tracker.as_json(),
            "handoff": desk.as_json(),
            **({"analytics_stream": copied.as_json()} if stores.analytics_stream is not None else {}),
        },
    }


async def sweep_forever(stores: Stores, settings: ExpirySettings) -> None:
    """The desk's background job: a sweep now and every `interval_h` hours. A failed sweep (a database
    down) is logged and tried again at the next interval; the desk keeps serving."""
    if settings.days is None:
        logger.info("conversation expiry is off (CONVERSATION_RETENTION_DAYS=off): conversations are kept")
        return
    while True:
        try:
            await sweep(stores, settings.days, now=datetime.now(UTC))
        except Exception:  # any failure of one sweep must not end the desk's job
            logger.exception("conversation expiry failed; next try in %.1f h", settings.interval_h)
        await asyncio.sleep(settings.interval_h * 3600)


async def _expire_tracker(engine: AsyncEngine, before: datetime, dry_run: bool) -> Erasure:
    """Rasa's event timestamps are Unix times."""
    if not await _has_table(engine, "events"):
        return Erasure()
    async with engine.connect() as connection:
        transaction = await connection.begin()
        done = await tracker_store.expire(connection, before.timestamp())
        await (transaction.rollback() if dry_run else transaction.commit())
        return done


async def _expire_stream_files(directory: Path | None, before: datetime, dry_run: bool) -> Erasure:
    """The event stream's analytics files (privacy/stream_files.py): whole days."""
    if directory is None:
        return Erasure()
    return await asyncio.to_thread(stream_files.expire, directory, before, dry_run=dry_run)


async def _expire_desk(engine: AsyncEngine, before: datetime, dry_run: bool) -> Erasure:
    """The desk writes naive UTC datetimes."""
    if not await _has_table(engine, "tickets"):
        return Erasure()
    async with make_sessions(engine)() as session:
        done = await handoff.expire(session, before.astimezone(UTC).replace(tzinfo=None))
        await (session.rollback() if dry_run else session.commit())
        return done


async def _has_table(engine: AsyncEngine, table: str) -> bool:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: sync.dialect.has_table(sync, table))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m privacy.expire", description=__doc__)
    parser.add_argument("--days", type=int, help="this age instead of CONVERSATION_RETENTION_DAYS")
    parser.add_argument("--dry-run", action="store_true", help="count what would expire, change nothing")
    args = parser.parse_args(argv)
    configure_logging()
    try:
        days = args.days if args.days is not None else ExpirySettings.from_env().days
    except ValueError as error:
        sys.exit(f"privacy.expire: {error}")
    if days is None:
        print(json.dumps({"expiry": OFF, "why": "CONVERSATION_RETENTION_DAYS=off keeps conversations forever"}))
        return
    if days < 1:
        sys.exit("privacy.expire: --days must be at least 1")
    print(json.dumps(asyncio.run(_once(days, args.dry_run)), indent=2))


async def _once(days: int, dry_run: bool) -> dict[str, Any]:
    stores = Stores.from_env()
    try:
        return await sweep(stores, days, now=datetime.now(UTC), dry_run=dry_run)
    finally:
        await stores.aclose()


if __name__ == "__main__":
    main()
