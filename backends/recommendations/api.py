"""HTTP routes: validate the request, call the service, map errors to {"error": {...}} responses."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator

from backends.recommendations.abandoned_carts import AbandonedCarts
from backends.recommendations.engine import Model
from backends.recommendations.openapi import (
    CART_PATTERN,
    ID_PATTERN,
    MAX_CART,
    MAX_K,
    PRODUCT_PATTERN,
    QUERY,
    schema_for,
)
from backends.recommendations.service import ModelFileMissing, RecommendationService
from backends.recommendations.shop_events import shop_event
from backends.recommendations.sources import ItemsUnavailable
from contracts.consent import CONSENT_KEY
from service_kit import http
from service_kit.event_stream import StreamPublisher

logger = logging.getLogger(__name__)

SERVICE = web.AppKey("recommendation_service", RecommendationService)
CARTS = web.AppKey("abandoned_carts", AbandonedCarts)  # absent with ABANDONED_CART=off
# The shop's events onto the stream (shop_events.py); absent with the stream off. With it, the detector
# takes its carts from the stream, and is called from the request only when publishing failed.
SHOP_EVENTS = web.AppKey("shop_events", StreamPublisher)

ID = re.compile(ID_PATTERN)
PRODUCT = re.compile(PRODUCT_PATTERN)
CART = re.compile(CART_PATTERN)
routes = web.RouteTableDef()


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_request", f"Invalid {field}: {message}", {field: message})


# A 405 keeps aiohttp's Allow header (RFC 9110 requires it; schemathesis found it missing).
error_middleware = http.make_error_middleware(
    ApiError, ApiError(503, "database_unavailable", "The recommendation database is unavailable."), log=logger
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
    if value is None:
        return None
    if not pattern.fullmatch(value):  # an empty value too: the contract says leave the parameter out
        limit = 128 if pattern is PRODUCT else 64
        raise invalid(name, f"1-{limit} letters, digits or _.:@/- (leave it out when there is none)")
    return value


def parse_k(request: web.Request) -> int:
    raw = request.query.get("k", "10")
    # [0-9], not str.isdigit: "²" is a digit to isdigit but not to int().
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= MAX_K:
        raise invalid("k", f"a whole number from 1 to {MAX_K}")
    return int(raw)


def parse_cart(request: web.Request) -> list[str]:
    raw = request.query.get("cart")
    if raw is None:
        return []
    if not CART.fullmatch(raw):
        raise invalid("cart", f"1 to {MAX_CART} SKUs or product ids separated by commas, no spaces")
    return raw.split(",")


def service(request: web.Request) -> RecommendationService:
    return request.app[SERVICE]


def model_state(recommender: RecommendationService) -> dict[str, Any]:
    model = recommender.model
    return {
        "users": len(model.users) if model else 0,
        "items": len(model.items) if model else 0,
        "trained_at": model.trained_at.isoformat() if model and model.trained_at else None,
        "catalogue_fingerprint": model.catalogue_fingerprint if model else None,
    }


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    recommender = service(request)
    catalogue = {
        "source": recommender.items_source,
        "items": len(recommender.items.items),
        "fingerprint": recommender.items_fingerprint,
        "loaded_at": recommender.items_loaded_at.isoformat() if recommender.items_loaded_at else None,
    }
    database = await recommender.ping()
    return web.json_response(
        {"status": "ok", "database": database, "model": model_state(recommender), "catalogue": catalogue}
    )


routes.get("/openapi.json")(http.serve_spec)


@routes.post("/interactions")
async def interactions(request: web.Request) -> web.Response:
    body = await json_body(request, "InteractionRequest")
    occurred_at = None
    if "occurred_at" in body:
        try:
            occurred_at = datetime.fromisoformat(body["occurred_at"])
        except ValueError:
            raise invalid("occurred_at", "an ISO 8601 date-time such as 2026-03-04T10:00:00Z") from None
    recorded = await service(request).add_interaction(body)
    when = occurred_at or service(request).clock()
    publisher = request.app.get(SHOP_EVENTS)
    published = publisher is not None and await publisher.publish(shop_event(body, recorded["id"], when))
    carts = request.app.get(CARTS)
    if carts is not None and not published:  # an add_to_cart naming the chat is watched (abandoned_carts.py)
        await carts.watch(body, recorded["id"], when)
    return web.json_response(recorded, status=201)


@routes.post("/conversions")
async def conversions(request: web.Request) -> web.Response:
    body = await json_body(request, "ConversionRequest")
    return web.json_response(await service(request).add_conversion(body), status=201)


RECOMMENDATION_QUERY = frozenset(parameter["name"] for parameter in QUERY)


def known_query(request: web.Request, allowed: frozenset[str]) -> None:
    """A misspelt parameter (?product=…) would otherwise be ignored and give a plausible wrong list."""
    unknown = sorted(set(request.query) - allowed)
    if unknown:
        expected = ", ".join(sorted(allowed)) or "none"
        raise invalid(unknown[0], f"unknown query parameter (expected: {expected})")


@routes.get("/recommendations")
async def recommendations(request: web.Request) -> web.Response:
    known_query(request, RECOMMENDATION_QUERY)
    result = await service(request).recommendations(
        customer_id=optional_id(request, "customer_id"),
        product_id=optional_id(request, "product_id", PRODUCT),
        cart=parse_cart(request),
        k=parse_k(request),
        conversation_id=optional_id(request, "conversation_id"),
        consent=consent_given(request),
    )
    return web.json_response(result)


def consent_given(request: web.Request) -> bool:
    """`personalisation_consent=true` lets the customer's history shape the list; absent means no
    consent (GDPR: no profiling without it), whatever customer id is sent."""
    raw = request.query.get(CONSENT_KEY)
    if raw is None:
        return False
    if raw not in ("true", "false"):
        raise invalid(CONSENT_KEY, "true or false (leave it out when the shopper has not consented)")
    return raw == "true"


@routes.post("/items/refresh")
async def refresh_items(request: web.Request) -> web.Response:
    try:
        return web.json_response(await service(request).refresh_items())
    except ItemsUnavailable as error:
        logger.warning("items refresh failed: %s", error)
        raise ApiError(503, "catalogue_unavailable", f"The catalogue could not be read: {error}") from None


@routes.post("/admin/reload")
async def reload_model(request: web.Request) -> web.Response:
    recommender = service(request)
    try:
        reloaded = await recommender.reload_model(force=True)
    except ModelFileMissing as error:
        raise ApiError(
            404, "no_model_file", f"No model to load: {error}. Run python -m backends.recommendations.train."
        ) from None
    except Model.LOAD_ERRORS as error:
        logger.error("model file unreadable: %r", error)
        raise ApiError(503, "model_unreadable", "The model file could not be read; the old model stays.") from None
    return web.json_response({"reloaded": reloaded, "model": model_state(recommender)})
