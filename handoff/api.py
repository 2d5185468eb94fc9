"""Service API for the bot (bearer HANDOFF_API_TOKEN): open handoffs, forward shopper messages."""

from __future__ import annotations

import copy
import logging
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator, FormatChecker

from handoff.openapi import schema_for
from handoff.service import HandoffService
from handoff.store import rfc3339_utc
from service_kit import http
from service_kit.errors import BadRequest, Invalid

logger = logging.getLogger(__name__)

SERVICE = web.AppKey("handoff_service", HandoffService)
routes = web.RouteTableDef()
# The spec's "format": "date-time" checked as parse_timestamp reads it (jsonschema alone skips it):
# sentiment_history timestamps are stored as sent, so only the validator stands between them and "".
FORMATS: FormatChecker = copy.deepcopy(Draft202012Validator.FORMAT_CHECKER)


@FORMATS.checks("date-time", raises=(ValueError, OverflowError))
def is_date_time(value: object) -> bool:
    """Formats apply to strings only; "type" judges the rest."""
    return not isinstance(value, str) or rfc3339_utc(value) is not None


def body_validators(spec: dict[str, Any]) -> dict[str, Draft202012Validator]:
    return http.body_validators(spec, {"HandoffRequest", "ShopperMessage"}, schema_for, FORMATS)


async def json_body(request: web.Request, schema: str) -> dict[str, Any]:
    data = await http.read_json(request, BadRequest)
    problem = http.schema_problem(request, schema, data)
    if problem is not None:
        where, error = problem
        logger.info("refused %s %s: %s: %s", request.method, request.path, where, error.message)
        raise Invalid(f"Invalid {where}: {error.message}", fields={where: error.message})
    cleaned = without_nul(data)
    if cleaned != data:
        logger.info("dropped NUL characters from the body of %s %s", request.method, request.path)
    return cleaned


def without_nul(data: Any) -> Any:
    """PostgreSQL text cannot hold NUL (SQLite can): drop it from every string, so a shopper's text
    with one is stored the same on both, not refused with a 503 "database unavailable"."""
    if isinstance(data, str):
        return data.replace("\x00", "")
    if isinstance(data, list):
        return [without_nul(item) for item in data]
    if isinstance(data, dict):
        return {without_nul(key): without_nul(value) for key, value in data.items()}
    return data


def service(request: web.Request) -> HandoffService:
    return request.app[SERVICE]


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    desk = service(request)
    return web.json_response(
        {"status": "ok", "database": await desk.store.ping(), "agents_online": desk.hub.agents_online()}
    )


routes.get("/openapi.json")(http.serve_spec)


@routes.post("/api/handoffs")
async def open_handoff(request: web.Request) -> web.Response:
    body = await json_body(request, "HandoffRequest")
    if not body["conversation_id"].strip():
        raise Invalid("Invalid conversation_id: must not be blank", fields={"conversation_id": "blank"})
    result = await service(request).open_handoff(body)
    return web.json_response(result, status=201)  # also for a repeat: `created` tells them apart


@routes.post("/api/conversations/{conversation_id}/messages")
async def shopper_message(request: web.Request) -> web.Response:
    body = await json_body(request, "ShopperMessage")
    conversation_id = without_nul(request.match_info["conversation_id"])
    result = await service(request).shopper_message(
        conversation_id, body["text"], body.get("timestamp"), body.get("key")
    )
    return web.json_response(result, status=201)
