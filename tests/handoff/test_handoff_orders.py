"""The conversation view's order list comes from the real orders backend; when that backend is down
the agent gets a note instead of an error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backends.orders.api import SERVICE as ORDERS_SERVICE
from backends.orders.app import create_app as create_orders_app
from contracts.orders import OrderStatus
from handoff.app import create_app
from service_clients.orders import OrdersClient
from tests.backends.shop import TOKEN as ORDERS_TOKEN
from tests.backends.shop import Shop
from tests.handoff.handoff_support import Desk, FakeRelay, make_settings


async def desk_with_orders(aiohttp_client: Any, db_url: str, relay: FakeRelay, orders_url: str) -> Desk:
    app = create_app(
        make_settings(db_url, relay.url),
        connectors=[],
        env={},
        orders=lambda: OrdersClient(orders_url, ORDERS_TOKEN, timeout_s=1.0, get_retries=0),
    )
    return Desk(app, await aiohttp_client(app), relay)


async def test_agent_sees_the_customers_orders(
    aiohttp_client: Any, aiohttp_server: Any, db_url: str, relay: FakeRelay, tmp_path: Path
) -> None:
    orders_app = create_orders_app(f"sqlite+aiosqlite:///{tmp_path / 'orders.sqlite'}", ORDERS_TOKEN)
    orders_server = await aiohttp_server(orders_app)
    shop = Shop(orders_app[ORDERS_SERVICE])
    await shop.customer("C1")
    shipped = await shop.order(OrderStatus.SHIPPED)
    delivered = await shop.order(OrderStatus.DELIVERED)
    desk = await desk_with_orders(aiohttp_client, db_url, relay, str(orders_server.make_url("")).rstrip("/"))
    alex = await desk.agent("alex")
    ticket = await desk.handoff()
    status, body = await alex.request("GET", f"/desk/api/tickets/{ticket['ticket_id']}/orders")
    assert status == 200 and body["available"] and body["note"] is None
    by_number = {order["number"]: order for order in body["orders"]}
    assert set(by_number) == {str(shipped), str(delivered)}
    assert by_number[str(shipped)]["status"] == "shipped"
    assert by_number[str(shipped)]["items"] == ["2 × Organic Cotton T-Shirt", "1 × Steel Bottle"]

    guest = await desk.handoff("guest-conv", customer={})
    status, body = await alex.request("GET", f"/desk/api/tickets/{guest['ticket_id']}/orders")
    assert status == 200 and not body["available"] and "Guest" in body["note"]
    await alex.close()


async def test_orders_backend_down_is_a_note(aiohttp_client: Any, db_url: str, relay: FakeRelay) -> None:
    desk = await desk_with_orders(aiohttp_client, db_url, relay, "http://127.0.0.1:9")
    alex = await desk.agent("alex")
    ticket = await desk.handoff()
    status, body = await alex.request("GET", f"/desk/api/tickets/{ticket['ticket_id']}/orders")
    assert status == 200 and body == {
        "available": False,
        "note": "Orders unavailable right now (the order system did not answer).",
        "orders": [],
    }
    # The rest of the conversation view still works.
    status, view = await alex.request("GET", f"/desk/api/tickets/{ticket['ticket_id']}")
    assert status == 200 and view["summary"]
    await alex.close()
