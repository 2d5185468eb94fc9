"""The OpenAPI 3.1 description of the service API (served at /openapi.json); api.py validates bodies
against these schemas, so the document cannot drift from what the service accepts. The agents' desk
(/desk/…) is a browser app with cookie sessions and is described in docs/handoff-desk.md instead."""

from __future__ import annotations

from functools import partial
from typing import Any

from service_kit import openapi as common
from service_kit.openapi import ERROR_SCHEMA, nullable, obj, ref, string
from service_kit.openapi import schema_for as schema_for

CHANNELS = ["socketio", "rest", "app", "voice"]
REASONS = ["explicit_request", "frustration", "repeated_failure"]
LAST_UNIX_SECOND = 253402300799  # 9999-12-31T23:59:59Z, the last moment Python's datetime holds
TIMESTAMP = {
    "description": "Unix seconds (as Rasa events carry them) or an RFC 3339 date-time; missing or null means now",
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": LAST_UNIX_SECOND},
        {"type": "string", "format": "date-time"},
        {"type": "null"},
    ],
}
MONEY = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,2})?$"}]}
TEXT = string(5000, 1)

SCHEMAS: dict[str, Any] = {
    "Error": ERROR_SCHEMA,
    "Health": obj(
        {
            "status": {"type": "string", "enum": ["ok"]},
            "database": {"type": "string"},
            "agents_online": {"type": "integer"},
        }
    ),
    "TranscriptLine": obj(
        {"role": {"type": "string", "enum": ["user", "bot", "agent"]}, "text": string(20000), "timestamp": TIMESTAMP},
        required=["role", "text"],
    ),
    "HandoffRequest": obj(
        {
            "conversation_id": string(128, 1),
            "channel": {
                "type": "string",
                "pattern": "^[a-z0-9_.-]{1,32}$",
                "description": "The Rasa input channel: socketio, rest, app or voice (others are stored as given)",
                "examples": CHANNELS,
            },
            "reason": {"type": "string", "enum": REASONS},
            "customer": obj(
                {
                    "id": nullable(string(64)),
                    "email": {
                        **nullable(string(254)),
                        "description": "A verified address only (the account's, or a proven order's): external "
                        "ticket systems make it the requester and e-mail it",
                    },
                    "name": nullable(string(120)),
                    "unverified_email": {
                        **nullable(string(254)),
                        "description": "An address the shopper typed: shown to agents, marked unverified, never "
                        "the requester",
                    },
                    "retention_tier": {
                        **nullable({"type": "string", "enum": ["high", "medium", "low"]}),
                        "description": "The retention backend's tier: `high` (valuable, likely to leave) raises "
                        "the ticket's priority",
                    },
                },
                required=[],
            ),
            "order": nullable(
                obj(
                    {
                        "number": string(32, 1),
                        "total": nullable(MONEY),
                        "currency": nullable(string(3)),
                        "status": nullable(string(32)),
                    },
                    required=["number"],
                )
            ),
            "intent": nullable(string(64)),
            "entities": {
                "type": "array",
                "maxItems": 50,
                "items": {
                    "type": "object",
                    "properties": {"entity": string(64, 1), "value": {"description": "any JSON value Rasa extracted"}},
                    "required": ["entity", "value"],
                },
            },
            "sentiment_history": {
                "type": "array",
                "maxItems": 500,
                "items": obj(
                    {"timestamp": TIMESTAMP, "score": {"type": "number"}, "label": nullable(string(32))},
                    required=["score"],
                ),
            },
            "frustration": {"type": "number", "minimum": 0, "maximum": 1},
            "transcript": {"type": "array", "maxItems": 500, "items": ref("TranscriptLine")},
            "summary": nullable(string(1000)),
        },
        required=["conversation_id", "channel", "reason", "frustration", "transcript"],
    ),
    "HandoffResponse": obj(
        {
            "ticket_id": {"type": "integer"},
            "status": {"type": "string", "enum": ["waiting", "held", "follow_up"]},
            "agents_online": {"type": "integer", "minimum": 0},
            "queue_position": nullable({"type": "integer", "minimum": 1}),
            "created": {"type": "boolean", "description": "false: the conversation's open ticket was updated"},
        }
    ),
    "ShopperMessage": obj(
        {
            "text": TEXT,
            "timestamp": TIMESTAMP,
            "key": {
                **string(128, 1),
                "description": "Idempotency key: a message re-sent with the same key is stored once",
            },
        },
        required=["text"],
    ),
    "ShopperMessageResponse": obj(
        {
            "ticket_id": {"type": "integer"},
            "status": {"type": "string"},
            "message_id": {"type": "integer"},
            "agent": nullable({"type": "string"}),
        }
    ),
}

ERRORS = {
    **common.ERROR_DESCRIPTIONS,
    "404": "No open handoff for this conversation",
    "409": "Concurrent change; retry",
    "413": "Body larger than 512 KiB",
    "503": "Ticket database unavailable",
}
_operation = partial(common.operation, error_descriptions=ERRORS, errors=("401", "503"))


def build_spec(port: int = 8106) -> dict[str, Any]:
    paths = {
        "/health": {"get": _operation("Liveness and database check", "Health", errors=("503",), public=True)},
        "/openapi.json": {"get": common.SPEC_OPERATION},
        "/api/handoffs": {
            "post": _operation(
                "Hand a conversation to a human (idempotent per conversation while a ticket is open)",
                "HandoffResponse",
                status="201",
                body="HandoffRequest",
                errors=("400", "401", "409", "413", "422", "503"),
            )
        },
        "/api/conversations/{conversation_id}/messages": {
            "post": _operation(
                "A shopper message that arrived while the conversation is waiting for or held by an agent",
                "ShopperMessageResponse",
                status="201",
                body="ShopperMessage",
                params=("ConversationId",),
                errors=("400", "401", "404", "413", "422", "503"),
            )
        },
    }
    components = {
        "schemas": SCHEMAS,
        "parameters": {
            "ConversationId": {"name": "conversation_id", "in": "path", "required": True, "schema": string(128, 1)}
        },
    }
    description = (
        "Human handoff desk: the bot opens tickets and forwards shopper messages here (bearer token). "
        "Agents use the desk web app at /desk/ with their own login; neither credential works on the other side."
    )
    return common.document("Handoff desk API", description, port, paths, components)
