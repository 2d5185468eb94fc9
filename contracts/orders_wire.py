"""The JSON the order-tracking backend speaks, to and from the order types of contracts.orders.

The backend encodes its answers with the `*_to_json` functions and its client decodes them with the
`*_from_json` functions, so the field names and formats live here once (the backend's OpenAPI
schema describes the same JSON; tests/contracts/test_orders_wire.py checks the two agree).

Formats: money is a string with two decimals ("59.90") so no client ever sees a float rounding
error; timestamps are ISO 8601 in UTC, whole seconds, with a trailing "Z"; days are ISO dates;
order numbers are 6-digit strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, overload

from contracts.orders import (
    Address,
    Cancellation,
    CodeSent,
    Customer,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    OrderReference,
    OrderStatus,
    OwnershipCheck,
    Refund,
    Shipment,
    Tracking,
    TrackingEvent,
)

Json = dict[str, Any]

# -- values ------------------------------------------------------------------------------------


def money_to_json(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


@overload
def money_from_json(value: str) -> Decimal: ...
@overload
def money_from_json(value: None) -> None: ...
def money_from_json(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@overload
def timestamp_to_json(value: datetime) -> str: ...
@overload
def timestamp_to_json(value: None) -> None: ...
def timestamp_to_json(value: datetime | None) -> str | None:
    """A naive timestamp is taken to be UTC already (the backend stores naive UTC)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat() + "Z"


@overload
def timestamp_from_json(value: str) -> datetime: ...
@overload
def timestamp_from_json(value: None) -> None: ...
def timestamp_from_json(value: str | None) -> datetime | None:
    """An aware UTC datetime; required timestamps are never null in the backend's spec."""
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def day_to_json(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def day_from_json(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def order_number_to_json(number: int) -> str:
    """The backend keeps order numbers as integers; on the wire they always have 6 digits."""
    return f"{number:06d}"


# -- orders ------------------------------------------------------------------------------------


def address_to_json(address: Address) -> Json:
    return {
        "name": address.name,
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "postcode": address.postcode,
        "country": address.country,
    }


def address_from_json(data: Mapping[str, Any]) -> Address:
    return Address(**data)


def order_line_to_json(line: OrderLine) -> Json:
    return {
        "sku": line.sku,
        "product_name": line.product_name,
        "colour": line.colour,
        "size": line.size,
        "quantity": line.quantity,
        "unit_price": money_to_json(line.unit_price),
        "line_total": money_to_json(line.line_total),
    }


def order_line_from_json(data: Mapping[str, Any]) -> OrderLine:
    return OrderLine(**{**data, "unit_price": Decimal(data["unit_price"]), "line_total": Decimal(data["line_total"])})


def order_to_json(order: Order) -> Json:
    return {
        "order_number": order.number,
        "customer_id": order.customer_id,
        "email": order.email,
        "status": order.status.value,
        "placed_at": timestamp_to_json(order.placed_at),
        "paid_at": timestamp_to_json(order.paid_at),
        "delivered_at": timestamp_to_json(order.delivered_at),
        "cancelled_at": timestamp_to_json(order.cancelled_at),
        "currency": order.currency,
        "subtotal": money_to_json(order.subtotal),
        "shipping_cost": money_to_json(order.shipping_cost),
        "tax": money_to_json(order.tax),
        "total": money_to_json(order.total),
        "payment_method": order.payment_method,
        "delivery_option": order.delivery_option,
        "shipping_address": address_to_json(order.shipping_address),
        "lines": [order_line_to_json(line) for line in order.lines],
        "eta": day_to_json(order.eta),
        "cancellable": order.cancellable,
        "cancellation_fee": None if order.cancellation_fee is None else money_to_json(order.cancellation_fee),
        "address_changeable": order.address_changeable,
        "returnable": order.returnable,
        "return_deadline": day_to_json(order.return_deadline),
        "invoice_available": order.invoice_available,
    }


def order_from_json(data: Mapping[str, Any]) -> Order:
    return Order(
        number=data["order_number"],
        customer_id=data["customer_id"],
        email=data["email"],
        status=OrderStatus(data["status"]),
        placed_at=timestamp_from_json(data["placed_at"]),
        paid_at=timestamp_from_json(data["paid_at"]),
        delivered_at=timestamp_from_json(data["delivered_at"]),
        cancelled_at=timestamp_from_json(data["cancelled_at"]),
        currency=data["currency"],
        subtotal=Decimal(data["subtotal"]),
        shipping_cost=Decimal(data["shipping_cost"]),
        tax=Decimal(data["tax"]),
        total=Decimal(data["total"]),
        payment_method=data["payment_method"],
        delivery_option=data["delivery_option"],
        shipping_address=address_from_json(data["shipping_address"]),
        lines=tuple(order_line_from_json(line) for line in data["lines"]),
        eta=day_from_json(data["eta"]),
        cancellable=data["cancellable"],
        cancellation_fee=money_from_json(data["cancellation_fee"]),
        address_changeable=data["address_changeable"],
        returnable=data["returnable"],
        return_deadline=day_from_json(data["return_deadline"]),
        invoice_available=data["invoice_available"],
    )


def customer_to_json(customer: Customer) -> Json:
    return {
        "id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "postcode": customer.postcode,
        "tier": customer.tier,
    }


def customer_from_json(data: Mapping[str, Any]) -> Customer:
    return Customer(**data)


# -- tracking ----------------------------------------------------------------------------------


def tracking_event_to_json(event: TrackingEvent) -> Json:
    return {
        "occurred_at": timestamp_to_json(event.occurred_at),
        "location": event.location,
        "description": event.description,
    }


def shipment_to_json(shipment: Shipment) -> Json:
    return {
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "shipped_at": timestamp_to_json(shipment.shipped_at),
        "eta": day_to_json(shipment.eta),
        "delivered_at": timestamp_to_json(shipment.delivered_at),
        "events": [tracking_event_to_json(event) for event in shipment.events],
    }


def shipment_from_json(data: Mapping[str, Any]) -> Shipment:
    return Shipment(
        carrier=data["carrier"],
        tracking_number=data["tracking_number"],
        tracking_url=data["tracking_url"],
        shipped_at=timestamp_from_json(data["shipped_at"]),
        eta=day_from_json(data["eta"]),
        delivered_at=timestamp_from_json(data["delivered_at"]),
        events=tuple(
            TrackingEvent(timestamp_from_json(e["occurred_at"]), e["location"], e["description"])
            for e in data["events"]
        ),
    )


def tracking_to_json(tracking: Tracking) -> Json:
    return {
        "order_number": tracking.order_number,
        "status": tracking.status.value,
        "eta": day_to_json(tracking.eta),
        "delivery_option": tracking.delivery_option,
        "shipments": [shipment_to_json(shipment) for shipment in tracking.shipments],
    }


def tracking_from_json(data: Mapping[str, Any]) -> Tracking:
    return Tracking(
        order_number=data["order_number"],
        status=OrderStatus(data["status"]),
        eta=day_from_json(data["eta"]),
        delivery_option=data["delivery_option"],
        shipments=tuple(shipment_from_json(s) for s in data["shipments"]),
    )


# -- refunds, cancellations, invoices ----------------------------------------------------------


def refund_to_json(refund: Refund) -> Json:
    return {
        "id": refund.id,
        "order_number": refund.order_number,
        "kind": refund.kind,
        "amount": money_to_json(refund.amount),
        "currency": refund.currency,
        "status": refund.status,
        "reason": refund.reason,
        "requested_at": timestamp_to_json(refund.requested_at),
        "decided_at": timestamp_to_json(refund.decided_at),
        "refunded_at": timestamp_to_json(refund.refunded_at),
    }


def refund_from_json(data: Mapping[str, Any]) -> Refund:
    return Refund(
        **{
            **data,
            "amount": Decimal(data["amount"]),
            "requested_at": timestamp_from_json(data["requested_at"]),
            "decided_at": timestamp_from_json(data["decided_at"]),
            "refunded_at": timestamp_from_json(data["refunded_at"]),
        }
    )


def cancellation_to_json(cancellation: Cancellation) -> Json:
    refund = cancellation.refund
    return {
        "order": order_to_json(cancellation.order),
        "cancellation_fee": money_to_json(cancellation.fee),
        "refund": None if refund is None else refund_to_json(refund),
    }


def cancellation_from_json(data: Mapping[str, Any]) -> Cancellation:
    refund = refund_from_json(data["refund"]) if data["refund"] else None
    return Cancellation(order=order_from_json(data["order"]), fee=Decimal(data["cancellation_fee"]), refund=refund)


def invoice_to_json(invoice: Invoice) -> Json:
    return {
        "number": invoice.number,
        "order_number": invoice.order_number,
        "issued_at": timestamp_to_json(invoice.issued_at),
        "currency": invoice.currency,
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": money_to_json(line.unit_price),
                "amount": money_to_json(line.amount),
            }
            for line in invoice.lines
        ],
        "subtotal": money_to_json(invoice.subtotal),
        "shipping_cost": money_to_json(invoice.shipping_cost),
        "tax": money_to_json(invoice.tax),
        "total": money_to_json(invoice.total),
        "download_path": invoice.download_path,
    }


