"""Service API for the bot (bearer HANDOFF_API_TOKEN): open handoffs, forward shopper messages."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator

from backends.common import http
from backends.common.errors import BadRequest, Invalid
from handoff.openapi import schema_for
from handoff.service import HandoffService

logger = logging.getLogger(__name__)

SERVICE = web.AppKey("handoff_service", HandoffService)
routes = web.RouteTableDef()


def body_validators(spec: dict[str, Any]) -> dict[str, Draft202012Validator]:
    return http.body_validators(spec, {"HandoffRequest", "ShopperMessage"}, schema_for)


async def json_body(request: web.Request, schema: str) -> dict[str, Any]:
    data = await http.read_json(request, BadRequest)
    problem = http.schema_problem(request, schema, data)
    if problem is not None:
        where, error = problem
        logger.info("refused %s %s: %s: %s", request.method, request.path, where, error.message)
        raise Invalid(f"Invalid {where}: {error.message}", fields={where: error.message})
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
    conversation_id = request.match_info["conversation_id"]
    result = await service(request).shopper_message(
        conversation_id, body["text"], body.get("timestamp"), body.get("key")
    )
    return web.json_response(result, status=201)
