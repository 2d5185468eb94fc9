"""ORM rows → the order types of contracts.orders → JSON (the shapes described in openapi.json).

The JSON itself is written by contracts.orders_wire, the same module the client reads it with; this
module only maps the backend's own tables (naive UTC timestamps, integer order numbers, the
address in `ship_*` columns) and its rules (fees, deadlines, tracking links) onto the shared types.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, overload

from backends.orders import models as rows
from backends.orders import rules
from contracts import orders
from contracts.orders_wire import (
    cancellation_to_json,
    customer_to_json,
    invoice_to_json,
    order_number_to_json,
    order_to_json,
    refund_to_json,
    tracking_to_json,
)


@overload
def _utc(value: datetime) -> datetime: ...
@overload
def _utc(value: None) -> None: ...
def _utc(value: datetime | None) -> datetime | None:
    """Rows hold naive UTC; the shared types hold aware UTC."""
    return None if value is None else value.replace(tzinfo=UTC)


def customer(row: rows.Customer) -> dict[str, Any]:
    return customer_to_json(orders.Customer(row.id, row.name, row.email, row.postcode, row.tier))


def address(row: rows.Order) -> orders.Address:
    return orders.Address(
        name=row.ship_name,
        line1=row.ship_line1,
        line2=row.ship_line2,
        city=row.ship_city,
        postcode=row.ship_postcode,
        country=row.ship_country,
    )


def order_of(row: rows.Order, now: datetime) -> orders.Order:
    fee = rules.cancellation_fee(row, now)
    deadline = rules.return_deadline(row)
    return orders.Order(
        number=order_number_to_json(row.number),
        customer_id=row.customer_id,
        email=row.email,
        status=orders.OrderStatus(row.status),
        placed_at=_utc(row.placed_at),
        paid_at=_utc(row.paid_at),
        delivered_at=_utc(row.delivered_at),
        cancelled_at=_utc(row.cancelled_at),
        currency=row.currency,
        subtotal=row.subtotal,
        shipping_cost=row.shipping_cost,
        tax=row.tax,
        total=row.total,
        payment_method=row.payment_method,
        delivery_option=row.delivery_option,
        shipping_address=address(row),
        lines=tuple(
            orders.OrderLine(
                sku=line.sku,
                product_name=line.product_name,
                colour=line.colour,
                size=line.size,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.unit_price * line.quantity,
            )
            for line in row.lines
        ),
        eta=rules.current_eta(row),
        cancellable=fee is not None,
        cancellation_fee=fee,
        address_changeable=rules.address_changeable(row),
        returnable=rules.returnable(row, now),
        return_deadline=deadline.date() if deadline else None,
        invoice_available=row.invoice is not None,
    )


def order(row: rows.Order, now: datetime) -> dict[str, Any]:
    return order_to_json(order_of(row, now))


def shipment(row: rows.Shipment) -> orders.Shipment:
    return orders.Shipment(
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        tracking_url=rules.tracking_url(row.carrier, row.tracking_number),
        shipped_at=_utc(row.shipped_at),
        eta=row.eta,
        delivered_at=_utc(row.delivered_at),
        events=tuple(orders.TrackingEvent(_utc(e.occurred_at), e.location, e.description) for e in row.events),
    )


def tracking(row: rows.Order) -> dict[str, Any]:
    return tracking_to_json(
        orders.Tracking(
            order_number=order_number_to_json(row.number),
            status=orders.OrderStatus(row.status),
            eta=rules.current_eta(row),
            delivery_option=row.delivery_option,
            shipments=tuple(shipment(s) for s in row.shipments),
        )
    )


def refund_of(row: rows.Refund) -> orders.Refund:
    return orders.Refund(
        id=row.id,
        order_number=order_number_to_json(row.order_number),
        kind=row.kind,
        amount=row.amount,
        currency=row.currency,
        status=row.status,
        reason=row.reason,
        requested_at=_utc(row.requested_at),
        decided_at=_utc(row.decided_at),
        refunded_at=_utc(row.refunded_at),
    )


def refund(row: rows.Refund) -> dict[str, Any]:
    return refund_to_json(refund_of(row))


def cancellation(row: rows.Order, now: datetime, fee: Decimal, refund_row: rows.Refund | None) -> dict[str, Any]:
    refund = None if refund_row is None else refund_of(refund_row)
    return cancellation_to_json(orders.Cancellation(order_of(row, now), fee, refund))


def invoice(row: rows.Invoice) -> dict[str, Any]:
    return invoice_to_json(
        orders.Invoice(
            number=row.number,
            order_number=order_number_to_json(row.order_number),
            issued_at=_utc(row.issued_at),
            currency=row.currency,
            lines=tuple(
                orders.InvoiceLine(line.description, line.quantity, line.unit_price, line.amount) for line in row.lines
            ),
            subtotal=row.subtotal,
            shipping_cost=row.shipping_cost,
            tax=row.tax,
            total=row.total,
            download_path=f"/invoices/{row.number}.pdf",
        )
    )
