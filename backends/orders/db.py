"""Engine and session factory; tables are created on startup when missing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from backends.common import db as common
from backends.common.db import make_engine, make_sessions
from backends.orders.models import Base

__all__ = ["DEFAULT_DB_URL", "create_tables", "make_engine", "make_sessions"]

DEFAULT_DB_URL = "sqlite+aiosqlite:///var/orders.sqlite"


async def create_tables(engine: AsyncEngine) -> None:
    await common.create_tables(engine, Base.metadata)
