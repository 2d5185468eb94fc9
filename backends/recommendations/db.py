"""Engine and session factory for the recommendation log; tables are created on startup when missing."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from backends.recommendations.tables import Base
from service_kit import db as common
from service_kit.db import make_engine, make_sessions

__all__ = ["create_tables", "default_db_url", "make_engine", "make_sessions"]


def default_db_url() -> str:
    return f"sqlite+aiosqlite:///{Path(os.environ.get('ASSISTANT_VAR', 'var')) / 'recommendations.sqlite'}"


async def create_tables(engine: AsyncEngine) -> None:
    await common.create_tables(engine, Base.metadata)
