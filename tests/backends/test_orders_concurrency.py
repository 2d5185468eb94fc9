"""Concurrent changes of one order over real HTTP, on SQLite and on PostgreSQL: exactly one wins.

SQLite ignores SELECT … FOR UPDATE, so a read-check-write lets every concurrent request pass the
status check; the service claims with a conditional UPDATE (checked by its row count) and a partial
unique index allows one open refund per order and kind.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from aiohttp.test_utils import TestClient

from contracts.orders import OrderStatus
from tests.backends.shop import ADDRESS, AUTH, Shop

pytestmark = pytest.mark.asyncio

REQUESTS = 12


async def at_once(client: TestClient, method: str, path: str, bodies: list[dict]) -> list[tuple[int, dict]]:
    async def one(body: dict) -> tuple[int, dict]:
        response = await client.request(method, path, json=body, headers=AUTH)
        return response.status, await response.json()

    return await asyncio.gather(*(one(body) for body in bodies))


def refusal_codes(results: list[tuple[int, dict]]) -> Counter:
    return Counter(body["error"]["code"] for status, body in results if status == 409)


async def test_concurrent_cancellations_make_one_refund(client: TestClient, shop: Shop) -> None:
    number = await shop.order(OrderStatus.PROCESSING)  # paid: a cancellation refunds
    results = await at_once(client, "POST", f"/orders/{number}/cancel", [{"reason": "x"}] * REQUESTS)
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: REQUESTS - 1}, results
    assert set(refusal_codes(results)) == {"not_cancellable"}  # "already cancelled", a clear reason
    refunds = (await (await client.get(f"/orders/{number}/refunds", headers=AUTH)).json())["refunds"]
    assert len(refunds) == 1 and refunds[0]["kind"] == "cancellation"


async def test_concurrent_returns_open_one_refund(client: TestClient, shop: Shop) -> None:
    number = await shop.order(OrderStatus.DELIVERED)
    results = await at_once(client, "POST", f"/orders/{number}/returns", [{"reason": "x"}] * REQUESTS)
    assert Counter(status for status, _ in results) == {201: 1, 409: REQUESTS - 1}, results
    assert set(refusal_codes(results)) == {"return_exists"}
    refunds = (await (await client.get(f"/orders/{number}/refunds", headers=AUTH)).json())["refunds"]
    assert [r["kind"] for r in refunds] == ["return"]


async def test_concurrent_refund_decisions_pay_once(client: TestClient, shop: Shop) -> None:
    number = await shop.order(OrderStatus.DELIVERED)
    refund = (await (await client.post(f"/orders/{number}/returns", json={"reason": "x"}, headers=AUTH)).json())["id"]
    await client.post(f"/refunds/{refund}/decision", json={"status": "approved"}, headers=AUTH)
    results = await at_once(client, "POST", f"/refunds/{refund}/decision", [{"status": "refunded"}] * REQUESTS)
    assert Counter(status for status, _ in results) == {200: 1, 409: REQUESTS - 1}, results
    audit = (await (await client.get(f"/orders/{number}/audit", headers=AUTH)).json())["entries"]
    assert [e["new"] for e in audit if e["field"] == "status"].count("returned") == 1


async def test_cancel_racing_the_warehouse_one_wins(client: TestClient, shop: Shop) -> None:
    number = await shop.order(OrderStatus.PROCESSING)

    async def cancel() -> int:
        return (await client.post(f"/orders/{number}/cancel", json={"reason": "x"}, headers=AUTH)).status

    async def pack() -> int:
        return (await client.post(f"/orders/{number}/status", json={"status": "packed"}, headers=AUTH)).status

    results = await asyncio.gather(*(cancel() if i % 2 else pack() for i in range(REQUESTS)))
    assert results.count(200) == 1, results
    order = await (await client.get(f"/orders/{number}", headers=AUTH)).json()
    refunds = (await (await client.get(f"/orders/{number}/refunds", headers=AUTH)).json())["refunds"]
    assert (order["status"], len(refunds)) in {("cancelled", 1), ("packed", 0)}


async def test_address_change_racing_the_shipment_never_redirects_a_shipped_parcel(
    client: TestClient, shop: Shop
) -> None:
    number = await shop.order(OrderStatus.PACKED)
    new = {**ADDRESS, "line1": "99 Thief Lane"}

    async def redirect() -> int:
        return (await client.put(f"/orders/{number}/shipping-address", json=new, headers=AUTH)).status

    async def ship() -> int:
        return (await client.post(f"/orders/{number}/status", json={"status": "shipped"}, headers=AUTH)).status

    results = await asyncio.gather(ship(), *(redirect() for _ in range(REQUESTS - 1)))
    assert results[0] == 200
    audit = (await (await client.get(f"/orders/{number}/audit", headers=AUTH)).json())["entries"]
    changes = [e["action"] for e in audit if e["action"] in ("set_status", "change_shipping_address")]
    shipped_at = len(changes) - 1 - changes[::-1].index("set_status")  # the last status change: shipped
    assert "change_shipping_address" not in changes[shipped_at:], changes
