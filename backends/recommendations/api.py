"""HTTP routes: validate the request, call the service, map errors to {"error": {...}} responses."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator

from backends.common import http
from backends.recommendations.openapi import ID_PATTERN, MAX_CART, MAX_K, PRODUCT_PATTERN, schema_for
from backends.recommendations.service import RecommendationService

logger = logging.getLogger(__name__)

SERVICE = web.AppKey("recommendation_service", RecommendationService)

ID = re.compile(ID_PATTERN)
PRODUCT = re.compile(PRODUCT_PATTERN)
routes = web.RouteTableDef()


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_request", f"Invalid {field}: {message}", {field: message})


# Kept as before the move to backends.common: unlike orders and pricing, no Allow / WWW-Authenticate
# headers are copied from aiohttp errors, and the 503 message has no "try again" hint.
error_middleware = http.make_error_middleware(
    ApiError,
    ApiError(503, "database_unavailable", "The recommendation database is unavailable."),
    log=logger,
    forward_headers=(),
)


def body_validators(spec: dict[str, Any]) -> dict[str, Draft202012Validator]:
    return http.body_validators(spec, ("InteractionRequest", "ConversionRequest"), schema_for)


async def json_body(request: web.Request, schema: str) -> dict[str, Any]:
    data = await http.read_json(request, lambda message: ApiError(400, "malformed_json", message))
    problem = http.schema_problem(request, schema, data)
    if problem is not None:
        where, error = problem
        raise invalid(where, error.message)
    return data


def optional_id(request: web.Request, name: str, pattern: re.Pattern[str] = ID) -> str | None:
    value = request.query.get(name)
    if value is None or value == "":
        return None
    if not pattern.fullmatch(value):
        raise invalid(name, "1-64 letters, digits or _.:@/-")
    return value


def parse_k(request: web.Request) -> int:
    raw = request.query.get("k", "10")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_K:
        raise invalid("k", f"a whole number from 1 to {MAX_K}")
    return int(raw)


def parse_cart(request: web.Request) -> list[str]:
    entries = [entry.strip() for entry in request.query.get("cart", "").split(",") if entry.strip()]
    if len(entries) > MAX_CART or not all(PRODUCT.fullmatch(entry) for entry in entries):
        raise invalid("cart", f"at most {MAX_CART} comma-separated SKUs or product ids")
    return entries


def service(request: web.Request) -> RecommendationService:
    return request.app[SERVICE]


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    recommender = service(request)
    model = recommender.model
    state = {
        "users": len(model.users) if model else 0,
        "items": len(model.items) if model else 0,
        "trained_at": model.trained_at.isoformat() if model and model.trained_at else None,
    }
    return web.json_response({"status": "ok", "database": await recommender.ping(), "model": state})


routes.get("/openapi.json")(http.serve_spec)


@routes.post("/interactions")
async def interactions(request: web.Request) -> web.Response:
    body = await json_body(request, "InteractionRequest")
    if "occurred_at" in body:
        try:
            datetime.fromisoformat(body["occurred_at"])
        except ValueError:
            raise invalid("occurred_at", "an ISO 8601 date-time such as 2026-03-04T10:00:00Z") from None
    return web.json_response(await service(request).add_interaction(body), status=201)


@routes.post("/conversions")
async def conversions(request: web.Request) -> web.Response:
    body = await json_body(request, "ConversionRequest")
    return web.json_response(await service(request).add_conversion(body), status=201)


@routes.get("/recommendations")
async def recommendations(request: web.Request) -> web.Response:
    result = await service(request).recommendations(
        customer_id=optional_id(request, "customer_id"),
        product_id=optional_id(request, "product_id", PRODUCT),
        cart=parse_cart(request),
        k=parse_k(request),
        conversation_id=optional_id(request, "conversation_id"),
    )
    return web.json_response(result)
