"""The OpenAPI 3.1 contract served at /openapi.json; api.py validates request bodies against it.

It is the contract a shop implements to replace this service with its own recommender.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from contracts.consent import CONSENT_KEY
from service_kit import openapi as common
from service_kit.openapi import ERROR_SCHEMA
from service_kit.openapi import nullable as _nullable
from service_kit.openapi import obj as _object
from service_kit.openapi import ref as _ref
from service_kit.openapi import schema_for as schema_for

ID_PATTERN = r"^[A-Za-z0-9_.:@/-]{1,64}$"
PRODUCT_PATTERN = r"^[A-Za-z0-9_.:@/-]{1,128}$"
_ENTRY = r"[A-Za-z0-9_.:@/-]{1,128}"
CART_PATTERN = rf"^{_ENTRY}(,{_ENTRY}){{0,49}}$"  # MAX_CART entries
EVENT_TYPES = ["view", "add_to_cart", "remove_from_cart", "purchase", "rating"]
MAX_K = 50
MAX_CART = 50


ID = {"type": "string", "pattern": ID_PATTERN}
# A chat's conversation id as the page knows it (the web widget's signed ids are 69 characters);
# the interaction log keeps its first 64 (service.py), the abandoned-cart watch all of it.
CONVERSATION_ID = {"type": "string", "pattern": r"^[A-Za-z0-9_.:@/-]{1,128}$"}
REVENUE = {"type": "number", "minimum": 0, "maximum": 10_000_000}
SOURCE = {"type": "string", "enum": ["graph", "snapshot", "demo", "fixed", "none"]}
PRODUCT = {"type": "string", "pattern": PRODUCT_PATTERN}

SCHEMAS: dict[str, Any] = {
    "Error": ERROR_SCHEMA,
    "Health": _object(
        {
            "status": {"type": "string", "enum": ["ok"]},
            "database": {"type": "string"},
            "model": _ref("ModelState"),
            "catalogue": _object(
                {
                    "source": {**SOURCE, "description": "where the items in use came from"},
                    "items": {"type": "integer"},
                    "fingerprint": {"type": "string"},
                    "loaded_at": _nullable({"type": "string"}),
                }
            ),
        }
    ),
    "ModelState": _object(
        {
            "users": {"type": "integer"},
            "items": {"type": "integer"},
            "trained_at": _nullable({"type": "string"}),
            "catalogue_fingerprint": {
                **_nullable({"type": "string"}),
                "description": "the catalogue the model was trained on",
            },
        }
    ),
    "ItemsRefreshed": _object(
        {
            "source": SOURCE,
            "items": {"type": "integer"},
            "fingerprint": {"type": "string"},
            "changed": {"type": "boolean", "description": "the catalogue differs from the one held before"},
            "retrained": {"type": "boolean", "description": "the model was rebuilt for it (and saved)"},
        }
    ),
    "ModelReloaded": _object({"reloaded": {"type": "boolean"}, "model": _ref("ModelState")}),
    "InteractionRequest": {
        **_object(
            {
                "customer_id": ID,
                "product_id": PRODUCT,
                "type": {"type": "string", "enum": EVENT_TYPES},
                "rating": {"type": "number", "minimum": 1, "maximum": 5, "description": "required for type=rating"},
                "conversation_id": CONVERSATION_ID,
                "occurred_at": {"type": "string", "format": "date-time", "description": "default: now"},
                "revenue": {**REVENUE, "description": "for type=purchase: what the item sold for (revenue figures)"},
                CONSENT_KEY: {
                    "type": "boolean",
                    "description": "the shopper's answer to the shop's consent banner, when given: false means "
                    "no abandoned-cart message for this add_to_cart",
                },
            },
            required=["customer_id", "product_id", "type"],
        ),
        "if": {"properties": {"type": {"const": "rating"}}},
        "then": {"required": ["rating"]},
    },
    "InteractionRecorded": _object(
        {
            "id": {"type": "integer"},
            "attributed_variant": {
                **_nullable({"type": "string"}),
                "description": "for a purchase of a recommended item: the A/B variant credited",
            },
        }
    ),
    "ConversionRequest": _object(
        {"customer_id": ID, "product_id": PRODUCT, "order_id": ID, "revenue": REVENUE},
        required=["customer_id", "product_id"],
    ),
    "ConversionRecorded": _object({"attributed": {"type": "boolean"}, "variant": _nullable({"type": "string"})}),
    "RecommendedItem": _object(
        {
            "product_id": {"type": "string"},
            "title": {"type": "string"},
            "score": {"type": "number"},
            "reason": {"type": "string", "examples": ["people who bought Aero 12 also bought"]},
            "source": {
                "type": "string",
                "enum": ["item_cf", "user_cf", "content", "popularity", "accessory", "alternative"],
            },
        }
    ),
    "RecommendationList": _object(
        {
            "customer_id": _nullable({"type": "string"}),
            "conversation_id": _nullable({"type": "string"}),
            "experiment": {"type": "string"},
            "variant": {"type": "string"},
            "list_id": {**_nullable({"type": "integer"}), "description": "null when nothing was shown"},
            "personalised": {
                "type": "boolean",
                "description": f"built from the customer's own history (only with {CONSENT_KEY}=true)",
            },
            "capped": {"type": "boolean", "description": "true: this conversation had its quota of lists"},
            "items": {"type": "array", "items": _ref("RecommendedItem")},
        }
    ),
}

QUERY: list[dict[str, Any]] = [
    {"name": "customer_id", "in": "query", "required": False, "schema": ID},
    {"name": "product_id", "in": "query", "required": False, "schema": PRODUCT, "description": "product on screen"},
    {
        "name": "cart",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "pattern": CART_PATTERN},
        "description": f"comma-separated SKUs or product ids in the cart (at most {MAX_CART}, no spaces)",
    },
    {"name": "k", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_K}},
    {"name": "conversation_id", "in": "query", "required": False, "schema": ID},
    {
        "name": CONSENT_KEY,
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["true", "false"]},
        "description": "the shopper consented to personalisation; without it the customer id is ignored and "
        "the list is non-personal (popularity, the product on screen and the cart)",
    },
]

ERRORS = {
    **common.ERROR_DESCRIPTIONS,
    "404": "No model file to load",
    "503": "The database, the knowledge graph or the model file cannot be read right now",
}


_operation = partial(common.operation, error_descriptions=ERRORS, errors=("401", "422"))


_BODY_ERRORS = ("400", "401", "413", "422")
PATHS: dict[str, Any] = {
    "/health": {"get": _operation("Liveness, database and model", "Health", errors=(), public=True)},
    "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OK"}}}},
    "/interactions": {
        "post": _operation(
            "Log a view, add-to-cart, purchase or rating; counts for the shopper's next list at once",
            "InteractionRecorded",
            status="201",
            body="InteractionRequest",
            errors=_BODY_ERRORS,
        )
    },
    "/conversions": {
        "post": _operation(
            "A purchase to attribute to the recommendation list that showed the item (A/B reporting)",
            "ConversionRecorded",
            status="201",
            body="ConversionRequest",
            errors=_BODY_ERRORS,
        )
    },
    "/recommendations": {
        "get": _operation("Top-k items with score and reason, frequency-capped", "RecommendationList", query=QUERY)
    },
    "/items/refresh": {
        "post": _operation(
            "Re-read the catalogue from the knowledge graph now (an import is otherwise seen within "
            "RECS_ITEMS_REFRESH_S); retrains when it changed",
            "ItemsRefreshed",
            errors=("401", "503"),
        )
    },
    "/admin/reload": {
        "post": _operation(
            "Load the model file now (the service also polls it every RECS_MODEL_POLL_S); requests "
            "in flight finish on the old model",
            "ModelReloaded",
            errors=("401", "404", "503"),
        )
    },
}


def build_spec() -> dict[str, Any]:
    return common.document(
        "Recommendations backend",
        "Personalised product recommendations (collaborative filtering, content, popularity, "
        "cart context), an interaction log, frequency capping and A/B tests.",
        8104,
        PATHS,
        {"schemas": SCHEMAS},
    )
