"""HTTP routes: parse and validate the request, call the service, map errors to JSON responses.
Same error shape and auth as the orders backend: {"error": {"code", "message", "fields"?}}."""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from backends.pricing import rules
from backends.pricing.errors import DomainError, Invalid, NotFound, Unavailable
from backends.pricing.openapi import CODE_PATTERN, KEY_PATTERN, REQUEST_BODIES, SEGMENT, schema_for
from backends.pricing.service import PricingService, parse_time
from contracts.consent import CONSENT_KEY
from service_kit import http

logger = logging.getLogger(__name__)

SERVICE = web.AppKey("pricing_service", PricingService)

MAX_ID = 2**31 - 1
CUSTOMER_ID = r"[^\x00-\x1f\x7f]{1,64}"
ASCII_DIGITS = re.compile(r"[0-9]+")
SEGMENT_PATTERN = SEGMENT["pattern"]
routes = web.RouteTableDef()

error_middleware = http.make_error_middleware(
    DomainError, Unavailable("The pricing database is unavailable; please try again shortly."), log=logger
)


def body_validators(spec: dict[str, Any]) -> dict[str, Draft202012Validator]:
    return http.body_validators(spec, REQUEST_BODIES, schema_for)


def quote_problem(where: str, error: ValidationError) -> tuple[str, str]:
    """A quote names a sku or a product id: say so instead of listing both schemas."""
    if where == "body" and error.validator == "anyOf":
        return "sku", "give a sku or a product_id"
    return where, error.message


def price(value: Any) -> Decimal:
    """Prices arrive as "59.90" or 59.9; Decimal(str(...)) keeps 59.9 from becoming 59.899999..."""
    return rules.cents(Decimal(str(value)))


def whole_number(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not ASCII_DIGITS.fullmatch(raw) or len(raw) > 18:  # str.isdigit() accepts "²"
        raise Invalid(f"{name} must be a whole number.", fields={name: "must be a number"})
    if int(raw) > MAX_ID:  # a valid-looking id that no row can have (PostgreSQL ids are 32-bit)
        raise NotFound(f"There is no {name.replace('_id', '')} {int(raw)}.")
    return int(raw)


def path_match(request: web.Request, name: str, pattern: str, hint: str) -> str:
    raw = request.match_info[name]
    if not re.fullmatch(pattern, raw):
        raise Invalid(f"{name} {hint}.", fields={name: hint})
    return raw


def query_match(request: web.Request, name: str, pattern: str, hint: str) -> str | None:
    raw = request.query.get(name)
    if raw is not None and not re.fullmatch(pattern, raw):
        raise Invalid(f"{name} {hint}.", fields={name: hint})
    return raw


def known_query(request: web.Request, allowed: set[str]) -> None:
    """A misspelt parameter would otherwise be ignored and give a plausible wrong answer."""
    unknown = sorted(set(request.query) - allowed)
    if unknown:
        raise Invalid(f"{unknown[0]} is not a known query parameter.", fields={unknown[0]: "unknown parameter"})


def service(request: web.Request) -> PricingService:
    return request.app[SERVICE]


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "database": await service(request).ping()})


routes.get("/openapi.json")(http.serve_spec)


@routes.post("/quotes")
async def quote(request: web.Request) -> web.Response:
    body = await http.validated_json(request, "QuoteRequest", quote_problem)
    quote_request = rules.QuoteRequest(
        base_price=price(body["base_price"]),
        quantity=int(body.get("quantity", 1)),
        currency=body.get("currency", "USD"),
        sku=body.get("sku"),
        product_id=body.get("product_id"),
        category=body.get("category"),
        customer_id=body.get("customer_id"),
        tier=body.get("customer_tier"),
        stock=None if body.get("stock") is None else int(body["stock"]),
        consent=body.get(CONSENT_KEY) is True,
    )
    return web.json_response(await service(request).quote(quote_request, body.get("coupon_code")))


@routes.get("/quotes/{quote_id}")
async def quote_audit(request: web.Request) -> web.Response:
    return web.json_response(await service(request).quote_audit(whole_number(request, "quote_id")))


@routes.post("/quotes/{quote_id}/outcome")
async def quote_outcome(request: web.Request) -> web.Response:
    quote_id = whole_number(request, "quote_id")
    body = await http.validated_json(request, "OutcomeRequest")
    return web.json_response(await service(request).record_outcome(quote_id, body["bought"]))


@routes.get("/learner/arms")
async def learner_arms(request: web.Request) -> web.Response:
    known_query(request, {"product_group", "segment"})
    group = query_match(request, "product_group", KEY_PATTERN, "must be a category path or a product id")
    segment = query_match(request, "segment", SEGMENT_PATTERN, "must be 1-32 lower-case letters")
    return web.json_response(await service(request).learner_arms(group, segment))


