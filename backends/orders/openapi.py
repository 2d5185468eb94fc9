"""The OpenAPI 3.1 description served at /openapi.json.

It is also the request validator: api.py checks every JSON body against the schema named here,
so the spec cannot drift from what the service accepts. Tests check the responses against it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from contracts.orders import CHANGE_CODE_PURPOSES, CUSTOMER_TIERS, REFUND_KINDS, REFUND_STATUSES, OrderStatus
from service_kit import openapi as common
from service_kit.openapi import ERROR_SCHEMA
from service_kit.openapi import nullable as _nullable
from service_kit.openapi import obj as _object
from service_kit.openapi import ref as _ref
from service_kit.openapi import schema_for as schema_for
from service_kit.openapi import string as _string

ORDER_NUMBER_PATTERN = "^[1-9][0-9]{5}$"
ACTOR_PATTERN = r"^[A-Za-z0-9_.:@/-]{1,64}$"  # X-Actor: ASCII, as HTTP header values should be
CODE_PATTERN = "^[0-9]{8}$"  # one-time change codes (backends/orders/access.py)


MONEY = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["59.90"]}
TIMESTAMP = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date"}
STATUS = {"type": "string", "enum": [status.value for status in OrderStatus]}
REFUND_STATUS = {"type": "string", "enum": list(REFUND_STATUSES)}

SCHEMAS: dict[str, Any] = {
    "Error": ERROR_SCHEMA,
    "Health": _object({"status": {"type": "string", "enum": ["ok"]}, "database": {"type": "string"}}),
    "Customer": _object(
        {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "email": {"type": "string"},
            "postcode": {"type": "string"},
            "tier": {"type": "string", "enum": list(CUSTOMER_TIERS)},
        }
    ),
    "Address": _object(
        {
            "name": _string(120, 1),
            "line1": _string(120, 1),
            "line2": _nullable(_string(120)),
            "city": _string(80, 1),
            "postcode": _string(16, 1),
            "country": {**_string(2, 2), "description": "ISO 3166-1 alpha-2; US, CA, GB, DE, FR or NL"},
        },
        required=["name", "line1", "city", "postcode", "country"],
    ),
    "OrderLine": _object(
        {
            "sku": {"type": "string"},
            "product_name": {"type": "string"},
            "colour": _nullable({"type": "string"}),
            "size": _nullable({"type": "string"}),
            "quantity": {"type": "integer", "minimum": 1},
            "unit_price": MONEY,
            "line_total": MONEY,
        }
    ),
    "Order": _object(
        {
            "order_number": {"type": "string", "pattern": ORDER_NUMBER_PATTERN},
            "customer_id": {"type": "string"},
            "email": {"type": "string"},
            "status": STATUS,
            "placed_at": TIMESTAMP,
            "paid_at": _nullable(TIMESTAMP),
            "delivered_at": _nullable(TIMESTAMP),
            "cancelled_at": _nullable(TIMESTAMP),
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "subtotal": MONEY,
            "shipping_cost": MONEY,
            "tax": MONEY,
            "total": MONEY,
            "payment_method": {"type": "string"},
            "delivery_option": {"type": "string"},
            "shipping_address": _ref("Address"),
            "lines": {"type": "array", "items": _ref("OrderLine")},
            "eta": {**_nullable(DATE), "description": "carrier ETA in transit, an estimate before shipping"},
            "cancellable": {"type": "boolean"},
            "cancellation_fee": {**_nullable(MONEY), "description": "fee if cancelled now; null if not cancellable"},
            "address_changeable": {"type": "boolean"},
            "returnable": {"type": "boolean"},
            "return_deadline": _nullable(DATE),
            "invoice_available": {"type": "boolean"},
        }
    ),
    "OrderList": _object({"customer_id": {"type": "string"}, "orders": {"type": "array", "items": _ref("Order")}}),
    "VerifyRequest": {
        **_object(
            {
                "email": _string(254, 1),
                "postcode": _string(16, 1),
                "clients": {
                    "type": "array",
                    "items": _string(200, 1),
                    "maxItems": 4,
                    "description": "who is asking (e.g. conversation:rest:<sender id>, address:<ip>): "
                    "failures are counted per order number and per client",
                },
            },
            required=[],
        ),
        "anyOf": [{"required": ["email"]}, {"required": ["postcode"]}],
    },
    "VerifyResult": _object(
        {
            "order_number": {"type": "string"},
            "verified": {"type": "boolean"},
            "locked": {"type": "boolean", "description": "too many failed proofs: refused until the cool-down ends"},
            "retry_after_s": _nullable({"type": "integer", "minimum": 1}),
        }
    ),
    "ChangeCodeRequest": _object({"purpose": {"type": "string", "enum": list(CHANGE_CODE_PURPOSES)}}),
    "ChangeCodeSent": _object(
        {
            "order_number": {"type": "string"},
            "purpose": {"type": "string"},
            "sent_to": {"type": "string", "description": "the order's email, masked (j***@example.com)"},
            "expires_at": TIMESTAMP,
        }
    ),
    "TrackingEvent": _object(
        {"occurred_at": TIMESTAMP, "location": {"type": "string"}, "description": {"type": "string"}}
    ),
    "Shipment": _object(
        {
            "carrier": {"type": "string"},
            "tracking_number": {"type": "string"},
            "tracking_url": _nullable({"type": "string"}),
            "shipped_at": TIMESTAMP,
            "eta": _nullable(DATE),
            "delivered_at": _nullable(TIMESTAMP),
            "events": {"type": "array", "items": _ref("TrackingEvent")},
        }
    ),
    "Tracking": _object(
        {
            "order_number": {"type": "string"},
            "status": STATUS,
            "eta": _nullable(DATE),
            "delivery_option": {"type": "string"},
            "shipments": {"type": "array", "items": _ref("Shipment")},
        }
    ),
    "ReasonRequest": _object({"reason": _string(500, 1)}),
    "Refund": _object(
        {
            "id": {"type": "integer"},
            "order_number": {"type": "string"},
            "kind": {"type": "string", "enum": list(REFUND_KINDS)},
            "amount": MONEY,
            "currency": {"type": "string"},
            "status": REFUND_STATUS,
            "reason": {"type": "string"},
            "requested_at": TIMESTAMP,
            "decided_at": _nullable(TIMESTAMP),
            "refunded_at": _nullable(TIMESTAMP),
        }
    ),
    "RefundList": _object({"order_number": {"type": "string"}, "refunds": {"type": "array", "items": _ref("Refund")}}),
    "CancelResult": _object({"order": _ref("Order"), "cancellation_fee": MONEY, "refund": _nullable(_ref("Refund"))}),
    "InvoiceLine": _object(
        {"description": {"type": "string"}, "quantity": {"type": "integer"}, "unit_price": MONEY, "amount": MONEY}
    ),
    "Invoice": _object(
        {
            "number": {"type": "string"},
            "order_number": {"type": "string"},
            "issued_at": TIMESTAMP,
            "currency": {"type": "string"},
            "lines": {"type": "array", "items": _ref("InvoiceLine")},
            "subtotal": MONEY,
            "shipping_cost": MONEY,
            "tax": MONEY,
            "total": MONEY,
            "download_path": {"type": "string", "description": "path of the PDF on the shop's web front"},
        }
    ),
    "StatusChange": _object(
        {
            "status": {"type": "string", "enum": [s for s in STATUS["enum"] if s not in ("cancelled", "returned")]},
            "carrier": _string(40, 1),
            "tracking_number": _string(64, 1),
            "eta": DATE,
        },
        required=["status"],
    ),
    "RefundDecision": _object({"status": {"type": "string", "enum": ["approved", "rejected", "refunded"]}}),
    "AuditEntry": _object(
        {
            "at": TIMESTAMP,
            "actor": {"type": "string"},
            "action": {"type": "string"},
            "field": _nullable({"type": "string"}),
            "old": _nullable({"type": "string"}),
            "new": _nullable({"type": "string"}),
        }
    ),
    "AuditTrail": _object(
        {"order_number": {"type": "string"}, "entries": {"type": "array", "items": _ref("AuditEntry")}}
    ),
}

ERRORS = {
    **common.ERROR_DESCRIPTIONS,
    "403": "X-Change-Code wrong (code_invalid) or no longer valid (code_expired); nothing was changed",
    "404": "Unknown order, customer or refund",
    "409": "Refused by the order's state; the message says why",
    "429": "Too many codes asked for this order within the hour (too_many_codes)",
    "503": "The code mail could not be handed to the mail server (mail_unavailable)",
}

PARAMETERS = {
    "OrderNumber": {
        "name": "order_number",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": ORDER_NUMBER_PATTERN},
    },
    "CustomerId": {"name": "customer_id", "in": "path", "required": True, "schema": _string(32, 1)},
    "RefundId": {
        "name": "refund_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "ChangeCode": {
        "name": "X-Change-Code",
        "in": "header",
        "required": False,
        "description": "one-time code mailed to the order's email (POST /orders/{n}/change-codes); when "
        "given, the change happens only if the code is valid, and spends it",
        "schema": {"type": "string", "pattern": CODE_PATTERN},
    },
    "Actor": {
        "name": "X-Actor",
        "in": "header",
        "required": False,
        "description": "who makes the change, recorded in the audit log (default: api)",
        "schema": {"type": "string", "pattern": ACTOR_PATTERN},
    },
}


_operation = partial(common.operation, error_descriptions=ERRORS, errors=("401", "404", "422"))


_CHANGE_ERRORS = ("400", "401", "404", "409", "413", "422")
_CODE_CHANGE_ERRORS = ("400", "401", "403", "404", "409", "413", "422")

PATHS: dict[str, dict[str, Any]] = {
    "/health": {"get": _operation("Liveness and database check", "Health", errors=(), public=True)},
    "/openapi.json": {"get": common.SPEC_OPERATION},
    "/customers/{customer_id}": {"get": _operation("A customer", "Customer", params=("CustomerId",))},
    "/customers/{customer_id}/orders": {
        "get": _operation(
            "A customer's orders, newest first",
            "OrderList",
            params=("CustomerId",),
            query=[
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5},
                }
            ],
        )
    },
    "/orders/{order_number}": {
        "get": _operation(
            "An order; with customer_id, 404 unless it is that customer's order",
            "Order",
            params=("OrderNumber",),
            query=[{"name": "customer_id", "in": "query", "schema": _string(32, 1)}],
        )
    },
    "/orders/{order_number}/verify": {
        "post": _operation(
            "Does this email and/or postcode belong to the order? An unknown order number gets the same "
            "answer as a wrong proof; failures are counted per order and client, with lockout and cool-down.",
            "VerifyResult",
            body="VerifyRequest",
            params=("OrderNumber",),
            errors=("400", "401", "413", "422"),
        )
    },
    "/orders/{order_number}/change-codes": {
        "post": _operation(
            "Mail a one-time code for one change (cancel, shipping address, return) to the order's email",
            "ChangeCodeSent",
            status="201",
            body="ChangeCodeRequest",
            params=("OrderNumber",),
            errors=("400", "401", "404", "413", "422", "429", "503"),
        )
    },
    "/orders/{order_number}/tracking": {
        "get": _operation("Shipments, events and ETA", "Tracking", params=("OrderNumber",))
    },
    "/orders/{order_number}/cancel": {
        "post": _operation(
            "Cancel (pending_payment or processing only); paid orders get an approved refund minus any fee",
            "CancelResult",
            body="ReasonRequest",
            params=("OrderNumber", "Actor", "ChangeCode"),
            errors=_CODE_CHANGE_ERRORS,
        )
    },
    "/orders/{order_number}/shipping-address": {
        "put": _operation(
            "Change the shipping address (before shipping only)",
            "Order",
            body="Address",
            params=("OrderNumber", "Actor", "ChangeCode"),
            errors=_CODE_CHANGE_ERRORS,
        )
    },
    "/orders/{order_number}/returns": {
        "post": _operation(
            "Start a return (delivered orders, within 30 days); creates a refund request",
            "Refund",
            status="201",
            body="ReasonRequest",
            params=("OrderNumber", "Actor", "ChangeCode"),
            errors=_CODE_CHANGE_ERRORS,
        )
    },
    "/orders/{order_number}/refunds": {"get": _operation("Refunds of an order", "RefundList", params=("OrderNumber",))},
    "/orders/{order_number}/invoice": {
        "get": _operation(
            "The invoice (paid orders only)", "Invoice", params=("OrderNumber",), errors=("401", "404", "409", "422")
        )
    },
    "/orders/{order_number}/status": {
        "post": _operation(
            "Fulfilment step by the warehouse or payment provider (not cancel/return)",
            "Order",
            body="StatusChange",
            params=("OrderNumber", "Actor"),
            errors=_CHANGE_ERRORS,
        )
    },
    "/orders/{order_number}/audit": {
        "get": _operation("Every recorded change of an order", "AuditTrail", params=("OrderNumber",))
    },
    "/refunds/{refund_id}/decision": {
        "post": _operation(
            "Decide a refund: requested → approved/rejected, approved → refunded",
            "Refund",
            body="RefundDecision",
            params=("RefundId", "Actor"),
            errors=_CHANGE_ERRORS,
        )
    },
}


def build_spec() -> dict[str, Any]:
    return common.document(
        "Order-tracking backend",
        "Orders, tracking, cancellations, address changes, returns, refunds and invoices. "
        "Money is a decimal string; timestamps are UTC.",
        8101,
        PATHS,
        {"schemas": SCHEMAS, "parameters": PARAMETERS},
    )
