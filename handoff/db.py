"""Tables are created on startup when missing (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from backends.common import db as common
from handoff.models import Base


async def create_tables(engine: AsyncEngine) -> None:
    await common.create_tables(engine, Base.metadata)
