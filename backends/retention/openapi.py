"""The OpenAPI 3.1 description served at /openapi.json; it doubles as the request validator (api.py
checks every JSON body against the schema named here), and the tests check real responses against it."""

from __future__ import annotations

from functools import partial
from typing import Any

from backends.retention.features import KINDS
from backends.retention.tiers import TIERS
from contracts.consent import CONSENT_KEY
from service_kit import openapi as common
from service_kit.openapi import ERROR_SCHEMA, nullable, obj, ref
from service_kit.openapi import schema_for as schema_for

PORT = 8108
NO_CONTROL = "^[^\\u0000-\\u001f\\u007f]*$"
CUSTOMER_ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": NO_CONTROL}
MONEY = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["59.90"]}
AMOUNT_IN = {"type": "number", "minimum": -999999999, "maximum": 999999999}
TIMESTAMP = {"type": "string", "format": "date-time"}
TIER = {"type": "string", "enum": list(TIERS)}
OFFER_KIND = {"type": "string", "enum": ["goodwill", "follow_up"]}
MAX_EVENTS = 500

SCHEMAS: dict[str, Any] = {
    "Error": ERROR_SCHEMA,
    "Health": obj({"status": {"type": "string", "enum": ["ok"]}, "database": {"type": "string"}}),
    "Risk": obj(
        {
            "customer_id": {"type": "string"},
            "risk": {"type": "number", "minimum": 0, "maximum": 1, "description": "calibrated churn probability"},
            "tier": TIER,
            "value": {**MONEY, "description": "value at stake: a year at the customer's pace"},
            "reasons": {"type": "array", "items": {"type": "string"}, "description": "what raised the risk most"},
            "scored_at": TIMESTAMP,
            "model": {"type": "string"},
        }
    ),
    "Event": obj(
        {
            "customer_id": CUSTOMER_ID,
            "at": TIMESTAMP,
            "kind": {"type": "string", "enum": list(KINDS)},
            "amount": {**AMOUNT_IN, "description": "money for purchases, returns and refunds", "default": 0},
        },
        required=["customer_id", "at", "kind"],
    ),
    "EventsRequest": obj({"events": {"type": "array", "items": ref("Event"), "minItems": 1, "maxItems": MAX_EVENTS}}),
    "EventsRecorded": obj({"recorded": {"type": "integer"}}),
    "OfferRequest": obj({"kind": OFFER_KIND, "cost": {"type": "number", "minimum": 0, "maximum": 999999}}),
    "Offer": obj(
        {
            "offer_id": {"type": "integer"},
            "customer_id": {"type": "string"},
            "at": TIMESTAMP,
            "kind": OFFER_KIND,
            "cost": MONEY,
            "tier": TIER,
        }
    ),
    "TierReport": obj(
        {
            "tier": TIER,
            "customers": {"type": "integer"},
            "value_at_risk": {**MONEY, "description": "Σ risk × value"},
            "offers": {"type": "integer"},
            "offer_cost": MONEY,
            "expected_value_saved": {**MONEY, "description": "Σ risk × value × offer_uplift over the offers"},
        }
    ),
    "Report": obj(
        {
            "scored_at": nullable(TIMESTAMP),
            "offer_uplift": {"type": "number"},
            "tiers": {"type": "array", "items": ref("TierReport")},
            "offers": {"type": "integer"},
            "offer_cost": MONEY,
            "expected_value_saved": MONEY,
        }
    ),
}

ERRORS = {
    **common.ERROR_DESCRIPTIONS,
    "403": f"The shopper has not consented to personalisation ({CONSENT_KEY}=true not sent)",
    "404": "The customer has no churn score yet",
    "409": "A follow-up was made to this customer within RETENTION_FOLLOW_UP_CAP_DAYS (follow_up_capped)",
}
CONSENT_QUERY = {
    "name": CONSENT_KEY,
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["true", "false"]},
    "description": "the shopper consented to personalisation; without it the risk is not given (403)",
}
PARAMETERS = {"CustomerId": {"name": "customer_id", "in": "path", "required": True, "schema": CUSTOMER_ID}}
_operation = partial(common.operation, error_descriptions=ERRORS, errors=("401",))

PATHS: dict[str, dict[str, Any]] = {
    "/health": {"get": _operation("Liveness and database check", "Health", errors=(), public=True)},
    "/openapi.json": {"get": common.SPEC_OPERATION},
    "/customers/{customer_id}/risk": {
        "get": _operation(
            "A customer's churn risk, value at stake, retention tier and the top reasons",
            "Risk",
            params=("CustomerId",),
            query=[CONSENT_QUERY],
            errors=("401", "403", "404", "422"),
        )
    },
    "/customers/{customer_id}/offers": {
        "post": _operation(
            "Record an offer made to keep the customer (for the report); a follow_up within "
            "RETENTION_FOLLOW_UP_CAP_DAYS of the last one is refused (409 follow_up_capped)",
            "Offer",
            status="201",
            body="OfferRequest",
            params=("CustomerId",),
            errors=("400", "401", "404", "409", "413", "422"),
        )
    },
    "/events": {
        "post": _operation(
            "Record what happened to customers (orders, returns, conversations, ...) for the next re-scoring",
            "EventsRecorded",
            body="EventsRequest",
            errors=("400", "401", "413", "422"),
        )
    },
    "/report": {"get": _operation("Customers per tier, offers made, their cost and the value they save", "Report")},
}


def build_spec() -> dict[str, Any]:
    return common.document(
        "Retention backend",
        "Churn risk (calibrated), value at stake, retention tier and reasons per customer, scored nightly by "
        "`python -m backends.retention.rescore`. Money is a decimal string in responses; timestamps are UTC.",
        PORT,
        PATHS,
        {"schemas": SCHEMAS, "parameters": PARAMETERS},
    )


REQUEST_BODIES = tuple(name for name in SCHEMAS if name.endswith("Request"))
