"""HTTP routes: validate the request, call the service, map errors to {"error": {...}} responses."""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from sqlalchemy.exc import DBAPIError

from backends.recommendations.openapi import ID_PATTERN, MAX_CART, MAX_K, PRODUCT_PATTERN, schema_for
from backends.recommendations.service import RecommendationService

logger = logging.getLogger(__name__)

SERVICE = web.AppKey("recommendation_service", RecommendationService)
SPEC = web.AppKey("openapi_spec", dict)
TOKEN = web.AppKey("api_token", str)
VALIDATORS = web.AppKey("body_validators", dict)

PUBLIC_PATHS = frozenset({"/health", "/openapi.json"})
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}
ID = re.compile(ID_PATTERN)
PRODUCT = re.compile(PRODUCT_PATTERN)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
routes = web.RouteTableDef()


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_request", f"Invalid {field}: {message}", {field: message})


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> web.Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return web.json_response({"error": error}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure leaves as {"error": {"code", "message"}}; nothing escapes as a bare 500."""
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error.status, error.code, error.message, error.fields)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        message = "Request body too large (limit 64 KiB)." if error.status == 413 else error.reason
        return error_response(error.status, HTTP_CODES.get(error.status, "http_error"), message)
    except (DBAPIError, OSError) as error:
        logger.error("database unavailable for %s %s: %s", request.method, request.path, error)
        return error_response(503, "database_unavailable", "The recommendation database is unavailable.")
    except Exception:
        logger.exception("unexpected error for %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Something went wrong on our side.")


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in PUBLIC_PATHS:
        return await handler(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), request.app[TOKEN].encode()):
        response = error_response(401, "unauthorized", "A valid bearer token is required.")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    return await handler(request)


def body_validators(spec: dict[str, Any]) -> dict[str, Draft202012Validator]:
    return {
        name: Draft202012Validator(schema_for(spec, name), format_checker=Draft202012Validator.FORMAT_CHECKER)
        for name in ("InteractionRequest", "ConversionRequest")
    }


async def json_body(request: web.Request, schema: str) -> dict[str, Any]:
    try:
        data = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, "malformed_json", f"The request body is not valid JSON: {error}.") from None
    problem = best_match(request.app[VALIDATORS][schema].iter_errors(data))
    if problem is not None:
        where = "/".join(str(p) for p in problem.absolute_path) or "body"
        raise invalid(where, problem.message)
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


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(request.app[SPEC])


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
