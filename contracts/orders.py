"""An order as the order-tracking backend describes it: statuses, lines, shipments, refunds, invoices.

One definition for every side that reads or writes an order: the backend builds these from its
database rows before it answers (backends/orders/serialize.py), the client decodes its answers into
them (service_clients/orders.py), the actions word them for the shopper (actions/order_texts.py)
and the hand-off desk shows them to agents (handoff/service.py). The backend's SQLAlchemy tables
stay its own, and its OpenAPI schema (backends/orders/openapi.py) stays the public contract; a test
checks that the JSON of these types validates against it. The JSON form is in contracts.orders_wire.

Standard library only: the Rasa venv (Python 3.10) may read orders too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum


class OrderStatus(str, Enum):
    """Where an order is in its life; the backend's status machine (backends/orders/states.py) says
    which may follow which.

    str() and format() give the value on every Python (like 3.11's StrEnum), so a status reads the
    same in a sentence, a log line and a database column."""

    PENDING_PAYMENT = "pending_payment"
    PAYMENT_FAILED = "payment_failed"
    PROCESSING = "processing"
    PACKED = "packed"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, format_spec: str) -> str:
        return format(str(self.value), format_spec)


# Statuses before the carrier has the parcel (the shopper hears "it hasn't shipped yet").
NOT_YET_SHIPPED = frozenset(
    {OrderStatus.PENDING_PAYMENT, OrderStatus.PAYMENT_FAILED, OrderStatus.PROCESSING, OrderStatus.PACKED}
)

# The other value sets of the wire format (the backend's OpenAPI enums are built from these).
REFUND_KINDS = ("return", "cancellation")
REFUND_STATUSES = ("requested", "approved", "refunded", "rejected")
CUSTOMER_TIERS = ("standard", "silver", "gold")
CHANGE_CODE_PURPOSES = ("cancel", "shipping_address", "return")


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    city: str
    postcode: str
    country: str  # ISO 3166-1 alpha-2
    line2: str | None = None


@dataclass(frozen=True)
class OrderLine:
    sku: str
    product_name: str
    colour: str | None
    size: str | None
    quantity: int
    unit_price: Decimal
    line_total: Decimal

    def label(self) -> str:
        """'2 × Trail Runner': how the bot and the agents' desk list an item."""
        return f"{self.quantity} × {self.product_name}"


@dataclass(frozen=True)
class Order:
    """Timestamps are UTC; money is Decimal in the order's currency; `number` has 6 digits."""

    number: str
    customer_id: str
    email: str
    status: OrderStatus
    placed_at: datetime
    paid_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    currency: str
    subtotal: Decimal
    shipping_cost: Decimal
    tax: Decimal
    total: Decimal
    payment_method: str
    delivery_option: str
    shipping_address: Address
    lines: tuple[OrderLine, ...]
    eta: date | None  # the carrier's ETA in transit, an estimate before shipping
    cancellable: bool
    cancellation_fee: Decimal | None  # the fee if cancelled now; None if not cancellable
    address_changeable: bool
    returnable: bool
    return_deadline: date | None
    invoice_available: bool


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    email: str
    postcode: str
    tier: str  # one of CUSTOMER_TIERS


@dataclass(frozen=True)
class TrackingEvent:
    occurred_at: datetime
    location: str
    description: str


@dataclass(frozen=True)
class Shipment:
    carrier: str
    tracking_number: str
    tracking_url: str | None
    shipped_at: datetime
    eta: date | None
    delivered_at: datetime | None
    events: tuple[TrackingEvent, ...]


@dataclass(frozen=True)
class Tracking:
    order_number: str
    status: OrderStatus
    eta: date | None
    delivery_option: str
    shipments: tuple[Shipment, ...]


@dataclass(frozen=True)
class Refund:
    id: int
    order_number: str
    kind: str  # one of REFUND_KINDS
    amount: Decimal
    currency: str
    status: str  # one of REFUND_STATUSES
    reason: str
    requested_at: datetime
    decided_at: datetime | None
    refunded_at: datetime | None


@dataclass(frozen=True)
class Cancellation:
    order: Order
    fee: Decimal
    refund: Refund | None  # None when nothing was paid


@dataclass(frozen=True)
class InvoiceLine:
    description: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Invoice:
    number: str
    order_number: str
    issued_at: datetime
    currency: str
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    shipping_cost: Decimal
    tax: Decimal
    total: Decimal
    download_path: str  # path of the PDF on the shop's web front


@dataclass(frozen=True)
class OrderReference:
    """The order a hand-off ticket is about (the `order` of the desk's HandoffRequest): its number
    alone unless the shopper may see the order; then also its value and status, which set the
    ticket's priority and appear in the agent's summary (handoff/priority.py)."""

    number: str
    total: Decimal | None = None
    currency: str | None = None
    status: OrderStatus | None = None

    @classmethod
    def of(cls, number: str, order: Order) -> OrderReference:
        return cls(number, order.total, order.currency, order.status)


@dataclass(frozen=True)
class OwnershipCheck:
    """The backend's answer to a proof: the same for an unknown order and a wrong proof."""

    verified: bool
    locked: bool = False  # too many failed proofs for this order or client: wait retry_after_s
    retry_after_s: int | None = None


@dataclass(frozen=True)
class CodeSent:
    sent_to: str  # the order's email, masked: j***@example.com
    expires_at: datetime
