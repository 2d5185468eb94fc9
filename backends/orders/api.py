"""HTTP routes: parse and validate the request, call the service, map errors to JSON responses."""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from sqlalchemy.exc import DBAPIError

from backends.orders.errors import BadRequest, DomainError, Invalid, Unavailable
from backends.orders.openapi import ORDER_NUMBER_PATTERN, schema_for
from backends.orders.service import OrdersService
from backends.orders.states import Status

logger = logging.getLogger(__name__)

SERVICE = web.AppKey("orders_service", OrdersService)
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
ORDER_NUMBER = re.compile(ORDER_NUMBER_PATTERN)
ACTOR = re.compile(r"[\w.:@/-]{1,64}")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
routes = web.RouteTableDef()


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
    except DomainError as error:
        return error_response(error.status, error.code, error.message, getattr(error, "fields", None))
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = HTTP_CODES.get(error.status, "http_error")
        message = "Request body too large (limit 64 KiB)." if error.status == 413 else error.reason
        response = error_response(error.status, code, message)
        for header in ("Allow", "WWW-Authenticate"):
            if header in error.headers:
                response.headers[header] = error.headers[header]
        return response
    except (DBAPIError, OSError) as error:
        logger.error("database unavailable for %s %s: %s", request.method, request.path, error)
        unavailable = Unavailable("The order database is unavailable; please try again shortly.")
        return error_response(unavailable.status, unavailable.code, unavailable.message)
    except Exception:
        logger.exception("unexpected error for %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Something went wrong on our side.")


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in PUBLIC_PATHS:
        return await handler(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = request.app[TOKEN]
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        response = error_response(401, "unauthorized", "A valid bearer token is required.")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    return await handler(request)


def body_validators(spec: dict[str, Any]) -> dict[str, Draft202012Validator]:
    names = {"VerifyRequest", "ReasonRequest", "Address", "StatusChange", "RefundDecision"}
    return {
        name: Draft202012Validator(schema_for(spec, name), format_checker=Draft202012Validator.FORMAT_CHECKER)
        for name in names
    }


async def json_body(request: web.Request, schema: str) -> dict[str, Any]:
    """Reads and validates the body; aiohttp itself refuses bodies above client_max_size (413)."""
    raw = await request.read()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"The request body is not valid JSON: {error}.") from None
    problem = best_match(request.app[VALIDATORS][schema].iter_errors(data))
    if problem is not None:
        where = "/".join(str(p) for p in problem.absolute_path) or "body"
        raise Invalid(f"Invalid {where}: {problem.message}", fields={where: problem.message})
    return data


def order_number(request: web.Request) -> int:
    raw = request.match_info["order_number"]
    if not ORDER_NUMBER.fullmatch(raw):
        raise Invalid("Order numbers have 6 digits, like 104532.", fields={"order_number": "must be 6 digits"})
    return int(raw)


def actor(request: web.Request) -> str:
    value = request.headers.get("X-Actor", "api")
    if not ACTOR.fullmatch(value):
        raise Invalid("X-Actor must be 1-64 letters, digits or ._:@/-", fields={"X-Actor": "invalid"})
    return value


def service(request: web.Request) -> OrdersService:
    return request.app[SERVICE]


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "database": await service(request).ping()})


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(request.app[SPEC])


@routes.get("/customers/{customer_id}")
async def get_customer(request: web.Request) -> web.Response:
    return web.json_response(await service(request).customer(request.match_info["customer_id"]))


@routes.get("/customers/{customer_id}/orders")
async def list_customer_orders(request: web.Request) -> web.Response:
    raw = request.query.get("limit", "5")
    if not raw.isdigit() or not 1 <= int(raw) <= 50:
        raise Invalid("limit must be a whole number from 1 to 50.", fields={"limit": "1-50"})
    result = await service(request).list_customer_orders(request.match_info["customer_id"], int(raw))
    return web.json_response(result)


@routes.get("/orders/{order_number}")
async def get_order(request: web.Request) -> web.Response:
    customer_id = request.query.get("customer_id") or None
    return web.json_response(await service(request).get_order(order_number(request), customer_id))


@routes.post("/orders/{order_number}/verify")
async def verify(request: web.Request) -> web.Response:
    number = order_number(request)
    body = await json_body(request, "VerifyRequest")
    verified = await service(request).verify_owner(number, body.get("email"), body.get("postcode"))
    return web.json_response({"order_number": f"{number:06d}", "verified": verified})


@routes.get("/orders/{order_number}/tracking")
async def tracking(request: web.Request) -> web.Response:
    return web.json_response(await service(request).tracking(order_number(request)))


@routes.post("/orders/{order_number}/cancel")
async def cancel(request: web.Request) -> web.Response:
    number, who = order_number(request), actor(request)
    body = await json_body(request, "ReasonRequest")
    return web.json_response(await service(request).cancel(number, body["reason"], who))


@routes.put("/orders/{order_number}/shipping-address")
async def change_shipping_address(request: web.Request) -> web.Response:
    number, who = order_number(request), actor(request)
    body = await json_body(request, "Address")
    return web.json_response(await service(request).change_shipping_address(number, body, who))


@routes.post("/orders/{order_number}/returns")
async def start_return(request: web.Request) -> web.Response:
    number, who = order_number(request), actor(request)
    body = await json_body(request, "ReasonRequest")
    return web.json_response(await service(request).start_return(number, body["reason"], who), status=201)


@routes.get("/orders/{order_number}/refunds")
async def refunds(request: web.Request) -> web.Response:
    return web.json_response(await service(request).refunds(order_number(request)))


@routes.get("/orders/{order_number}/invoice")
async def invoice(request: web.Request) -> web.Response:
    return web.json_response(await service(request).invoice(order_number(request)))


@routes.post("/orders/{order_number}/status")
async def set_status(request: web.Request) -> web.Response:
    number, who = order_number(request), actor(request)
    body = await json_body(request, "StatusChange")
    eta = body.get("eta")
    result = await service(request).set_status(
        number,
        Status(body["status"]),
        who,
        carrier=body.get("carrier"),
        tracking_number=body.get("tracking_number"),
        eta=None if eta is None else date.fromisoformat(eta),
    )
    return web.json_response(result)


@routes.get("/orders/{order_number}/audit")
async def audit(request: web.Request) -> web.Response:
    number = order_number(request)
    entries = await service(request).audit_trail("order", number)
    return web.json_response({"order_number": f"{number:06d}", "entries": entries})


@routes.post("/refunds/{refund_id}/decision")
async def decide_refund(request: web.Request) -> web.Response:
    raw, who = request.match_info["refund_id"], actor(request)
    if not raw.isdigit():
        raise Invalid("Refund ids are whole numbers.", fields={"refund_id": "must be a number"})
    body = await json_body(request, "RefundDecision")
    return web.json_response(await service(request).decide_refund(int(raw), body["status"], who))
