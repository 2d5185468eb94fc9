"""Engine and session factory; tables are created on startup when missing."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from backends.retention.tables import Base
from service_kit import db as common
from service_kit.db import make_engine, make_sessions

__all__ = ["create_tables", "default_db_url", "make_engine", "make_sessions"]


def default_db_url(env: Mapping[str, str] = os.environ) -> str:
    """SQLite under the assistant's state directory ($ASSISTANT_VAR, default ./var)."""
    return f"sqlite+aiosqlite:///{Path(env.get('ASSISTANT_VAR', 'var')) / 'retention.sqlite'}"


async def create_tables(engine: AsyncEngine) -> None:
    await common.create_tables(engine, Base.metadata)
