"""Regression tests for what schemathesis found in the order API, on SQLite and PostgreSQL.

Numbers the database cannot hold: PostgreSQL ids are 32-bit, so a refund id of 2**40 reached the
query and came back as a 503 "database unavailable" (SQLite: a 500 from 2**63) instead of a 404.
Both stores must answer the same: 404 for an id no refund can have, 422 for what is not a number.
And the X-Actor header's rule is now the one the spec states."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from backends.orders.openapi import ACTOR_PATTERN
from tests.backends.shop import AUTH, Shop

DECISION = {"status": "approved"}


async def answer(client: TestClient, method: str, path: str, **kwargs: object) -> tuple[int, dict]:
    response = await client.request(method, path, headers=AUTH, **kwargs)
    return response.status, await response.json()


async def test_refund_ids_beyond_32_bits_are_not_found(client: TestClient, shop: Shop) -> None:
    # The last one is longer than Python's int() accepts from text (4,300 digits).
    for refund_id in (str(2**31), str(2**40), str(2**63), "1" + "0" * 30, "9" * 5000):
        status, body = await answer(client, "POST", f"/refunds/{refund_id}/decision", json=DECISION)
        assert status == 404, (refund_id, body)
        assert body["error"]["code"] == "refund_not_found"
    status, body = await answer(client, "POST", f"/refunds/{2**31 - 1}/decision", json=DECISION)
    assert status == 404 and body["error"]["code"] == "refund_not_found"  # the largest id still reaches the query
    status, body = await answer(client, "POST", "/refunds/0/decision", json=DECISION)
    assert status == 404


async def test_refund_ids_that_are_not_ascii_numbers_are_invalid(client: TestClient, shop: Shop) -> None:
    for raw in ("²", "٣", "-1", "1e3", "12a"):
        status, body = await answer(client, "POST", f"/refunds/{raw}/decision", json=DECISION)
        assert status == 422, (raw, body)
        assert body["error"]["fields"] == {"refund_id": "must be a number"}


async def test_list_limit_rejects_unicode_digits(client: TestClient, shop: Shop) -> None:
    for raw in ("²", "٣", "0", "51", "99999999999999999999"):
        status, body = await answer(client, "GET", f"/customers/C1/orders?limit={raw}")
        assert status == 422, (raw, body)
        assert "limit" in body["error"]["fields"]
    status, _ = await answer(client, "GET", "/customers/C1/orders?limit=50")
    assert status == 200


async def test_actor_header_is_checked_as_the_spec_says(client: TestClient, shop: Shop) -> None:
    number = await shop.order()
    for actor in ("&r", "a b", "x" * 65):
        response = await client.post(
            f"/orders/{number}/cancel", json={"reason": "changed my mind"}, headers={**AUTH, "X-Actor": actor}
        )
        assert response.status == 422 and (await response.json())["error"]["fields"] == {"X-Actor": "invalid"}
    pattern = (await (await client.get("/openapi.json")).json())["components"]["parameters"]["Actor"]["schema"]
    assert pattern["pattern"] == ACTOR_PATTERN
    ok = await client.post(
        f"/orders/{number}/cancel", json={"reason": "changed my mind"}, headers={**AUTH, "X-Actor": "agent:jo.b@shop"}
    )
    assert ok.status == 200