@routes.get("/fairness")
async def fairness_report(request: web.Request) -> web.Response:
    known_query(request, {"since", "until"})
    since, until = (request.query.get(name) for name in ("since", "until"))
    return web.json_response(
        await service(request).fairness(
            None if since is None else parse_time(since, "since"), None if until is None else parse_time(until, "until")
        )
    )


@routes.get("/sales")
async def list_sales(request: web.Request) -> web.Response:
    return web.json_response(await service(request).list_sales())


@routes.post("/sales")
async def create_sale(request: web.Request) -> web.Response:
    body = await http.validated_json(request, "SaleRequest")
    return web.json_response(await service(request).create_sale(body), status=201)


@routes.delete("/sales/{sale_id}")
async def delete_sale(request: web.Request) -> web.Response:
    await service(request).delete_sale(whole_number(request, "sale_id"))
    return web.Response(status=204)


@routes.get("/stock-rules")
async def list_stock_rules(request: web.Request) -> web.Response:
    return web.json_response(await service(request).list_stock_rules())


@routes.post("/stock-rules")
async def create_stock_rule(request: web.Request) -> web.Response:
    body = await http.validated_json(request, "StockRuleRequest")
    return web.json_response(await service(request).create_stock_rule(body), status=201)


@routes.delete("/stock-rules/{rule_id}")
async def delete_stock_rule(request: web.Request) -> web.Response:
    await service(request).delete_stock_rule(whole_number(request, "rule_id"))
    return web.Response(status=204)


@routes.get("/tiers")
async def list_tiers(request: web.Request) -> web.Response:
    return web.json_response(await service(request).list_tiers())


@routes.put("/tiers/{tier}")
async def set_tier(request: web.Request) -> web.Response:
    tier = request.match_info["tier"]
    if tier not in rules.TIERS:
        raise Invalid(f"tier must be one of {', '.join(rules.TIERS)}.", fields={"tier": "new, regular or vip"})
    body = await http.validated_json(request, "TierRequest")
    return web.json_response(await service(request).set_tier(tier, Decimal(str(body["percent"]))))


@routes.get("/customers/{customer_id}/tier")
async def customer_tier(request: web.Request) -> web.Response:
    customer_id = path_match(request, "customer_id", CUSTOMER_ID, "must be 1-64 characters, no control characters")
    return web.json_response(await service(request).customer_tier(customer_id))


@routes.put("/customers/{customer_id}/tier")
async def set_customer_tier(request: web.Request) -> web.Response:
    customer_id = path_match(request, "customer_id", CUSTOMER_ID, "must be 1-64 characters, no control characters")
    body = await http.validated_json(request, "CustomerTierRequest")
    return web.json_response(await service(request).set_customer_tier(customer_id, body["tier"]))


@routes.get("/guardrails")
async def list_guardrails(request: web.Request) -> web.Response:
    return web.json_response(await service(request).list_guardrails())


@routes.put("/guardrails/{key}")
async def set_guardrail(request: web.Request) -> web.Response:
    key = path_match(request, "key", KEY_PATTERN, "must be a SKU, a product id or default")
    body = await http.validated_json(request, "GuardrailRequest")
    return web.json_response(await service(request).set_guardrail(key, body))


@routes.get("/coupons")
async def list_coupons(request: web.Request) -> web.Response:
    return web.json_response(await service(request).list_coupons())


@routes.post("/coupons")
async def create_coupon(request: web.Request) -> web.Response:
    body = await http.validated_json(request, "CouponRequest")
    return web.json_response(await service(request).create_coupon(body), status=201)


@routes.get("/coupons/{code}")
async def get_coupon(request: web.Request) -> web.Response:
    code = path_match(request, "code", CODE_PATTERN, "must be 3-32 letters, digits, - or _")
    return web.json_response(await service(request).get_coupon(code))


@routes.post("/coupons/{code}/redeem")
async def redeem(request: web.Request) -> web.Response:
    code = path_match(request, "code", CODE_PATTERN, "must be 3-32 letters, digits, - or _")
    body = await http.validated_json(request, "RedeemRequest")
    result = await service(request).redeem(
        code, body["customer_id"], price(body["order_value"]), body.get("order_number")
    )
    return web.json_response(result)


@routes.post("/goodwill")
async def goodwill(request: web.Request) -> web.Response:
    body = await http.validated_json(request, "GoodwillRequest")
    amount = price(body["amount"]) if "amount" in body else None
    result = await service(request).goodwill(body["customer_id"], body["reason"], body.get("order_number"), amount)
    return web.json_response(result, status=201)


@routes.get("/goodwill/budget")
async def get_budget(request: web.Request) -> web.Response:
    return web.json_response(await service(request).budget())


@routes.put("/goodwill/budget")
async def set_budget(request: web.Request) -> web.Response:
    body = await http.validated_json(request, "GoodwillBudgetRequest")
    return web.json_response(await service(request).set_budget(body))
