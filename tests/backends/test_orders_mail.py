"""One-time codes through a real SMTP server (aiosmtpd on a free port), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from aiosmtpd.controller import Controller

from backends.orders.app import create_app
from backends.orders.mail import MailSettings, SmtpMailer, mailer_from_env
from tests.backends.shop import AUTH, METRICS_TOKEN, SCRAPE, TOKEN, Shop
from tests.support.servers import free_port

pytestmark = pytest.mark.asyncio


class Inbox:
    """aiosmtpd handler: keeps every message it is handed."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
async def app(db_url: str, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch) -> web.Application:
    monkeypatch.setenv("METRICS_TOKEN", METRICS_TOKEN)
    _, port = smtp
    settings = MailSettings(host="127.0.0.1", port=port, sender="Shop <shop@example.com>", security="none")
    return create_app(db_url, TOKEN, mailer=SmtpMailer(settings))


async def test_the_code_mail_arrives_at_the_smtp_server_and_the_code_works(
    client: TestClient, shop: Shop, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    number = await shop.order()
    response = await client.post(f"/orders/{number}/change-codes", json={"purpose": "cancel"}, headers=AUTH)
    assert response.status == 201, await response.text()
    [(sender, recipients, message)] = inbox.messages
    assert sender == "shop@example.com" and recipients == ["c1@example.com"]
    assert message["Subject"] == f"Your code to cancel order {number}"
    code = re.search(r"\b(\d{8})\b", message.get_payload()).group(1)
    cancelled = await client.post(
        f"/orders/{number}/cancel", json={"reason": "chat"}, headers={**AUTH, "X-Change-Code": code}
    )
    assert cancelled.status == 200 and (await cancelled.json())["order"]["status"] == "cancelled"


async def test_smtp_down_is_a_clear_503_and_no_code_stays_valid(
    client: TestClient, shop: Shop, app: web.Application
) -> None:
    number = await shop.order()
    from backends.orders.api import SERVICE

    app[SERVICE]._mailer = SmtpMailer(MailSettings(host="127.0.0.1", port=free_port(), security="none", timeout_s=3))
    response = await client.post(f"/orders/{number}/change-codes", json={"purpose": "cancel"}, headers=AUTH)
    assert response.status == 503
    assert (await response.json())["error"]["code"] == "mail_unavailable"
    metrics = await (await client.get("/metrics", headers=SCRAPE)).text()
    assert "orders_codes_sent_total 0" in metrics


async def test_settings_choose_smtp_or_the_maildir(tmp_path: Path) -> None:
    assert isinstance(mailer_from_env({"SMTP_HOST": "mail.example.com"}), SmtpMailer)
    demo = mailer_from_env({"MAIL_OUTBOX_DIR": str(tmp_path / "outbox")})
    assert demo.directory == tmp_path / "outbox"
    assert MailSettings.from_env({"SMTP_SECURITY": "tls"}).port == 465
    with pytest.raises(ValueError, match="SMTP_SECURITY"):
        MailSettings.from_env({"SMTP_SECURITY": "maybe"})
