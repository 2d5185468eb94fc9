"""A stand-in for the order backend's client, for unit tests of the actions' own logic.

It answers with the shared order types of contracts.orders (so the texts are rendered from real
orders), keeps every call for the test to check, and fails the way the real client does when told to: `down`
makes every call raise BackendUnavailable, `fail[operation]` raises a given error for one operation.
The real backend and client are tested in tests/backends; the whole conversation in tests/e2e."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from contracts.orders import (
    Address,
    Cancellation,
    CodeSent,
    Invoice,
    Order,
    OrderLine,
    OrderStatus,
    OwnershipCheck,
    Refund,
    Tracking,
)
from service_clients.orders import BackendUnavailable, OrderNotFound

PLACED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def make_order(number: str = "104532", customer_id: str = "C7", status: str = "processing", **changes: Any) -> Order:
    """An order as the backend describes one; `changes` set any other field."""
    not_shipped = status in ("pending_payment", "processing", "packed")
    order = Order(
        number=number,
        customer_id=customer_id,
        email="jane@example.com",
        status=OrderStatus(status),
        placed_at=PLACED,
        paid_at=PLACED,
        delivered_at=None,
        cancelled_at=None,
        currency="USD",
        subtotal=Decimal("89.00"),
        shipping_cost=Decimal("5.00"),
        tax=Decimal("6.00"),
        total=Decimal("100.00"),
        payment_method="card",
        delivery_option="standard",
        shipping_address=Address("Jane Doe", "1 Elm Street", "Springfield", "62704", "US"),
        lines=(OrderLine("TR-1", "Trail Runner", "blue", "42", 1, Decimal("89.00"), Decimal("89.00")),),
        eta=date(2026, 11, 27),
        cancellable=not_shipped,
        cancellation_fee=Decimal("0"),
        address_changeable=not_shipped,
        returnable=status == "delivered",
        return_deadline=date(2026, 12, 27) if status == "delivered" else None,
        invoice_available=True,
    )
    return replace(order, **changes)


def make_refund(order: Order, kind: str = "return", status: str = "requested") -> Refund:
    return Refund(
        1, order.number, kind, order.total, order.currency, status, "requested by the customer", PLACED, None, None
    )


class FakeOrders:
    """Records calls; knows the orders it was given; `customer_id` scoping like the backend's."""

    def __init__(self, *orders: Order) -> None:
        self.orders = {order.number: order for order in orders}
        self.calls: list[tuple[str, Any]] = []
        self.check = OwnershipCheck(verified=False)
        self.down = False
        self.fail: dict[str, Exception] = {}

    def _call(self, operation: str, *args: Any) -> None:
        self.calls.append((operation, *args))
        if self.down:
            raise BackendUnavailable(f"order backend unreachable ({operation})")
        if operation in self.fail:
            raise self.fail[operation]

    def called(self, operation: str) -> list[tuple[str, Any]]:
        return [call for call in self.calls if call[0] == operation]

    def _order(self, number: str, customer_id: str | None = None) -> Order:
        order = self.orders.get(str(number))
        if order is None or (customer_id is not None and order.customer_id != customer_id):
            raise OrderNotFound(f"order {number} not found")
        return order

    async def get_order(self, number: str, customer_id: str | None = None) -> Order:
        self._call("get_order", number, customer_id)
        return self._order(number, customer_id)

    async def list_customer_orders(self, customer_id: str, limit: int = 5) -> list[Order]:
        self._call("list_customer_orders", customer_id, limit)
        return [order for order in self.orders.values() if order.customer_id == customer_id][:limit]

    async def verify_owner(self, number: str, **proof: Any) -> OwnershipCheck:
        self._call("verify_owner", number, proof)
        return self.check

    async def track(self, number: str) -> Tracking:
        self._call("track", number)
        order = self._order(number)
        return Tracking(order.number, order.status, order.eta, order.delivery_option, ())

    async def invoice(self, number: str) -> Invoice:
        self._call("invoice", number)
        order = self._order(number)
        return Invoice(
            "INV-1",
            order.number,
            PLACED,
            order.currency,
            (),
            order.subtotal,
            order.shipping_cost,
            order.tax,
            order.total,
            f"/orders/{order.number}/invoice.pdf",
        )

    async def refunds(self, number: str) -> list[Refund]:
        self._call("refunds", number)
        return []

    async def request_change_code(self, number: str, purpose: str) -> CodeSent:
        self._call("request_change_code", number, purpose)
        return CodeSent(sent_to="j***@example.com", expires_at=datetime.now(UTC) + timedelta(minutes=10))

    async def cancel(self, number: str, reason: str, code: str | None = None) -> Cancellation:
        self._call("cancel", number, code)
        order = replace(self._order(number), status=OrderStatus.CANCELLED, cancellable=False)
        return Cancellation(order, Decimal("0"), make_refund(order, kind="cancellation", status="approved"))

    async def start_return(self, number: str, reason: str, code: str | None = None) -> Refund:
        self._call("start_return", number, code)
        return make_refund(self._order(number))

    async def change_shipping_address(self, number: str, address: dict[str, Any], code: str | None = None) -> Order:
        self._call("change_shipping_address", number, address, code)
        return replace(self._order(number), shipping_address=Address(**address))
