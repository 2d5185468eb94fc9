"""Engine and session factory; tables are created on startup when missing."""

from __future__ import annotations

import logging

from sqlalchemy import Index
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from backends.orders.models import Base
from service_kit import db as common
from service_kit.db import make_engine, make_sessions

__all__ = ["DEFAULT_DB_URL", "create_tables", "make_engine", "make_sessions"]

logger = logging.getLogger(__name__)

DEFAULT_DB_URL = "sqlite+aiosqlite:///var/orders.sqlite"


async def create_tables(engine: AsyncEngine) -> None:
    """create_all skips tables that exist, and with them their indexes: indexes added later (the
    one-open-refund index) are created here too, so an existing database gets them on startup."""
    await common.create_tables(engine, Base.metadata)
    for table in Base.metadata.sorted_tables:
        for index in table.indexes:
            await _create_index(engine, index)


async def _create_index(engine: AsyncEngine, index: Index) -> None:
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: index.create(sync, checkfirst=True))
    except IntegrityError as error:  # existing rows break a new unique index: the operator must look
        logger.error("index %s not created, existing rows violate it: %s", index.name, error.orig)
