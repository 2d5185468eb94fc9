"""Fixtures for the order backend: the real app on SQLite and on a throwaway PostgreSQL server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from backends.orders.api import SERVICE
from backends.orders.app import create_app
from backends.orders.mail import MaildirMailer, MailSettings
from tests.backends.shop import TOKEN, Shop
from tests.support.postgres import postgres_server  # noqa: F401 - session fixture used via getfixturevalue


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'orders.sqlite'}"
    return request.getfixturevalue("postgres_server").create_database()


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    """The demo outbox (a Maildir) the app mails one-time codes to."""
    return tmp_path / "mail-outbox"


@pytest.fixture
async def app(db_url: str, outbox: Path) -> web.Application:
    return create_app(db_url, TOKEN, mailer=MaildirMailer(MailSettings(outbox_dir=outbox)))


@pytest.fixture
async def client(aiohttp_client: Any, app: web.Application) -> TestClient:
    return await aiohttp_client(app)


@pytest.fixture
async def shop(client: TestClient, app: web.Application) -> AsyncIterator[Shop]:
    shop = Shop(app[SERVICE])
    await shop.customer("C1")
    yield shop
