"""Engine and session factory; tables are created on startup when missing."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backends.pricing.models import Base
from service_kit import db as common
from service_kit.db import make_engine, make_sessions

__all__ = ["create_tables", "default_db_url", "insert_missing", "make_engine", "make_sessions"]


def default_db_url(env: Mapping[str, str] = os.environ) -> str:
    """SQLite under the assistant's state directory ($ASSISTANT_VAR, default ./var)."""
    return f"sqlite+aiosqlite:///{Path(env.get('ASSISTANT_VAR', 'var')) / 'pricing.sqlite'}"


async def create_tables(engine: AsyncEngine) -> None:
    await common.create_tables(engine, Base.metadata)


async def insert_missing(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]], keys: list[str]) -> bool:
    """Inserts the rows whose primary key is not there yet, without failing on rows a concurrent
    transaction inserted first (PostgreSQL, SQLite). Written before reading on purpose: on SQLite the
    insert takes the write lock, so concurrent writers wait instead of failing. False on another
    database, where the caller adds missing rows itself."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        return False
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(insert(model).values(rows).on_conflict_do_nothing(index_elements=keys))
    return True
