"""Test support for privacy requests: every store of the stack, seeded with shoppers, on SQLite files and
on a throwaway PostgreSQL. conftest.py registers the fixtures; tests import the rest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from privacy.requests import DATABASES, Stores
from tools.privacy_seed import Shopper, seed

SHOPPERS = [Shopper(index) for index in range(1, 6)]


def store_urls(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "sqlite":
        return {name: f"sqlite+aiosqlite:///{tmp_path / name}.sqlite" for name in DATABASES}
    server = request.getfixturevalue("postgres_server")
    return {name: server.create_database(name) for name in DATABASES}


@pytest.fixture(params=["sqlite", "postgres"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    return store_urls(request, tmp_path)


@pytest.fixture
async def stores(urls: dict[str, str], tmp_path: Path) -> AsyncIterator[Stores]:
    """Seeded with five shoppers: tests ask about shopper 1 and check the others stay as they were."""
    stores = Stores.from_urls(urls, tmp_path / "mail-outbox")
    await seed(stores, SHOPPERS)
    yield stores
    await stores.aclose()
