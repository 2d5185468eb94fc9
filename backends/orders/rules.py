"""Shop rules that are pure functions of an order and the current time (no I/O).

- Cancellation: free while pending payment, and while processing within 24 hours of placing the
  order (gold-tier customers: always free); later a flat fee of 4.95 (never more than the total).
- Returns: delivered orders, within 30 days of delivery, one return per order; shipping is not
  refunded.
- Address changes: until the order ships (pending payment, payment failed, processing, packed).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from backends.orders.errors import Invalid
from backends.orders.models import Order
from backends.orders.states import ADDRESS_CHANGEABLE, CANCELLABLE
from contracts.orders import OrderStatus

RETURN_WINDOW = timedelta(days=30)
FREE_CANCELLATION_PERIOD = timedelta(hours=24)
CANCELLATION_FEE = Decimal("4.95")
OPEN_REFUND_STATUSES = frozenset({"requested", "approved", "refunded"})

HANDLING_DAYS = 1
DELIVERY_OPTIONS: dict[str, tuple[str, int]] = {  # option -> (carrier, transit days)
    "standard": ("UPS", 5),
    "express": ("FedEx", 2),
    "next_day": ("DHL Express", 1),
}
TRACKING_URLS = {
    "UPS": "https://www.ups.com/track?tracknum={}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
    "DHL Express": "https://www.dhl.com/en/express/tracking.html?AWB={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
}

POSTCODE_FORMATS: dict[str, re.Pattern[str]] = {
    "US": re.compile(r"\d{5}(-\d{4})?"),
    "CA": re.compile(r"[A-Z]\d[A-Z] ?\d[A-Z]\d"),
    "GB": re.compile(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"),
    "DE": re.compile(r"\d{5}"),
    "FR": re.compile(r"\d{5}"),
    "NL": re.compile(r"\d{4} ?[A-Z]{2}"),
}


def cancellation_fee(order: Order, now: datetime) -> Decimal | None:
    """The fee to cancel now, or None when the order can't be cancelled at all."""
    status = OrderStatus(order.status)
    if status not in CANCELLABLE:
        return None
    if status == OrderStatus.PENDING_PAYMENT or order.customer.tier == "gold":
        return Decimal("0.00")
    if now - order.placed_at <= FREE_CANCELLATION_PERIOD:
        return Decimal("0.00")
    return min(CANCELLATION_FEE, order.total)


def return_deadline(order: Order) -> datetime | None:
    return order.delivered_at + RETURN_WINDOW if order.delivered_at else None


def has_return(order: Order) -> bool:
    return any(r.kind == "return" and r.status in OPEN_REFUND_STATUSES for r in order.refunds)


def returnable(order: Order, now: datetime) -> bool:
    deadline = return_deadline(order)
    return order.status == OrderStatus.DELIVERED and deadline is not None and now <= deadline and not has_return(order)


def address_changeable(order: Order) -> bool:
    return OrderStatus(order.status) in ADDRESS_CHANGEABLE


def transit_days(delivery_option: str) -> int:
    return DELIVERY_OPTIONS.get(delivery_option, DELIVERY_OPTIONS["standard"])[1]


def default_carrier(delivery_option: str) -> str:
    return DELIVERY_OPTIONS.get(delivery_option, DELIVERY_OPTIONS["standard"])[0]


def tracking_number_for(carrier: str, order_number: int, sequence: int) -> str:
    """Deterministic, carrier-looking tracking numbers (the demo has no real carrier)."""
    digits = f"{order_number * 7919 + sequence * 104729:010d}"[-10:]
    if carrier == "UPS":
        return f"1Z999AA1{digits}"
    if carrier == "DHL Express":
        return f"JD01{digits}"
    return f"7{digits}{sequence % 10}"


def tracking_url(carrier: str, tracking_number: str) -> str | None:
    template = TRACKING_URLS.get(carrier)
    return template.format(tracking_number) if template else None


def current_eta(order: Order) -> date | None:
    """Carrier ETA while in transit; an estimate before shipping; none once finished."""
    status = OrderStatus(order.status)
    if status in {OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.RETURNED, OrderStatus.PAYMENT_FAILED}:
        return None
    open_etas = [s.eta for s in order.shipments if s.delivered_at is None and s.eta is not None]
    if open_etas:
        return max(open_etas)
    if status in {OrderStatus.PROCESSING, OrderStatus.PACKED}:
        start = order.paid_at or order.placed_at
        return (start + timedelta(days=HANDLING_DAYS + transit_days(order.delivery_option))).date()
    return None


def _clean(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def validate_address(data: dict[str, Any]) -> dict[str, Any]:
    """Normalises (trims, upper-cases postcode/country) and checks a shipping address.

    The JSON schema already checked types and lengths; this checks meaning.
    """
    address = {key: _clean(data.get(key)) for key in ("name", "line1", "line2", "city", "postcode", "country")}
    address["postcode"] = address["postcode"].upper()
    address["country"] = address["country"].upper()
    problems: dict[str, str] = {}
    for key in ("name", "line1", "city"):
        if not address[key]:
            problems[key] = "must not be empty"
    if address["city"] and not re.search(r"[^\W\d_]", address["city"]):
        problems["city"] = "must contain letters"
    pattern = POSTCODE_FORMATS.get(address["country"])
    if pattern is None:
        problems["country"] = f"we ship to {', '.join(sorted(POSTCODE_FORMATS))} only"
    elif not pattern.fullmatch(address["postcode"]):
        problems["postcode"] = f"is not a valid postcode for {address['country']}"
    if problems:
        summary = "; ".join(f"{key} {why}" for key, why in problems.items())
        raise Invalid(f"The address is not valid: {summary}.", fields=problems)
    return {**address, "line2": address["line2"] or None}
