"""The OpenAPI 3.1 contract served at /openapi.json; api.py validates request bodies against it.

It is the contract a shop implements to replace this service with its own recommender.
"""

from __future__ import annotations

from typing import Any

ID_PATTERN = r"^[A-Za-z0-9_.:@/-]{1,64}$"
PRODUCT_PATTERN = r"^[A-Za-z0-9_.:@/-]{1,128}$"
EVENT_TYPES = ["view", "add_to_cart", "purchase", "rating"]
MAX_K = 50
MAX_CART = 50


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


ID = {"type": "string", "pattern": ID_PATTERN}
PRODUCT = {"type": "string", "pattern": PRODUCT_PATTERN}

SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
                required=["code", "message"],
            )
        }
    ),
    "Health": _object(
        {
            "status": {"type": "string", "enum": ["ok"]},
            "database": {"type": "string"},
            "model": _object(
                {
                    "users": {"type": "integer"},
                    "items": {"type": "integer"},
                    "trained_at": _nullable({"type": "string"}),
                }
            ),
        }
    ),
    "InteractionRequest": {
        **_object(
            {
                "customer_id": ID,
                "product_id": PRODUCT,
                "type": {"type": "string", "enum": EVENT_TYPES},
                "rating": {"type": "number", "minimum": 1, "maximum": 5, "description": "required for type=rating"},
                "conversation_id": ID,
                "occurred_at": {"type": "string", "format": "date-time", "description": "default: now"},
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
        {"customer_id": ID, "product_id": PRODUCT, "order_id": ID}, required=["customer_id", "product_id"]
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
            "capped": {"type": "boolean", "description": "true: this conversation had its quota of lists"},
            "items": {"type": "array", "items": _ref("RecommendedItem")},
        }
    ),
}

QUERY = [
    {"name": "customer_id", "in": "query", "required": False, "schema": ID},
    {"name": "product_id", "in": "query", "required": False, "schema": PRODUCT, "description": "product on screen"},
    {
        "name": "cart",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": f"comma-separated SKUs or product ids in the cart (at most {MAX_CART})",
    },
    {"name": "k", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_K}},
    {"name": "conversation_id", "in": "query", "required": False, "schema": ID},
]

ERRORS = {
    "400": "Malformed JSON body",
    "401": "Missing or wrong bearer token",
    "413": "Body larger than 64 KiB",
    "422": "Invalid parameters or body",
}


def _operation(
    summary: str,
    response: str,
    *,
    status: str = "200",
    body: str | None = None,
    query: list[dict[str, Any]] | None = None,
    errors: tuple[str, ...] = ("401", "422"),
    public: bool = False,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "parameters": query or [],
        "responses": {
            status: {"description": "OK", "content": {"application/json": {"schema": _ref(response)}}},
            **{
                code: {"description": ERRORS[code], "content": {"application/json": {"schema": _ref("Error")}}}
                for code in errors
            },
        },
    }
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    if public:
        operation["security"] = []
    return operation


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
}


def build_spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Recommendations backend",
            "version": "1.0.0",
            "description": "Personalised product recommendations (collaborative filtering, content, popularity, "
            "cart context), an interaction log, frequency capping and A/B tests.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "http://127.0.0.1:8104"}],
        "security": [{"bearerAuth": []}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    }


def schema_for(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
