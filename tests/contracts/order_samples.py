"""Sample orders of every shape the wire format has: nulls and values, several lines, a shipment
with events. Shared by the contract's own tests and the check against the backend's OpenAPI schema."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

from contracts.orders import (
    Address,
    Cancellation,
    Customer,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    OrderStatus,
    OwnershipCheck,
    Refund,
    Shipment,
    Tracking,
    TrackingEvent,
)

PLACED = datetime(2026, 11, 20, 9, 30, 5, tzinfo=timezone.utc)
SHIPPED = datetime(2026, 11, 21, 16, 0, tzinfo=timezone.utc)

DELIVERED = Order(
    number="104532",
    customer_id="C7",
    email="jane@example.com",
    status=OrderStatus.DELIVERED,
    placed_at=PLACED,
    paid_at=PLACED,
    delivered_at=datetime(2026, 11, 24, 11, 15, tzinfo=timezone.utc),
    cancelled_at=None,
    currency="USD",
    subtotal=Decimal("139.80"),
    shipping_cost=Decimal("5.00"),
    tax=Decimal("11.18"),
    total=Decimal("155.98"),
    payment_method="card",
    delivery_option="standard",
    shipping_address=Address("Jane Doe", "1 Elm Street", "Springfield", "62704", "US", line2="Apt 4"),
    lines=(
        OrderLine("TR-1", "Trail Runner", "blue", "42", 1, Decimal("89.90"), Decimal("89.90")),
        OrderLine("SK-2", "Wool Socks", None, None, 2, Decimal("24.95"), Decimal("49.90")),
    ),
    eta=None,
    cancellable=False,
    cancellation_fee=None,
    address_changeable=False,
    returnable=True,
    return_deadline=date(2026, 12, 24),
    invoice_available=True,
)

PROCESSING = replace(
    DELIVERED,
    number="104533",
    status=OrderStatus.PROCESSING,
    delivered_at=None,
    paid_at=None,
    shipping_address=Address("Jane Doe", "1 Elm Street", "Springfield", "62704", "US"),
    eta=date(2026, 11, 27),
    cancellable=True,
    cancellation_fee=Decimal("0.00"),
    address_changeable=True,
    returnable=False,
    return_deadline=None,
    invoice_available=False,
)

REFUND = Refund(7, "104532", "return", Decimal("139.80"), "USD", "requested", "too big", PLACED, None, None)

TRACKING = Tracking(
    order_number="104532",
    status=OrderStatus.SHIPPED,
    eta=date(2026, 11, 24),
    delivery_option="standard",
    shipments=(
        Shipment(
            carrier="UPS",
            tracking_number="1Z999AA10123456784",
            tracking_url="https://www.ups.com/track?tracknum=1Z999AA10123456784",
            shipped_at=SHIPPED,
            eta=date(2026, 11, 24),
            delivered_at=None,
            events=(TrackingEvent(SHIPPED, "Columbus, OH, US", "Picked up by the carrier"),),
        ),
    ),
)

INVOICE = Invoice(
    number="INV-2026-104532",
    order_number="104532",
    issued_at=PLACED,
    currency="USD",
    lines=(InvoiceLine("Trail Runner", 1, Decimal("89.90"), Decimal("89.90")),),
    subtotal=Decimal("89.90"),
    shipping_cost=Decimal("5.00"),
    tax=Decimal("7.19"),
    total=Decimal("102.09"),
    download_path="/invoices/INV-2026-104532.pdf",
)

CUSTOMER = Customer("C7", "Jane Doe", "jane@example.com", "62704", "gold")
CANCELLATION = Cancellation(PROCESSING, Decimal("0.00"), None)
PAID_CANCELLATION = Cancellation(PROCESSING, Decimal("4.50"), REFUND)
LOCKED_OUT = OwnershipCheck(verified=False, locked=True, retry_after_s=900)
