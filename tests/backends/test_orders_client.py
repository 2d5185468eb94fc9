"""The typed client against the real app over TCP, and against a backend that is down or slow."""

from __future__ import annotations

import asyncio
import mailbox
import re
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from backends.orders.api import SERVICE
from backends.orders.service import utcnow
from contracts.orders import Address, OrderStatus, OwnershipCheck
from service_clients.orders import (
    BackendUnavailable,
    ChangeRefused,
    CodeRejected,
    InvalidRequest,
    OrderNotFound,
    OrdersClient,
)
from tests.backends.shop import TOKEN, Shop
from tests.support.servers import free_port

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def server(aiohttp_server: Any, app: web.Application) -> TestServer:
    return await aiohttp_server(app)


@pytest.fixture
async def orders(server: TestServer) -> AsyncIterator[OrdersClient]:
    async with OrdersClient(str(server.make_url("")), TOKEN) as client:
        yield client


@pytest.fixture
async def shop(server: TestServer, app: web.Application) -> Shop:
    shop = Shop(app[SERVICE])
    await shop.customer("C1")
    return shop


async def test_reads(orders: OrdersClient, shop: Shop) -> None:
    await shop.customer("C2", tier="gold")
    number = await shop.order(OrderStatus.SHIPPED)
    order = await orders.get_order(number)
    assert order.number == str(number) and order.status is OrderStatus.SHIPPED
    assert order.total == Decimal("88.15") and isinstance(order.placed_at, datetime)
    assert order.shipping_address == Address("Jane Doe", "12 Elm Street", "Springfield", "62704", "US")
    assert order.lines[0].line_total == Decimal("48.00") and order.lines[1].size is None
    assert order.cancellable is False and order.cancellation_fee is None and isinstance(order.eta, date)
    assert (await orders.get_order(f"#{number}", customer_id="C1")).number == str(number)
    with pytest.raises(OrderNotFound):
        await orders.get_order(number, customer_id="C2")
    with pytest.raises(OrderNotFound):
        await orders.get_order(999999)
    tracking = await orders.track(str(number))
    assert tracking.shipments[0].events[0].description == "Handed to UPS"
    assert tracking.eta == tracking.shipments[0].eta
    invoice = await orders.invoice(number)
    assert invoice.total == order.total and invoice.lines[0].amount == Decimal("48.00")
    assert (await orders.customer("C2")).tier == "gold"
    newer = await shop.order(OrderStatus.PACKED)
    listed = await orders.list_customer_orders("C1", limit=1)
    assert [o.number for o in listed] == [str(newer)]
    assert await orders.list_customer_orders("C2") == []


async def test_verify_owner(orders: OrdersClient, shop: Shop) -> None:
    number = await shop.order()
    assert await orders.verify_owner(number, email="C1@example.com") == OwnershipCheck(verified=True)
    assert await orders.verify_owner(number, postcode="62704", clients=["conversation:rest:a"]) == OwnershipCheck(True)
    assert await orders.verify_owner(number, postcode="10001") == OwnershipCheck(verified=False)
    assert await orders.verify_owner(999999, postcode="10001") == OwnershipCheck(verified=False)
    with pytest.raises(InvalidRequest):
        await orders.verify_owner(number)


async def test_change_code_round_trip(orders: OrdersClient, shop: Shop, outbox: Path) -> None:
    number = await shop.order(OrderStatus.PROCESSING)
    sent = await orders.request_change_code(number, "cancel")
    assert sent.sent_to == "c***@example.com"
    [mail] = list(mailbox.Maildir(outbox, create=False))
    code = re.search(r"\b(\d{8})\b", mail.get_payload()).group(1)
    wrong = "00000000" if code != "00000000" else "11111111"
    with pytest.raises(CodeRejected) as rejected:
        await orders.cancel(number, "chat", code=wrong)
    assert rejected.value.code == "code_invalid"
    assert rejected.value.details == {"tries_left": 2}  # of 3 (ORDERS_CODE_MAX_TRIES): told in the shop's words
    assert (await orders.cancel(number, "chat", code=code)).order.status == OrderStatus.CANCELLED


