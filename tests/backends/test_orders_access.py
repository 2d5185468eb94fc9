"""Ownership proofs and one-time change codes over real HTTP, on SQLite and on PostgreSQL.

Failures are counted in the backend per order number and per client, so the limit holds across
conversations; an unknown order number is answered like a wrong proof; a change can demand a code
mailed to the order's address (here the demo Maildir outbox; tests/backends/test_orders_mail.py
sends through a real SMTP server).
"""

from __future__ import annotations

import logging
import mailbox
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from backends.orders.access import AccessSettings
from backends.orders.app import create_app
from backends.orders.mail import MaildirMailer, MailSettings
from backends.orders.service import utcnow
from contracts.orders import OrderStatus
from tests.backends.shop import ADDRESS, AUTH, METRICS_TOKEN, SCRAPE, TOKEN, Shop

pytestmark = pytest.mark.asyncio

SETTINGS = AccessSettings(
    max_order_failures=5,
    max_client_failures=8,
    window=timedelta(minutes=15),
    lockout=timedelta(minutes=15),
    code_ttl=timedelta(minutes=10),
    code_max_tries=3,
    code_max_sends=4,
)
RIGHT, WRONG = {"postcode": "62704"}, {"postcode": "11111"}


class Clock:
    """The service's clock, moved by the test (cool-downs and expiry without sleeping)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def app(db_url: str, outbox: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> web.Application:
    monkeypatch.setenv("METRICS_TOKEN", METRICS_TOKEN)
    mailer = MaildirMailer(MailSettings(outbox_dir=outbox))
    return create_app(db_url, TOKEN, clock=clock, mailer=mailer, access=SETTINGS)


async def post(client: TestClient, path: str, status: int, **kwargs: object) -> dict:
    response = await client.request(
        kwargs.pop("method", "POST"), path, headers={**AUTH, **kwargs.pop("headers", {})}, **kwargs
    )
    body = await response.json()
    assert response.status == status, body
    return body


async def verify(client: TestClient, number: int, proof: dict, client_key: str = "conversation:rest:a") -> dict:
    return await post(client, f"/orders/{number}/verify", 200, json={**proof, "clients": [client_key]})


# -- counting, lockout, cool-down ----------------------------------------------------------------


async def test_failures_across_conversations_lock_the_order_even_for_the_right_proof(
    client: TestClient, shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    number = await shop.order()
    caplog.set_level(logging.WARNING, logger="backends.orders.access")
    # 4 wrong proofs, each from a new conversation: a per-conversation limit would never trigger.
    for attempt in range(SETTINGS.max_order_failures - 1):
        result = await verify(client, number, WRONG, f"conversation:rest:attacker-{attempt}")
        assert result == {"order_number": str(number), "verified": False, "locked": False, "retry_after_s": None}
    locking = await verify(client, number, WRONG, "conversation:rest:attacker-last")
    assert locking["locked"] is True and locking["retry_after_s"] == 15 * 60
    refused = await verify(client, number, RIGHT, "conversation:rest:the-real-owner")
    assert refused["verified"] is False and refused["locked"] is True
    assert f"ownership proof lockout: order {number:06d} locked until" in caplog.text
    assert (await client.get("/metrics", headers=AUTH)).status == 401  # the API token does not open /metrics
    metrics = await (await client.get("/metrics", headers=SCRAPE)).text()
    assert "orders_lockouts_total 1" in metrics and "orders_lockouts_active 1" in metrics
    assert "orders_proofs_refused_locked_total 1" in metrics and "orders_proofs_failed_total 5" in metrics


async def test_the_cool_down_ends_the_lockout(client: TestClient, shop: Shop, clock: Clock) -> None:
    number = await shop.order()
    for attempt in range(SETTINGS.max_order_failures):
        await verify(client, number, WRONG, f"conversation:rest:{attempt}")
    clock.advance(minutes=14)
    assert (await verify(client, number, RIGHT))["locked"] is True
    clock.advance(minutes=1, seconds=1)
    assert (await verify(client, number, RIGHT))["verified"] is True
    # The lockout used up the failures before it: one more wrong proof does not lock again.
    assert (await verify(client, number, WRONG))["locked"] is False


async def test_failures_outside_the_window_are_forgotten(client: TestClient, shop: Shop, clock: Clock) -> None:
    number = await shop.order()
    for attempt in range(SETTINGS.max_order_failures - 1):
        await verify(client, number, WRONG, f"conversation:rest:{attempt}")
    clock.advance(minutes=16)
    assert (await verify(client, number, WRONG))["locked"] is False
    assert (await verify(client, number, RIGHT))["verified"] is True


async def test_one_client_guessing_many_orders_is_locked_out(client: TestClient, shop: Shop) -> None:
    numbers = [await shop.order() for _ in range(SETTINGS.max_client_failures)]
    results = [await verify(client, number, WRONG, "address:203.0.113.7") for number in numbers]
    assert [r["locked"] for r in results] == [False] * (SETTINGS.max_client_failures - 1) + [True]
    # The client is locked for any order, even with the right proof; another client is not.
    assert (await verify(client, numbers[0], RIGHT, "address:203.0.113.7"))["locked"] is True
    assert (await verify(client, numbers[0], RIGHT, "address:198.51.100.1"))["verified"] is True


async def test_unknown_and_existing_orders_get_the_same_answers(client: TestClient, shop: Shop) -> None:
    number = await shop.order()
    unknown = 999999
    for attempt in range(SETTINGS.max_order_failures):
        real = await verify(client, number, WRONG, f"conversation:rest:r{attempt}")
        fake = await verify(client, unknown, WRONG, f"conversation:rest:f{attempt}")
        assert {**fake, "order_number": str(number)} == real
    assert (await verify(client, unknown, RIGHT, "conversation:rest:new"))["locked"] is True


async def test_the_client_key_is_not_stored_in_plain(client: TestClient, shop: Shop, app: web.Application) -> None:
    number = await shop.order()
    await verify(client, number, WRONG, "address:203.0.113.7")
    from sqlalchemy import select

    from backends.orders.api import SERVICE
    from backends.orders.models import ProofFailure

    async with app[SERVICE]._sessions() as session:
        keys = set(await session.scalars(select(ProofFailure.key)))
    assert f"{number:06d}" in keys and not any("203.0.113.7" in key for key in keys)


# -- one-time change codes -----------------------------------------------------------------------


def delivery_order(key: str) -> tuple[int, int]:
    """Maildir keys start with <seconds>.M<microseconds>: the delivery order, finer than get_date()."""
    seconds, rest = key.split(".", 1)
    return int(seconds), int(rest[1:].split("P", 1)[0])


def mailed_codes(outbox: Path) -> list[tuple[str, str, str]]:
    """(to, subject, code) of every mail in the Maildir outbox, oldest first."""
    box = mailbox.Maildir(outbox, create=False)
    mails = [box[key] for key in sorted(box.iterkeys(), key=delivery_order)]
    found = []
    for message in mails:
        body = message.get_payload(decode=True).decode()
        found.append((message["To"], message["Subject"], re.search(r"\b(\d{8})\b", body).group(1)))
    return found


async def ask_code(client: TestClient, number: int, purpose: str = "cancel", status: int = 201) -> dict:
    return await post(client, f"/orders/{number}/change-codes", status, json={"purpose": purpose})


async def cancel_with(client: TestClient, number: int, code: str, status: int) -> dict:
    return await post(
        client, f"/orders/{number}/cancel", status, json={"reason": "chat"}, headers={"X-Change-Code": code}
    )


async def test_code_is_mailed_to_the_order_address_and_spent_once(
    client: TestClient, shop: Shop, outbox: Path, app: web.Application
) -> None:
    number = await shop.order()
    sent = await ask_code(client, number)
    assert sent["sent_to"] == "c***@example.com" and sent["purpose"] == "cancel"
    [(to, subject, code)] = mailed_codes(outbox)
    assert to == "c1@example.com" and subject == f"Your code to cancel order {number}"
    # Only a keyed hash is stored.
    from sqlalchemy import select

    from backends.orders.api import SERVICE
    from backends.orders.models import ChangeCode

    async with app[SERVICE]._sessions() as session:
        stored = list(await session.scalars(select(ChangeCode.code_hash)))
    assert stored and code not in stored[0] and len(stored[0]) == 64

    done = await cancel_with(client, number, code, 200)
    assert done["order"]["status"] == "cancelled"
    again = await post(client, f"/orders/{number}/returns", 403, json={"reason": "x"}, headers={"X-Change-Code": code})
    assert again["error"]["code"] == "code_expired"


async def test_wrong_code_changes_nothing_and_tries_are_limited(client: TestClient, shop: Shop, outbox: Path) -> None:
    number = await shop.order()
    await ask_code(client, number)
    [(_, _, code)] = mailed_codes(outbox)
    wrong = "00000000" if code != "00000000" else "11111111"
    first = await cancel_with(client, number, wrong, 403)
    assert first["error"]["code"] == "code_invalid" and "2 more tries" in first["error"]["message"]
    assert (await cancel_with(client, number, wrong, 403))["error"]["code"] == "code_invalid"
    assert (await cancel_with(client, number, wrong, 403))["error"]["code"] == "code_expired"
    # Burnt: even the right code no longer works, and the order is untouched.
    assert (await cancel_with(client, number, code, 403))["error"]["code"] == "code_expired"
    assert (await post(client, f"/orders/{number}", 200, method="GET"))["status"] == "processing"


async def test_code_expires_and_is_bound_to_its_purpose(
    client: TestClient, shop: Shop, outbox: Path, clock: Clock
) -> None:
    number = await shop.order()
    await ask_code(client, number, "shipping_address")
    [(_, _, code)] = mailed_codes(outbox)
    assert (await cancel_with(client, number, code, 403))["error"]["code"] == "code_expired"  # another purpose
    clock.advance(minutes=10, seconds=1)
    address = {**ADDRESS, "line1": "1 New Road"}
    expired = await post(
        client, f"/orders/{number}/shipping-address", 403, method="PUT", json=address, headers={"X-Change-Code": code}
    )
    assert expired["error"]["code"] == "code_expired"
    await ask_code(client, number, "shipping_address")
    fresh = mailed_codes(outbox)[-1][2]
    changed = await post(
        client, f"/orders/{number}/shipping-address", 200, method="PUT", json=address, headers={"X-Change-Code": fresh}
    )
    assert changed["shipping_address"]["line1"] == "1 New Road"


async def test_a_new_code_replaces_the_old_one_and_sends_are_limited(
    client: TestClient, shop: Shop, outbox: Path
) -> None:
    number = await shop.order()
    await ask_code(client, number)
    await ask_code(client, number)
    (_, _, old), (_, _, new) = mailed_codes(outbox)
    if old != new:
        assert (await cancel_with(client, number, old, 403))["error"]["code"] == "code_invalid"
    for _ in range(SETTINGS.code_max_sends - 2):
        await ask_code(client, number)
    limited = await ask_code(client, number, status=429)
    assert limited["error"]["code"] == "too_many_codes"
    assert len(mailed_codes(outbox)) == SETTINGS.code_max_sends


async def test_code_requests_are_validated(client: TestClient, shop: Shop) -> None:
    number = await shop.order(OrderStatus.PROCESSING)
    await ask_code(client, 999999, status=404)
    await post(client, f"/orders/{number}/change-codes", 422, json={"purpose": "delete"})
    bad = await post(client, f"/orders/{number}/cancel", 422, json={"reason": "x"}, headers={"X-Change-Code": "12ab"})
    assert bad["error"]["fields"] == {"X-Change-Code": "8 digits"}
