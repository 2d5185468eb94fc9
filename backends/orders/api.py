"""HTTP routes: parse and validate the request, call the service, map errors to JSON responses."""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator

from backends.orders.errors import DomainError, Invalid, NotFound, Unavailable
from backends.orders.openapi import ACTOR_PATTERN, CODE_PATTERN, ORDER_NUMBER_PATTERN, schema_for
from backends.orders.service import MAX_ID, OrdersService
from contracts.orders import OrderStatus
from contracts.orders_wire import order_number_to_json, ownership_check_to_json
from service_kit import http

logger = logging.getLogger(__name__)

SERVICE = web.AppKey("orders_service", OrdersService)

ORDER_NUMBER = re.compile(ORDER_NUMBER_PATTERN)
ACTOR = re.compile(ACTOR_PATTERN)
CODE = re.compile(CODE_PATTERN)
# [0-9], not str.isdigit(): "²" and "٣" are digits to isdigit, and int() rejects the first.
DIGITS = re.compile(r"[0-9]+")
routes = web.RouteTableDef()

error_middleware = http.make_error_middleware(
    DomainError, Unavailable("The order database is unavailable; please try again shortly."), log=logger
)


def body_validators(spec: dict[str, Any]) -> dict[str, Draft202012Validator]:
    names = {"VerifyRequest", "ReasonRequest", "Address", "StatusChange", "RefundDecision", "ChangeCodeRequest"}
    return http.body_validators(spec, names, schema_for)


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


async def spend_code(request: web.Request, number: int, purpose: str) -> None:
    """With an `X-Change-Code` header the change happens only if that one-time code is valid (and
    spends it); without one the caller vouches for the shopper (an app user, shop staff)."""
    code = request.headers.get("X-Change-Code")
    if code is None:
        return
    if not CODE.fullmatch(code):
        raise Invalid("X-Change-Code must be the 8 digits from the mail.", fields={"X-Change-Code": "8 digits"})
    await service(request).redeem_code(number, purpose, code)


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "database": await service(request).ping()})


routes.get("/openapi.json")(http.serve_spec)


@routes.get("/customers/{customer_id}")
async def get_customer(request: web.Request) -> web.Response:
    return web.json_response(await service(request).customer(request.match_info["customer_id"]))


@routes.get("/customers/{customer_id}/orders")
async def list_customer_orders(request: web.Request) -> web.Response:
    raw = request.query.get("limit", "5")
    if not DIGITS.fullmatch(raw) or len(raw) > 2 or not 1 <= int(raw) <= 50:
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
    body = await http.validated_json(request, "VerifyRequest")
    result = await service(request).verify_owner(
        number, body.get("email"), body.get("postcode"), body.get("clients", [])
    )
    return web.json_response(ownership_check_to_json(order_number_to_json(number), result))


@routes.post("/orders/{order_number}/change-codes")
async def issue_change_code(request: web.Request) -> web.Response:
    number = order_number(request)
    body = await http.validated_json(request, "ChangeCodeRequest")
    return web.json_response(await service(request).issue_change_code(number, body["purpose"]), status=201)


@routes.get("/orders/{order_number}/tracking")
async def tracking(request: web.Request) -> web.Response:
    return web.json_response(await service(request).tracking(order_number(request)))


@routes.post("/orders/{order_number}/cancel")
async def cancel(request: web.Request) -> web.Response:
    number, who = order_number(request), actor(request)
    body = await http.validated_json(request, "ReasonRequest")
    await spend_code(request, number, "cancel")
    return web.json_response(await service(request).cancel(number, body["reason"], who))


@routes.put("/orders/{order_number}/shipping-address")
async def change_shipping_address(request: web.Request) -> web.Response:
    number, who = order_number(request), actor(request)
    body = await http.validated_json(request, "Address")
    await spend_code(request, number, "shipping_address")
    return web.json_response(await service(request).change_shipping_address(number, body, who))


@routes.post("/orders/{order_number}/returns")
async def start_return(request: web.Request) -> web.Response:
    number, who = order_number(request), actor(request)
    body = await http.validated_json(request, "ReasonRequest")
    await spend_code(request, number, "return")
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
    body = await http.validated_json(request, "StatusChange")
    eta = body.get("eta")
    result = await service(request).set_status(
        number,
        OrderStatus(body["status"]),
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
    return web.json_response({"order_number": order_number_to_json(number), "entries": entries})


@routes.post("/refunds/{refund_id}/decision")
async def decide_refund(request: web.Request) -> web.Response:
    raw, who = request.match_info["refund_id"], actor(request)
    if not DIGITS.fullmatch(raw):
        raise Invalid("Refund ids are whole numbers.", fields={"refund_id": "must be a number"})
    body = await http.validated_json(request, "RefundDecision")
    if len(raw) > len(str(MAX_ID)):  # never parsed: int() refuses text over 4,300 digits
        raise NotFound("There is no refund with that id (refund ids have at most 10 digits).", code="refund_not_found")
    return web.json_response(await service(request).decide_refund(int(raw), body["status"], who))
