"""The OpenAPI 3.1 description of the knowledge-graph service (served at /openapi.json).

The reply bodies are the catalogue dataclasses of contracts/catalogue.py as `to_json` writes them,
so their schemas are generated from those dataclasses (pydantic's JSON Schema of a dataclass): a
field added there appears here without a second definition. The limits are service.py's constants;
the schemathesis test (tests/knowledge_graph/test_graph_schemathesis.py) checks real replies.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from pydantic import TypeAdapter

from catalogue_files.result import ImportIssue
from contracts.catalogue import (
    Policy,
    ProductDetails,
    ProductLink,
    ProductSummary,
    RelatedProduct,
    Resolution,
    SearchResult,
)
from contracts.catalogue_wire import MAX_NAME_CHARS
from knowledge_graph.importers.load import FORMATS
from knowledge_graph.schema import PRODUCT_LINKS
from knowledge_graph.semantic_search import UpsertStats
from service_kit import openapi as common
from service_kit.openapi import ERROR_SCHEMA, NOT_BLANK_PATTERN, nullable, obj, ref

CATALOGUE_TYPES: dict[str, Any] = {
    "ProductSummary": ProductSummary,
    "ProductDetails": ProductDetails,
    "ProductLink": ProductLink,
    "RelatedProduct": RelatedProduct,
    "Resolution": Resolution,
    "SearchResult": SearchResult,
    "Policy": Policy,
    "UpsertStats": UpsertStats,
    "ImportIssue": ImportIssue,
}
REF_TEMPLATE = "#/components/schemas/{model}"
COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}, "description": "per kind"}


def catalogue_schemas() -> dict[str, Any]:
    """JSON Schemas of the catalogue types (and the types they nest), keyed by class name."""
    schemas: dict[str, Any] = {}
    for name, kind in CATALOGUE_TYPES.items():
        schema = TypeAdapter(kind).json_schema(mode="serialization", ref_template=REF_TEMPLATE)
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return schemas


def _list_of(field: str, item: str) -> dict[str, Any]:
    return obj({field: {"type": "array", "items": ref(item)}})


def schemas(max_ids: int) -> dict[str, Any]:
    return {
        **catalogue_schemas(),
        "Error": ERROR_SCHEMA,
        "Health": obj({"status": {"type": "string", "enum": ["ok"]}}),
        "Stats": obj(
            {
                "store": {"type": "string"},
                "nodes": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
                "indexed_products": {"type": "integer", "minimum": 0},
            }
        ),
        "ProductList": _list_of("products", "ProductSummary"),
        "ProductDetailsList": _list_of("products", "ProductDetails"),
        "CataloguePage": obj(
            {
                "products": {"type": "array", "items": ref("ProductDetails")},
                "links": {"type": "array", "items": ref("ProductLink")},
                "next": nullable({"type": "string"}),
            }
        ),
        "LookupRequest": obj({"ids": {"type": "array", "maxItems": max_ids, "items": {"type": "string"}}}),
        "RelatedList": _list_of("related", "RelatedProduct"),
        "PolicyAnswer": obj({"policy": nullable(ref("Policy"))}),
        "ImportSummary": obj(
            {
                "rows_read": {"type": "integer", "minimum": 0},
                "products": {"type": "integer", "minimum": 0},
                "variants": {"type": "integer", "minimum": 0},
                "created": COUNTS,
                "updated": COUNTS,
                "edges": COUNTS,
                "index": nullable(ref("UpsertStats")),
                "issues": {"type": "array", "items": ref("ImportIssue")},
            }
        ),
    }


def _query(name: str, schema: dict[str, Any], required: bool = False, description: str = "") -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "required": required, "schema": schema}
    return {**parameter, "description": description} if description else parameter


def _text(name: str, max_chars: int, description: str) -> dict[str, Any]:
    schema = {"type": "string", "minLength": 1, "maxLength": max_chars, "pattern": NOT_BLANK_PATTERN}
    return _query(name, schema, required=True, description=description)


def _limit(name: str, default: int, maximum: int) -> dict[str, Any]:
    return _query(name, {"type": "integer", "minimum": 1, "maximum": maximum, "default": default})


def _filters() -> list[dict[str, Any]]:
    """The product filter as URL parameters (contracts.catalogue_wire.filter_from_query)."""
    price = {"type": "number", "minimum": 0}
    return [
        _query("category", {"type": "string", "maxLength": MAX_NAME_CHARS}),
        _query("brand", {"type": "string", "maxLength": MAX_NAME_CHARS}),
        _query("max_price", price),
        _query("min_price", price),
        _query("in_stock_only", {"type": "boolean"}),
    ]


def _path(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string", "minLength": 1}}


ERRORS = {
    **common.ERROR_DESCRIPTIONS,
    "404": "No such product",
    "413": "Body larger than the service accepts",
    "503": "The graph or its index is unavailable",
}
_operation = partial(common.operation, error_descriptions=ERRORS, errors=("401", "422", "503"))


def build_spec(
    max_text: int, max_limit: int, max_ids: int, page_limit: int, max_page: int, port: int = 8102
) -> dict[str, Any]:
    product_id = _path("product_id")
    paths = {
        "/health": {"get": common.operation("Liveness", "Health", error_descriptions={}, errors=(), public=True)},
        "/openapi.json": {"get": common.SPEC_OPERATION},
        "/stats": {"get": _operation("Node counts and the size of the search index", "Stats")},
        "/products": {
            "get": _operation(
                "Products passing the filters", "ProductList", query=[*_filters(), _limit("limit", 10, max_limit)]
            )
        },
        "/catalogue": {
            "get": _operation(
                "Every product with details and outgoing links, a page at a time in id order",
                "CataloguePage",
                query=[
                    _query("after", {"type": "string", "maxLength": max_text}),
                    _limit("limit", page_limit, max_page),
                ],
            )
        },
        "/products/lookup": {
            "post": _operation(
                f"Details of up to {max_ids} products",
                "ProductDetailsList",
                body="LookupRequest",
                errors=("400", "401", "413", "422", "503"),
            ),
            # The product route below answers GET here too: a catalogue may have a product "lookup".
            "get": _operation("The product whose id is 'lookup'", "ProductDetails", errors=("401", "404", "503")),
        },
        "/products/{product_id}": {
            "get": {
                **_operation("One product's details", "ProductDetails", errors=("401", "404", "422", "503")),
                "parameters": [product_id],
            }
        },
        "/products/{product_id}/related/{kind}": {
            "get": _operation(
                "Products linked to this one (similar, compatible, ...)",
                "RelatedList",
                query=[
                    product_id,
                    _path("kind", {"type": "string", "enum": list(PRODUCT_LINKS)}),
                    _query("incoming", {"type": "boolean"}),
                    *_filters(),
                    _limit("limit", 10, max_limit),
                ],
            )
        },
        "/resolve": {
            "get": _operation(
                "Which product a piece of shopper text names (or that it is ambiguous)",
                "Resolution",
                query=[_text("text", max_text, "The shopper's words"), _limit("limit", 5, max_limit)],
            )
        },
        "/search": {
            "get": _operation(
                "Products matching a shopper's phrase, best first",
                "SearchResult",
                query=[_text("text", max_text, "The shopper's words"), _limit("k", 5, max_limit), *_filters()],
            )
        },
        "/policy": {
            "get": _operation(
                "The policy/FAQ entry answering a question, if any",
                "PolicyAnswer",
                query=[_text("question", max_text, "The shopper's question")],
            )
        },
        "/imports": {
            "post": {
                **_operation(
                    "Import a catalogue file (streamed); products are created or updated in place",
                    "ImportSummary",
                    query=[_query("format", {"type": "string", "enum": list(FORMATS), "default": "shopify"})],
                ),
                "requestBody": {
                    "required": True,
                    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
                },
            }
        },
    }
    description = (
        "The product knowledge graph: products, variants, links and policies, name resolution and "
        "product search. Read by the action server and the recommendations backend."
    )
    return common.document("Knowledge-graph service", description, port, paths, {"schemas": schemas(max_ids)})
