"""The order status machine: which status may follow which, and why a change is refused.

Kept free of I/O so it can be tested exhaustively and documented as a table.
"""

from __future__ import annotations

from backends.orders.errors import Refused
from contracts.orders import OrderStatus

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset({OrderStatus.PROCESSING, OrderStatus.PAYMENT_FAILED, OrderStatus.CANCELLED}),
    OrderStatus.PAYMENT_FAILED: frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED}),
    OrderStatus.PROCESSING: frozenset({OrderStatus.PACKED, OrderStatus.CANCELLED}),
    OrderStatus.PACKED: frozenset({OrderStatus.SHIPPED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.OUT_FOR_DELIVERY, OrderStatus.DELIVERED}),
    OrderStatus.OUT_FOR_DELIVERY: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.RETURNED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.RETURNED: frozenset(),
}

# Statuses a shopper may cancel in, may still redirect the parcel in, and that count as paid.
CANCELLABLE = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.PROCESSING})
ADDRESS_CHANGEABLE = frozenset(
    {OrderStatus.PENDING_PAYMENT, OrderStatus.PAYMENT_FAILED, OrderStatus.PROCESSING, OrderStatus.PACKED}
)
IN_TRANSIT = frozenset({OrderStatus.SHIPPED, OrderStatus.OUT_FOR_DELIVERY})

# Set by the warehouse / payment provider through POST /orders/{n}/status; cancelled and returned
# only come from their own operations (they create refunds).
FULFILMENT_TARGETS = frozenset(TRANSITIONS) - {OrderStatus.CANCELLED, OrderStatus.RETURNED}

_WHY_NOT: dict[OrderStatus, str] = {
    OrderStatus.PAYMENT_FAILED: "the payment for this order failed",
    OrderStatus.PACKED: "the order is already packed and about to be handed to the carrier",
    OrderStatus.SHIPPED: "the order has already shipped",
    OrderStatus.OUT_FOR_DELIVERY: "the order has already shipped and is out for delivery",
    OrderStatus.DELIVERED: "the order has already been delivered",
    OrderStatus.CANCELLED: "the order is already cancelled",
    OrderStatus.RETURNED: "the order has already been returned and refunded",
    OrderStatus.PENDING_PAYMENT: "the order has not been paid yet",
    OrderStatus.PROCESSING: "the order is still being prepared",
}


def why_not(status: OrderStatus) -> str:
    """A short human reason that names the current state, e.g. 'the order has already shipped'."""
    return _WHY_NOT[status]


def _state(status: OrderStatus) -> dict[str, str]:
    """The details of a refusal that a client words for the shopper ("because it has already shipped")."""
    return {"status": status.value}


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    """Raises Refused (HTTP 409) unless `target` may follow `current`."""
    if current == target:
        raise Refused(
            f"The order is already {target.value.replace('_', ' ')}.", code="no_change", details=_state(current)
        )
    if not can_transition(current, target):
        raise Refused(
            f"An order cannot go from {current.value} to {target.value}: {why_not(current)}.",
            code="invalid_transition",
            details=_state(current),
        )


def check_cancellable(current: OrderStatus) -> None:
    if current not in CANCELLABLE:
        code = "already_shipped" if current in IN_TRANSIT | {OrderStatus.DELIVERED} else "not_cancellable"
        raise Refused(f"This order can't be cancelled because {why_not(current)}.", code=code, details=_state(current))


def check_address_changeable(current: OrderStatus) -> None:
    if current not in ADDRESS_CHANGEABLE:
        code = "already_shipped" if current in IN_TRANSIT | {OrderStatus.DELIVERED} else "address_locked"
        raise Refused(
            f"The shipping address can't be changed because {why_not(current)}.", code=code, details=_state(current)
        )