def invoice_from_json(data: Mapping[str, Any]) -> Invoice:
    money = {key: Decimal(data[key]) for key in ("subtotal", "shipping_cost", "tax", "total")}
    lines = tuple(
        InvoiceLine(line["description"], line["quantity"], Decimal(line["unit_price"]), Decimal(line["amount"]))
        for line in data["lines"]
    )
    return Invoice(
        number=data["number"],
        order_number=data["order_number"],
        issued_at=timestamp_from_json(data["issued_at"]),
        currency=data["currency"],
        lines=lines,
        download_path=data["download_path"],
        **money,
    )


def order_reference_to_json(reference: OrderReference) -> Json:
    """Only what is known: a ticket about an order the shopper may not see carries its number alone."""
    data: Json = {"number": reference.number}
    if reference.total is not None:
        data["total"] = money_to_json(reference.total)
    if reference.currency is not None:
        data["currency"] = reference.currency
    if reference.status is not None:
        data["status"] = reference.status.value
    return data


# -- proving ownership -------------------------------------------------------------------------


def ownership_check_to_json(order_number: str, check: OwnershipCheck) -> Json:
    return {
        "order_number": order_number,
        "verified": check.verified,
        "locked": check.locked,
        "retry_after_s": check.retry_after_s,
    }


def ownership_check_from_json(data: Mapping[str, Any]) -> OwnershipCheck:
    return OwnershipCheck(bool(data["verified"]), bool(data.get("locked")), data.get("retry_after_s"))


def code_sent_from_json(data: Mapping[str, Any]) -> CodeSent:
    return CodeSent(sent_to=data["sent_to"], expires_at=timestamp_from_json(data["expires_at"]))
