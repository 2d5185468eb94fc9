"""The price learner's loop over HTTP between the real services (SQLite and PostgreSQL): the orders
backend and the pricing backend each on a real port, the pricing service's own outcome timer reading the
orders backend with the real client. A learned quote followed by an order of the quoted SKU moves that
arm's alpha; a learned quote with no order gets `bought=false` once the window has passed."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from backends.orders.service import utcnow as orders_now
from backends.pricing.app import create_app
from backends.pricing.learning.outcomes import OutcomeSettings
from backends.pricing.learning.settings import LearnerSettings
from backends.pricing.outcomes import OrderPurchases, OrdersReader
from tests.backends.shop import TOKEN as ORDERS_TOKEN
from tests.backends.shop import Shop

PRICING_TOKEN = "pricing-test-token-0123"
AUTH = {"Authorization": f"Bearer {PRICING_TOKEN}"}
WINDOW = timedelta(seconds=6)
TEE = {
    "sku": "TSH-BLK-M",  # on every order the test shop places
    "product_id": "organic-tee",
    "category": "apparel/clothing/tops",
    "base_price": "24.00",
    "personalisation_consent": True,
}


async def call(client: TestClient, method: str, path: str, **kwargs: Any) -> Any:
    response = await client.request(method, path, headers=AUTH, **kwargs)
    body = await response.json()
    assert response.status == 200, body
    return body


async def arm_of(pricing: TestClient, quote: dict[str, Any]) -> dict[str, Any]:
    learned = quote["learner"]
    arms = await call(pricing, "GET", "/learner/arms", params={"segment": learned["segment"]})
    return next(a for a in arms["arms"] if a["discount"] == learned["discount"])


async def until(check: Any, timeout_s: float = 15) -> None:
    for _ in range(int(timeout_s / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the outcome sweep did not record the outcome in time")


async def test_a_quote_then_a_purchase_moves_the_arm_and_a_quote_without_one_is_not_bought(
    aiohttp_client: Any, client: TestClient, shop: Shop, tmp_path: Path
) -> None:
    await shop.customer("C2")
    reader = OrdersReader(str(client.make_url("")), ORDERS_TOKEN, timeout_s=2)
    settings = OutcomeSettings(window=WINDOW, sweep_every=timedelta(seconds=0.3))
    app = create_app(
        f"sqlite+aiosqlite:///{tmp_path / 'pricing.sqlite'}",
        PRICING_TOKEN,
        learner=LearnerSettings(enabled=True),
        rng=random.Random(5),
        outcomes=(settings, OrderPurchases(reader)),
    )
    pricing = await aiohttp_client(app)

    buyer = await call(pricing, "POST", "/quotes", json={**TEE, "customer_id": "C1"})
    browser = await call(pricing, "POST", "/quotes", json={**TEE, "customer_id": "C2"})
    quoted = time.monotonic()
    assert buyer["learner"] and browser["learner"]
    assert buyer["learner"]["segment"] == browser["learner"]["segment"] == "new"
    buyer_before, browser_before = await arm_of(pricing, buyer), await arm_of(pricing, browser)
    await shop.order(customer_id="C1", placed_at=orders_now())  # C1 checks out; C2 never does

    async def bought() -> bool:
        return (await arm_of(pricing, buyer))["purchases"] == buyer_before["purchases"] + 1

    await until(bought)
    assert (await arm_of(pricing, buyer))["alpha"] == pytest.approx(buyer_before["alpha"] + 1)
    if time.monotonic() - quoted < WINDOW.total_seconds() - 1:  # C2's window still open: no verdict yet
        assert (await arm_of(pricing, browser))["beta"] == pytest.approx(browser_before["beta"])

    async def not_bought() -> bool:
        return (await arm_of(pricing, browser))["beta"] == pytest.approx(browser_before["beta"] + 1)

    await until(not_bought)
    # Decided once each: after another window nothing has changed.
    settled = await arm_of(pricing, browser), await arm_of(pricing, buyer)
    await asyncio.sleep(WINDOW.total_seconds())
    assert (await arm_of(pricing, browser), await arm_of(pricing, buyer)) == settled
