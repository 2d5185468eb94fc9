"""The order status machine: which status may follow which, and why a change is refused.

Kept free of I/O so it can be tested exhaustively and documented as a table.
"""

from __future__ import annotations

from enum import StrEnum

from backends.orders.errors import Refused


class Status(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAYMENT_FAILED = "payment_failed"
    PROCESSING = "processing"
    PACKED = "packed"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING_PAYMENT: frozenset({Status.PROCESSING, Status.PAYMENT_FAILED, Status.CANCELLED}),
    Status.PAYMENT_FAILED: frozenset({Status.PENDING_PAYMENT, Status.CANCELLED}),
    Status.PROCESSING: frozenset({Status.PACKED, Status.CANCELLED}),
    Status.PACKED: frozenset({Status.SHIPPED}),
    Status.SHIPPED: frozenset({Status.OUT_FOR_DELIVERY, Status.DELIVERED}),
    Status.OUT_FOR_DELIVERY: frozenset({Status.DELIVERED}),
    Status.DELIVERED: frozenset({Status.RETURNED}),
    Status.CANCELLED: frozenset(),
    Status.RETURNED: frozenset(),
}

# Statuses a shopper may cancel in, may still redirect the parcel in, and that count as paid.
CANCELLABLE = frozenset({Status.PENDING_PAYMENT, Status.PROCESSING})
ADDRESS_CHANGEABLE = frozenset({Status.PENDING_PAYMENT, Status.PAYMENT_FAILED, Status.PROCESSING, Status.PACKED})
IN_TRANSIT = frozenset({Status.SHIPPED, Status.OUT_FOR_DELIVERY})

# Set by the warehouse / payment provider through POST /orders/{n}/status; cancelled and returned
# only come from their own operations (they create refunds).
FULFILMENT_TARGETS = frozenset(TRANSITIONS) - {Status.CANCELLED, Status.RETURNED}

_WHY_NOT: dict[Status, str] = {
    Status.PAYMENT_FAILED: "the payment for this order failed",
    Status.PACKED: "the order is already packed and about to be handed to the carrier",
    Status.SHIPPED: "the order has already shipped",
    Status.OUT_FOR_DELIVERY: "the order has already shipped and is out for delivery",
    Status.DELIVERED: "the order has already been delivered",
    Status.CANCELLED: "the order is already cancelled",
    Status.RETURNED: "the order has already been returned and refunded",
    Status.PENDING_PAYMENT: "the order has not been paid yet",
    Status.PROCESSING: "the order is still being prepared",
}


def why_not(status: Status) -> str:
    """A short human reason that names the current state, e.g. 'the order has already shipped'."""
    return _WHY_NOT[status]


def can_transition(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: Status, target: Status) -> None:
    """Raises Refused (HTTP 409) unless `target` may follow `current`."""
    if current == target:
        raise Refused(f"The order is already {target.value.replace('_', ' ')}.", code="no_change")
    if not can_transition(current, target):
        raise Refused(
            f"An order cannot go from {current.value} to {target.value}: {why_not(current)}.",
            code="invalid_transition",
        )


def check_cancellable(current: Status) -> None:
    if current not in CANCELLABLE:
        code = "already_shipped" if current in IN_TRANSIT | {Status.DELIVERED} else "not_cancellable"
        raise Refused(f"This order can't be cancelled because {why_not(current)}.", code=code)


def check_address_changeable(current: Status) -> None:
    if current not in ADDRESS_CHANGEABLE:
        code = "already_shipped" if current in IN_TRANSIT | {Status.DELIVERED} else "address_locked"
        raise Refused(f"The shipping address can't be changed because {why_not(current)}.", code=code)
