"""The order types survive their JSON unchanged, in the formats the backend's spec promises."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from contracts.orders import Order, OrderReference, OrderStatus
from contracts.orders_wire import (
    cancellation_from_json,
    cancellation_to_json,
    customer_from_json,
    customer_to_json,
    invoice_from_json,
    invoice_to_json,
    order_from_json,
    order_reference_to_json,
    order_to_json,
    ownership_check_from_json,
    ownership_check_to_json,
    refund_from_json,
    refund_to_json,
    timestamp_to_json,
    tracking_from_json,
    tracking_to_json,
)
from tests.contracts.order_samples import (
    CANCELLATION,
    CUSTOMER,
    DELIVERED,
    INVOICE,
    LOCKED_OUT,
    PAID_CANCELLATION,
    PROCESSING,
    REFUND,
    TRACKING,
)


def test_every_type_round_trips_through_its_json() -> None:
    for order in (DELIVERED, PROCESSING):
        assert order_from_json(order_to_json(order)) == order
    assert tracking_from_json(tracking_to_json(TRACKING)) == TRACKING
    assert refund_from_json(refund_to_json(REFUND)) == REFUND
    assert invoice_from_json(invoice_to_json(INVOICE)) == INVOICE
    assert customer_from_json(customer_to_json(CUSTOMER)) == CUSTOMER
    for cancellation in (CANCELLATION, PAID_CANCELLATION):
        assert cancellation_from_json(cancellation_to_json(cancellation)) == cancellation
    assert ownership_check_from_json(ownership_check_to_json("104532", LOCKED_OUT)) == LOCKED_OUT


def test_wire_formats_money_timestamps_days_and_names() -> None:
    data = order_to_json(DELIVERED)
    assert data["order_number"] == "104532" and "number" not in data
    assert data["status"] == "delivered" and type(data["status"]) is str
    assert data["total"] == "155.98" and data["lines"][1]["unit_price"] == "24.95"
    assert data["placed_at"] == "2026-11-20T09:30:05Z"
    assert data["return_deadline"] == "2026-12-24" and data["eta"] is None
    assert data["shipping_address"]["line2"] == "Apt 4"
    assert order_to_json(PROCESSING)["cancellation_fee"] == "0.00"


def test_timestamps_are_utc_whole_seconds_whether_naive_or_aware() -> None:
    naive = datetime(2026, 11, 20, 9, 30, 5, 999_999)
    aware = naive.replace(tzinfo=timezone.utc).astimezone(timezone(timedelta(hours=-5)))
    assert timestamp_to_json(naive) == timestamp_to_json(aware) == "2026-11-20T09:30:05Z"
    assert timestamp_to_json(None) is None


def test_status_reads_as_its_value_in_text_on_every_python() -> None:
    """The backend writes statuses into sentences, logs and a string column: they must read as values."""
    status = OrderStatus.OUT_FOR_DELIVERY
    assert str(status) == f"{status}" == "out_for_delivery"
    assert status == "out_for_delivery" and {"out_for_delivery": 1}[status] == 1


def test_an_order_reference_carries_only_what_the_shopper_may_see() -> None:
    assert order_reference_to_json(OrderReference("104532")) == {"number": "104532"}
    seen: Order = DELIVERED
    assert order_reference_to_json(OrderReference.of("104532", seen)) == {
        "number": "104532",
        "total": "155.98",
        "currency": "USD",
        "status": "delivered",
    }
    assert OrderReference.of("104532", seen).total == Decimal("155.98")
