"""Engine and session factory for the recommendation log; tables are created on startup when missing."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import CreateColumn

from backends.recommendations.tables import Base
from service_kit import db as common
from service_kit.db import make_engine, make_sessions

__all__ = ["create_tables", "default_db_url", "make_engine", "make_sessions"]


def default_db_url(env: Mapping[str, str] = os.environ) -> str:
    """SQLite under the assistant's state directory ($ASSISTANT_VAR, default ./var)."""
    return f"sqlite+aiosqlite:///{Path(env.get('ASSISTANT_VAR', 'var')) / 'recommendations.sqlite'}"


async def create_tables(engine: AsyncEngine) -> None:
    await common.create_tables(engine, Base.metadata)
    async with engine.begin() as connection:
        await connection.run_sync(add_missing_columns)


def add_missing_columns(connection: Connection) -> list[str]:
    """Columns added to a table after a database was created (`create_all` skips existing tables):
    `ALTER TABLE ... ADD COLUMN` with the column's own DDL, so its server default fills old rows.
    Only nullable columns or ones with a server default are ever added this way (tables.py)."""
    added = []
    inspector = inspect(connection)
    for table in Base.metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                ddl = CreateColumn(column).compile(dialect=connection.dialect)
                connection.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {ddl}")
                added.append(f"{table.name}.{column.name}")
    return added
