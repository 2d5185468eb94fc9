"""Helpers every store's `privacy.py` uses to answer a data-subject request the same way.

A store's module exports rows as plain JSON (`row_json`) and reports an erasure as counts per table
and what happened to the rows (`Erasure`): deleted, or anonymised because the shop must keep them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect


def pseudonym() -> str:
    """A random stand-in for an erased customer id: rows kept for accounting stay grouped per customer
    but cannot be linked back (not a hash of the id, which anyone holding the id could recompute)."""
    return f"erased-{secrets.token_hex(6)}"


def json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def row_json(row: Any, *, without: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every column of an ORM row (relationships are left to the caller), minus secrets like code hashes."""
    return {
        column.key: json_value(getattr(row, column.key))
        for column in inspect(row).mapper.column_attrs
        if column.key not in without
    }


@dataclass
class Erasure:
    """What one store did (or, in a dry run, would do): rows per table, deleted or anonymised."""

    deleted: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)

    def delete(self, table: str, count: int) -> None:
        if count:
            self.deleted[table] = self.deleted.get(table, 0) + count

    def anonymise(self, table: str, count: int) -> None:
        if count:
            self.anonymised[table] = self.anonymised.get(table, 0) + count

    def as_json(self) -> dict[str, Any]:
        return {"deleted": dict(sorted(self.deleted.items())), "anonymised": dict(sorted(self.anonymised.items()))}
