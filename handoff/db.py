"""Tables are created on startup when missing (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from handoff.models import Base
from service_kit import db as common


async def create_tables(engine: AsyncEngine) -> None:
    await common.create_tables(engine, Base.metadata)