async def test_changes_and_refusals(orders: OrdersClient, shop: Shop) -> None:
    number = await shop.order(OrderStatus.PROCESSING)
    moved = await orders.change_shipping_address(
        number, Address("Jane Doe", "5 Oak Ave", "Austin", "78701", "US", line2="Apt 3")
    )
    assert moved.shipping_address.city == "Austin" and moved.shipping_address.line2 == "Apt 3"
    with pytest.raises(InvalidRequest) as invalid:
        await orders.change_shipping_address(number, {**vars(moved.shipping_address), "postcode": "nope"})
    assert "postcode" in invalid.value.fields
    cancellation = await orders.cancel(number, "ordered twice")
    assert cancellation.order.status is OrderStatus.CANCELLED and cancellation.fee == Decimal("0.00")
    assert cancellation.refund is not None and cancellation.refund.amount == cancellation.order.total
    shipped = await shop.order(OrderStatus.SHIPPED)
    with pytest.raises(ChangeRefused) as refused:
        await orders.cancel(shipped, "too late?")
    assert refused.value.code == "already_shipped" and "already shipped" in refused.value.reason
    assert refused.value.details == {"status": "shipped"}
    with pytest.raises(ChangeRefused) as not_delivered:
        await orders.start_return(shipped, "not yet delivered")
    assert not_delivered.value.code == "not_delivered" and not_delivered.value.details == {"status": "shipped"}
    with pytest.raises(InvalidRequest):
        await orders.get_order("12345")


async def test_return_and_refunds(orders: OrdersClient, shop: Shop) -> None:
    number = await shop.order(OrderStatus.DELIVERED, delivered_at=utcnow() - timedelta(days=1))
    refund = await orders.start_return(number, "wrong colour")
    assert refund.status == "requested" and refund.kind == "return" and refund.amount == Decimal("83.16")
    assert await orders.refunds(number) == [refund]
    unpaid = await shop.order(OrderStatus.PENDING_PAYMENT)
    with pytest.raises(ChangeRefused) as refused:
        await orders.invoice(unpaid)
    assert refused.value.code == "not_paid" and refused.value.details == {"status": "pending_payment"}


async def test_wrong_token_is_backend_unavailable(server: TestServer, shop: Shop) -> None:
    async with OrdersClient(str(server.make_url("")), "wrong-token") as client:
        with pytest.raises(BackendUnavailable, match="401"):
            await client.get_order(100001)


async def test_backend_down_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERS_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    monkeypatch.setenv("ORDERS_API_TOKEN", TOKEN)
    async with OrdersClient.from_env() as client:
        started = time.monotonic()
        with pytest.raises(BackendUnavailable):
            await client.get_order(100001)
        with pytest.raises(BackendUnavailable):
            await client.cancel(100001, "reason")
        assert time.monotonic() - started < 1.5


class SlowBackend:
    """A real HTTP server that answers after `delay_s` and counts the requests it received."""

    def __init__(self, delay_s: float, status: int = 200) -> None:
        self.delay_s, self.status, self.hits = delay_s, status, 0

    async def handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        await asyncio.sleep(self.delay_s)
        return web.json_response({"error": {"code": "x", "message": "boom"}}, status=self.status)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app


async def test_slow_backend_times_out_without_retrying(aiohttp_server: Any) -> None:
    slow = SlowBackend(delay_s=3)
    server = await aiohttp_server(slow.app())
    async with OrdersClient(str(server.make_url("")), TOKEN, timeout_s=0.3, get_retries=2) as client:
        started = time.monotonic()
        with pytest.raises(BackendUnavailable, match="timed out"):
            await client.get_order(100001)
        assert time.monotonic() - started < 1.0
        with pytest.raises(BackendUnavailable):
            await client.cancel(100001, "reason")
    assert slow.hits == 2


async def test_5xx_retries_gets_but_never_posts(aiohttp_server: Any) -> None:
    failing = SlowBackend(delay_s=0, status=503)
    server = await aiohttp_server(failing.app())
    async with OrdersClient(str(server.make_url("")), TOKEN, get_retries=2) as client:
        with pytest.raises(BackendUnavailable):
            await client.track(100001)
        assert failing.hits == 3
        with pytest.raises(BackendUnavailable):
            await client.start_return(100001, "reason")
        assert failing.hits == 4
        with pytest.raises(BackendUnavailable):
            await client.change_shipping_address(100001, {"city": "x"})
        assert failing.hits == 5


async def test_session_is_shared_and_closed(server: TestServer, shop: Shop) -> None:
    client = OrdersClient(str(server.make_url("")), TOKEN)
    number = await shop.order()
    await client.get_order(number)
    session = client._session
    await client.track(number)
    assert client._session is session and session is not None
    await client.close()
    assert session.closed
