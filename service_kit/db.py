"""Engine and session helpers shared by the backends; each service passes its own metadata."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Delete, MetaData, Update, event
from sqlalchemy.engine import Connection, CursorResult, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def make_engine(db_url: str) -> AsyncEngine:
    """SQLite gets its folder created and a busy timeout, so concurrent writers wait instead of failing."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 15})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL lets readers work while one request writes; foreign keys are off by default in SQLite."""
    cursor = connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


async def create_tables(engine: AsyncEngine, metadata: MetaData) -> None:
    """Metadata is a parameter because each service has its own declarative Base. Indexes added to a
    table after a database was created are created too (``create_all`` skips existing tables)."""
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.run_sync(_create_missing_indexes, metadata)


def _create_missing_indexes(connection: Connection, metadata: MetaData) -> None:
    for table in metadata.sorted_tables:
        for index in table.indexes:
            index.create(connection, checkfirst=True)


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: results are serialised after commit without reloading.
    return async_sessionmaker(engine, expire_on_commit=False)


async def rows_changed(session: AsyncSession, statement: Update | Delete) -> int:
    """Runs an UPDATE or DELETE and says how many rows it matched: the conditional writes (claim a
    row only if it is still in the state we read) decide by this count. SQLAlchemy types
    `execute` as returning a plain `Result`; a DML statement gets the `CursorResult` that has the count."""
    result = await session.execute(statement)
    if not isinstance(result, CursorResult):
        raise TypeError(f"an UPDATE or DELETE returned a {type(result).__name__}, not a CursorResult")
    return result.rowcount
