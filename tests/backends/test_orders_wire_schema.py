"""The shared order types (contracts.orders) encode to JSON that the backend's public OpenAPI schema
accepts: the spec and the contract describe the same wire format."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from backends.orders.openapi import build_spec, schema_for
from contracts.orders import OrderStatus
from contracts.orders_wire import (
    cancellation_to_json,
    customer_to_json,
    invoice_to_json,
    order_to_json,
    ownership_check_to_json,
    refund_to_json,
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

SPEC = build_spec()

SAMPLES: list[tuple[str, Any]] = [
    ("Order", order_to_json(DELIVERED)),
    ("Order", order_to_json(PROCESSING)),
    ("Address", order_to_json(DELIVERED)["shipping_address"]),
    ("Tracking", tracking_to_json(TRACKING)),
    ("Refund", refund_to_json(REFUND)),
    ("Invoice", invoice_to_json(INVOICE)),
    ("Customer", customer_to_json(CUSTOMER)),
    ("CancelResult", cancellation_to_json(CANCELLATION)),
    ("CancelResult", cancellation_to_json(PAID_CANCELLATION)),
    ("VerifyResult", ownership_check_to_json("104532", LOCKED_OUT)),
]


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema_for(SPEC, name), format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize(("name", "data"), SAMPLES, ids=[f"{name}-{i}" for i, (name, _) in enumerate(SAMPLES)])
def test_contract_json_validates_against_the_spec(name: str, data: Any) -> None:
    validator(name).validate(data)


def test_every_field_of_the_spec_is_written_by_the_contract() -> None:
    """The spec's objects forbid extra fields; this checks the other way: nothing the spec lists is missing."""
    for name, data in SAMPLES:
        properties = SPEC["components"]["schemas"][name].get("properties", {})
        assert set(properties) == set(data), name


@pytest.mark.parametrize("status", list(OrderStatus))
def test_every_status_is_a_status_of_the_spec(status: OrderStatus) -> None:
    validator("Order").validate({**order_to_json(DELIVERED), "status": status.value})


def test_the_spec_refuses_a_status_the_contract_does_not_have() -> None:
    assert not validator("Order").is_valid({**order_to_json(DELIVERED), "status": "lost"})
