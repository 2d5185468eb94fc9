"""HTTP routes: parse and validate the request, call the service, map errors to JSON responses.
Same error shape and auth as the other backends: {"error": {"code", "message", "fields"?}}."""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator

from backends.retention.errors import ConsentRequired, DomainError, Invalid, Unavailable
from backends.retention.features import Event
from backends.retention.openapi import REQUEST_BODIES, schema_for
from backends.retention.service import RetentionService, parse_time
from contracts.consent import CONSENT_KEY
from service_kit import http

logger = logging.getLogger(__name__)

SERVICE = web.AppKey("retention_service", RetentionService)
CUSTOMER_ID = re.compile(r"[^\x00-\x1f\x7f]{1,64}")
routes = web.RouteTableDef()

error_middleware = http.make_error_middleware(
    DomainError, Unavailable("The retention database is unavailable; please try again shortly."), log=logger
)


def body_validators(spec: dict[str, Any]) -> dict[str, Draft202012Validator]:
    return http.body_validators(spec, REQUEST_BODIES, schema_for)


def customer_id(request: web.Request) -> str:
    raw = request.match_info["customer_id"]
    if not CUSTOMER_ID.fullmatch(raw):
        hint = "must be 1-64 characters, no control characters"
        raise Invalid(f"customer_id {hint}.", fields={"customer_id": hint})
    return raw


def service(request: web.Request) -> RetentionService:
    return request.app[SERVICE]


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "database": await service(request).ping()})


routes.get("/openapi.json")(http.serve_spec)


@routes.get("/customers/{customer_id}/risk")
async def risk(request: web.Request) -> web.Response:
    who = customer_id(request)
    if request.query.get(CONSENT_KEY) != "true":
        raise ConsentRequired(
            f"A churn profile is used only with the shopper's consent: send {CONSENT_KEY}=true when they gave it."
        )
    return web.json_response(await service(request).risk(who))


@routes.post("/customers/{customer_id}/offers")
async def record_offer(request: web.Request) -> web.Response:
    who = customer_id(request)
    body = await http.validated_json(request, "OfferRequest")
    offer = await service(request).record_offer(who, body["kind"], Decimal(str(body["cost"])))
    return web.json_response(offer, status=201)


@routes.post("/events")
async def record_events(request: web.Request) -> web.Response:
    body = await http.validated_json(request, "EventsRequest")
    events = [
        Event(e["customer_id"], parse_time(e["at"], "at"), e["kind"], float(e.get("amount", 0))) for e in body["events"]
    ]
    return web.json_response(await service(request).record_events(events))


@routes.get("/report")
async def report(request: web.Request) -> web.Response:
    return web.json_response(await service(request).report())
