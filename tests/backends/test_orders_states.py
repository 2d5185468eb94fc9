"""The status machine and the pure shop rules, without a database."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from backends.orders import rules
from backends.orders.errors import Invalid, Refused
from backends.orders.models import Customer, Order, Refund
from backends.orders.states import TRANSITIONS, check_address_changeable, check_cancellable, check_transition
from contracts.orders import OrderStatus

S = OrderStatus
ALLOWED = {
    (S.PENDING_PAYMENT, S.PROCESSING),
    (S.PENDING_PAYMENT, S.PAYMENT_FAILED),
    (S.PENDING_PAYMENT, S.CANCELLED),
    (S.PAYMENT_FAILED, S.PENDING_PAYMENT),
    (S.PAYMENT_FAILED, S.CANCELLED),
    (S.PROCESSING, S.PACKED),
    (S.PROCESSING, S.CANCELLED),
    (S.PACKED, S.SHIPPED),
    (S.SHIPPED, S.OUT_FOR_DELIVERY),
    (S.SHIPPED, S.DELIVERED),
    (S.OUT_FOR_DELIVERY, S.DELIVERED),
    (S.DELIVERED, S.RETURNED),
}
NOW = datetime(2025, 6, 1, 12, 0)


@pytest.mark.parametrize("current", list(OrderStatus))
@pytest.mark.parametrize("target", list(OrderStatus))
def test_every_pair_of_statuses_is_allowed_or_refused_as_documented(current: OrderStatus, target: OrderStatus) -> None:
    if (current, target) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(Refused) as refused:
            check_transition(current, target)
        assert refused.value.code in {"invalid_transition", "no_change"}
        assert refused.value.message.endswith(".")


def test_table_has_every_status_and_terminal_states_are_final() -> None:
    assert set(TRANSITIONS) == set(OrderStatus)
    assert TRANSITIONS[S.CANCELLED] == frozenset() and TRANSITIONS[S.RETURNED] == frozenset()


def test_refusal_names_the_reason() -> None:
    with pytest.raises(Refused, match="already shipped"):
        check_cancellable(S.SHIPPED)
    with pytest.raises(Refused) as refused:
        check_cancellable(S.DELIVERED)
    assert refused.value.code == "already_shipped"
    with pytest.raises(Refused) as refused:
        check_cancellable(S.PACKED)
    assert refused.value.code == "not_cancellable"
    check_cancellable(S.PENDING_PAYMENT)
    check_cancellable(S.PROCESSING)


def test_address_changeable_until_shipped() -> None:
    for status in (S.PENDING_PAYMENT, S.PAYMENT_FAILED, S.PROCESSING, S.PACKED):
        check_address_changeable(status)
    for status in (S.SHIPPED, S.OUT_FOR_DELIVERY, S.DELIVERED, S.CANCELLED, S.RETURNED):
        with pytest.raises(Refused):
            check_address_changeable(status)


def order(status: OrderStatus, tier: str = "standard", placed_hours_ago: float = 1, **extra: object) -> Order:
    row = Order(status=status.value, placed_at=NOW - timedelta(hours=placed_hours_ago), total=Decimal("80.00"))
    row.customer = Customer(tier=tier)
    row.refunds = []
    for key, value in extra.items():
        setattr(row, key, value)
    return row


def test_cancellation_fee_rule() -> None:
    assert rules.cancellation_fee(order(S.PENDING_PAYMENT, placed_hours_ago=100), NOW) == Decimal("0")
    assert rules.cancellation_fee(order(S.PROCESSING, placed_hours_ago=23), NOW) == Decimal("0")
    assert rules.cancellation_fee(order(S.PROCESSING, placed_hours_ago=25), NOW) == Decimal("4.95")
    assert rules.cancellation_fee(order(S.PROCESSING, "gold", placed_hours_ago=300), NOW) == Decimal("0")
    assert rules.cancellation_fee(order(S.SHIPPED), NOW) is None


def test_return_window_is_thirty_days_from_delivery() -> None:
    inside = order(S.DELIVERED, delivered_at=NOW - timedelta(days=29, hours=23))
    outside = order(S.DELIVERED, delivered_at=NOW - timedelta(days=30, hours=1))
    assert rules.returnable(inside, NOW)
    assert not rules.returnable(outside, NOW)
    assert not rules.returnable(order(S.SHIPPED), NOW)
    inside.refunds = [Refund(kind="return", status="requested")]
    assert not rules.returnable(inside, NOW)
    inside.refunds = [Refund(kind="return", status="rejected")]
    assert rules.returnable(inside, NOW)


def test_address_validation_normalises_and_names_bad_fields() -> None:
    clean = rules.validate_address(
        {"name": "  Jane   Doe ", "line1": "1 Main St", "city": "Austin", "postcode": " 78701 ", "country": "us"}
    )
    assert clean == {
        "name": "Jane Doe",
        "line1": "1 Main St",
        "line2": None,
        "city": "Austin",
        "postcode": "78701",
        "country": "US",
    }
    assert rules.validate_address({**clean, "country": "gb", "postcode": "sw1a 1aa"})["postcode"] == "SW1A 1AA"
    with pytest.raises(Invalid) as invalid:
        rules.validate_address({**clean, "postcode": "7870", "city": "   "})
    assert set(invalid.value.fields) == {"postcode", "city"}
    with pytest.raises(Invalid) as invalid:
        rules.validate_address({**clean, "country": "ZZ"})
    assert "country" in invalid.value.fields
