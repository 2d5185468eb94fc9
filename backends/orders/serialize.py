"""ORM rows → JSON-ready dicts (the shapes described in openapi.json).

Money is a string with two decimals ("59.90") so no client ever sees a float rounding error.
Timestamps are ISO 8601 in UTC with a trailing "Z".
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from backends.orders import rules
from backends.orders.models import Customer, Invoice, Order, Refund, Shipment


def money(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def when(value: datetime | None) -> str | None:
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def order_number(number: int) -> str:
    return f"{number:06d}"


def customer(row: Customer) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "email": row.email, "postcode": row.postcode, "tier": row.tier}


def address(row: Order) -> dict[str, Any]:
    return {
        "name": row.ship_name,
        "line1": row.ship_line1,
        "line2": row.ship_line2,
        "city": row.ship_city,
        "postcode": row.ship_postcode,
        "country": row.ship_country,
    }


def order(row: Order, now: datetime) -> dict[str, Any]:
    fee = rules.cancellation_fee(row, now)
    deadline = rules.return_deadline(row)
    return {
        "order_number": order_number(row.number),
        "customer_id": row.customer_id,
        "email": row.email,
        "status": row.status,
        "placed_at": when(row.placed_at),
        "paid_at": when(row.paid_at),
        "delivered_at": when(row.delivered_at),
        "cancelled_at": when(row.cancelled_at),
        "currency": row.currency,
        "subtotal": money(row.subtotal),
        "shipping_cost": money(row.shipping_cost),
        "tax": money(row.tax),
        "total": money(row.total),
        "payment_method": row.payment_method,
        "delivery_option": row.delivery_option,
        "shipping_address": address(row),
        "lines": [
            {
                "sku": line.sku,
                "product_name": line.product_name,
                "colour": line.colour,
                "size": line.size,
                "quantity": line.quantity,
                "unit_price": money(line.unit_price),
                "line_total": money(line.unit_price * line.quantity),
            }
            for line in row.lines
        ],
        "eta": day(rules.current_eta(row)),
        "cancellable": fee is not None,
        "cancellation_fee": None if fee is None else money(fee),
        "address_changeable": rules.address_changeable(row),
        "returnable": rules.returnable(row, now),
        "return_deadline": day(deadline.date()) if deadline else None,
        "invoice_available": row.invoice is not None,
    }


def shipment(row: Shipment) -> dict[str, Any]:
    return {
        "carrier": row.carrier,
        "tracking_number": row.tracking_number,
        "tracking_url": rules.tracking_url(row.carrier, row.tracking_number),
        "shipped_at": when(row.shipped_at),
        "eta": day(row.eta),
        "delivered_at": when(row.delivered_at),
        "events": [
            {"occurred_at": when(e.occurred_at), "location": e.location, "description": e.description}
            for e in row.events
        ],
    }


def tracking(row: Order) -> dict[str, Any]:
    return {
        "order_number": order_number(row.number),
        "status": row.status,
        "eta": day(rules.current_eta(row)),
        "delivery_option": row.delivery_option,
        "shipments": [shipment(s) for s in row.shipments],
    }


def refund(row: Refund) -> dict[str, Any]:
    return {
        "id": row.id,
        "order_number": order_number(row.order_number),
        "kind": row.kind,
        "amount": money(row.amount),
        "currency": row.currency,
        "status": row.status,
        "reason": row.reason,
        "requested_at": when(row.requested_at),
        "decided_at": when(row.decided_at),
        "refunded_at": when(row.refunded_at),
    }


def invoice(row: Invoice) -> dict[str, Any]:
    return {
        "number": row.number,
        "order_number": order_number(row.order_number),
        "issued_at": when(row.issued_at),
        "currency": row.currency,
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": money(line.unit_price),
                "amount": money(line.amount),
            }
            for line in row.lines
        ],
        "subtotal": money(row.subtotal),
        "shipping_cost": money(row.shipping_cost),
        "tax": money(row.tax),
        "total": money(row.total),
        "download_path": f"/invoices/{row.number}.pdf",
    }
