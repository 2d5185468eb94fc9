"""Typed async client of the order-tracking backend (backends/orders, see its /openapi.json).

Errors are translated into a few exceptions the actions can answer in words: OrderNotFound,
ChangeRefused (with the backend's human reason), InvalidRequest, BackendUnavailable. Only idempotent
GETs are retried (connection errors and 5xx, with a short backoff); a timeout is not retried, so a
slow backend costs the shopper at most about `timeout_s`. POST/PUT are never retried.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from urllib.parse import quote

from actions.clients.http import JsonServiceClient

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8101"


class OrderStatus(str, Enum):
    PENDING_PAYMENT = "pending_payment"
    PAYMENT_FAILED = "payment_failed"
    PROCESSING = "processing"
    PACKED = "packed"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


# -- errors ------------------------------------------------------------------------------------


class OrdersError(Exception):
    """Base of every error this client raises."""


class OrderNotFound(OrdersError):
    """Unknown order (or customer / refund), or not the given customer's order."""


class ChangeRefused(OrdersError):
    """HTTP 409: the order's state does not allow the change; `reason` is a sentence for humans."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class InvalidRequest(OrdersError):
    """HTTP 422 (or 400): the request data was wrong; `fields` maps a field to what is wrong with it."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


class CodeRejected(OrdersError):
    """HTTP 403/429 on a one-time change code: `code_invalid` (wrong, tries left), `code_expired`
    (expired, spent or tried too often) or `too_many_codes`; `reason` is a sentence for humans."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class BackendUnavailable(OrdersError):
    """Connection refused, timeout, 5xx or an unexpected answer: tell the shopper to try later."""


# -- results -----------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    city: str
    postcode: str
    country: str
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


@dataclass(frozen=True)
class Order:
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
    eta: date | None
    cancellable: bool
    cancellation_fee: Decimal | None
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
    tier: str


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
    kind: str  # return | cancellation
    amount: Decimal
    currency: str
    status: str  # requested | approved | refunded | rejected
    reason: str
    requested_at: datetime
    decided_at: datetime | None
    refunded_at: datetime | None


@dataclass(frozen=True)
class Cancellation:
    order: Order
    fee: Decimal
    refund: Refund | None


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
    download_path: str


# -- parsing -----------------------------------------------------------------------------------


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _order(data: Mapping[str, Any]) -> Order:
    return Order(
        number=data["order_number"],
        customer_id=data["customer_id"],
        email=data["email"],
        status=OrderStatus(data["status"]),
        placed_at=_dt(data["placed_at"]),
        paid_at=_dt(data["paid_at"]),
        delivered_at=_dt(data["delivered_at"]),
        cancelled_at=_dt(data["cancelled_at"]),
        currency=data["currency"],
        subtotal=Decimal(data["subtotal"]),
        shipping_cost=Decimal(data["shipping_cost"]),
        tax=Decimal(data["tax"]),
        total=Decimal(data["total"]),
        payment_method=data["payment_method"],
        delivery_option=data["delivery_option"],
        shipping_address=Address(**data["shipping_address"]),
        lines=tuple(
            OrderLine(**{**line, "unit_price": Decimal(line["unit_price"]), "line_total": Decimal(line["line_total"])})
            for line in data["lines"]
        ),
        eta=_day(data["eta"]),
        cancellable=data["cancellable"],
        cancellation_fee=_money(data["cancellation_fee"]),
        address_changeable=data["address_changeable"],
        returnable=data["returnable"],
        return_deadline=_day(data["return_deadline"]),
        invoice_available=data["invoice_available"],
    )


def _refund(data: Mapping[str, Any]) -> Refund:
    return Refund(
        **{
            **data,
            "amount": Decimal(data["amount"]),
            "requested_at": _dt(data["requested_at"]),
            "decided_at": _dt(data["decided_at"]),
            "refunded_at": _dt(data["refunded_at"]),
        }
    )


def _shipment(data: Mapping[str, Any]) -> Shipment:
    return Shipment(
        carrier=data["carrier"],
        tracking_number=data["tracking_number"],
        tracking_url=data["tracking_url"],
        shipped_at=_dt(data["shipped_at"]),
        eta=_day(data["eta"]),
        delivered_at=_dt(data["delivered_at"]),
        events=tuple(TrackingEvent(_dt(e["occurred_at"]), e["location"], e["description"]) for e in data["events"]),
    )


def _invoice(data: Mapping[str, Any]) -> Invoice:
    money = {key: Decimal(data[key]) for key in ("subtotal", "shipping_cost", "tax", "total")}
    lines = tuple(
        InvoiceLine(line["description"], line["quantity"], Decimal(line["unit_price"]), Decimal(line["amount"]))
        for line in data["lines"]
    )
    return Invoice(
        number=data["number"],
        order_number=data["order_number"],
        issued_at=_dt(data["issued_at"]),
        currency=data["currency"],
        lines=lines,
        download_path=data["download_path"],
        **money,
    )


# -- the client --------------------------------------------------------------------------------


class OrdersClient(JsonServiceClient):
    service = "order backend"
    unavailable = BackendUnavailable
    env_prefix = "ORDERS"
    default_url = DEFAULT_URL

    # -- operations ----------------------------------------------------------------------------

    async def get_order(self, number: int | str, customer_id: str | None = None) -> Order:
        """With `customer_id`, raises OrderNotFound unless the order is that customer's."""
        params = {"customer_id": customer_id} if customer_id is not None else None
        return _order(await self._get(f"/orders/{_number(number)}", params))

    async def verify_owner(
        self,
        number: int | str,
        email: str | None = None,
        postcode: str | None = None,
        clients: Sequence[str] = (),
    ) -> OwnershipCheck:
        """`clients` name who is asking (conversation, address): the backend counts failures per order
        and per client and locks out guessers. Never retried: a retry would count twice."""
        body: dict[str, Any] = {key: value for key, value in (("email", email), ("postcode", postcode)) if value}
        if not body:
            raise InvalidRequest("give an email or a postcode", {"email": "or postcode required"})
        if clients:
            body["clients"] = list(clients)[:4]
        data = await self._send("POST", f"/orders/{_number(number)}/verify", body)
        return OwnershipCheck(bool(data["verified"]), bool(data.get("locked")), data.get("retry_after_s"))

    async def request_change_code(self, number: int | str, purpose: str) -> CodeSent:
        """Mails a one-time code for `purpose` (cancel, shipping_address, return) to the order's email."""
        data = await self._send("POST", f"/orders/{_number(number)}/change-codes", {"purpose": purpose})
        return CodeSent(sent_to=data["sent_to"], expires_at=_dt(data["expires_at"]))

    async def list_customer_orders(self, customer_id: str, limit: int = 5) -> list[Order]:
        """Newest first."""
        data = await self._get(f"/customers/{_segment(customer_id)}/orders", {"limit": str(limit)})
        return [_order(item) for item in data["orders"]]

    async def customer(self, customer_id: str) -> Customer:
        return Customer(**await self._get(f"/customers/{_segment(customer_id)}"))

    async def track(self, number: int | str) -> Tracking:
        data = await self._get(f"/orders/{_number(number)}/tracking")
        return Tracking(
            order_number=data["order_number"],
            status=OrderStatus(data["status"]),
            eta=_day(data["eta"]),
            delivery_option=data["delivery_option"],
            shipments=tuple(_shipment(s) for s in data["shipments"]),
        )

    async def cancel(self, number: int | str, reason: str, code: str | None = None) -> Cancellation:
        """With `code`, the backend cancels only if that one-time code is valid (CodeRejected if not)."""
        data = await self._send("POST", f"/orders/{_number(number)}/cancel", {"reason": reason}, _code(code))
        refund = _refund(data["refund"]) if data["refund"] else None
        return Cancellation(order=_order(data["order"]), fee=Decimal(data["cancellation_fee"]), refund=refund)

    async def change_shipping_address(
        self, number: int | str, address: Address | Mapping[str, Any], code: str | None = None
    ) -> Order:
        body = asdict(address) if isinstance(address, Address) else dict(address)
        return _order(await self._send("PUT", f"/orders/{_number(number)}/shipping-address", body, _code(code)))

    async def start_return(self, number: int | str, reason: str, code: str | None = None) -> Refund:
        path = f"/orders/{_number(number)}/returns"
        return _refund(await self._send("POST", path, {"reason": reason}, _code(code)))

    async def refunds(self, number: int | str) -> list[Refund]:
        data = await self._get(f"/orders/{_number(number)}/refunds")
        return [_refund(item) for item in data["refunds"]]

    async def invoice(self, number: int | str) -> Invoice:
        """Raises ChangeRefused(code='not_paid') for unpaid orders."""
        return _invoice(await self._get(f"/orders/{_number(number)}/invoice"))

    def _raise_for(self, status: int, data: Mapping[str, Any], method: str, path: str) -> None:
        error = data.get("error") or {}
        code, message = error.get("code", "unknown"), error.get("message", f"HTTP {status}")
        if status == 404:
            raise OrderNotFound(message)
        if status == 409:
            raise ChangeRefused(code, message)
        if status in (403, 429):
            raise CodeRejected(code, message)
        if status in (400, 413, 422):
            raise InvalidRequest(message, error.get("fields"))
        super()._raise_for(status, data, method, path)


def _number(number: int | str) -> str:
    text = str(number).strip().lstrip("#")
    if not (text.isdigit() and len(text) == 6):
        raise InvalidRequest("Order numbers have 6 digits, like 104532.", {"order_number": "must be 6 digits"})
    return text


def _code(code: str | None) -> dict[str, str] | None:
    return {"X-Change-Code": code} if code is not None else None


def _segment(value: str) -> str:
    return quote(str(value), safe="")


__all__ = [
    "Address",
    "BackendUnavailable",
    "Cancellation",
    "ChangeRefused",
    "CodeRejected",
    "CodeSent",
    "Customer",
    "InvalidRequest",
    "Invoice",
    "InvoiceLine",
    "Order",
    "OrderLine",
    "OrderNotFound",
    "OrderStatus",
    "OrdersClient",
    "OrdersError",
    "OwnershipCheck",
    "Refund",
    "Shipment",
    "Tracking",
    "TrackingEvent",
]
