"""Rasa's REST channel (`/webhooks/rest/webhook`) with the checks every public channel has.

Anonymous clients (a shop's own front end, tests, the benchmark) use it. Compared with Rasa's
`rest` channel: a malformed request gets a JSON 400 saying what is wrong instead of a Sanic error
page, a `sender` is required (without one Rasa would put every such client into one shared
conversation called "default"), and every message gets an answer (see channels/guard.py).
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import InputChannel
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.guard import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_MESSAGE_CHARS,
    MessageHandler,
    RefusedRequest,
    answer_every_message,
    json_object_body,
    refusal_response,
    since_arg,
    without_identity,
)
from channels.handoff_relay import messages_since

MAX_SENDER_CHARS = 128


class ShopRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(
            max_message_chars=int(credentials.get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS)),
            max_body_bytes=int(credentials.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
        )

    def __init__(
        self, max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    ) -> None:
        self.max_message_chars = max_message_chars
        self.max_body_bytes = max_body_bytes

    def _extract_input_channel(self, req: Request) -> str:
        """Always "rest": Rasa would let the body claim another channel."""
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        return without_identity((request.json or {}).get("metadata"))

    def check_request(self, request: Request) -> None:
        payload = json_object_body(request, self.max_body_bytes)
        sender = payload.get("sender")
        if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
            raise RefusedRequest(400, "bad_request", f"'sender' must be a string of 1 to {MAX_SENDER_CHARS} characters")
        if not isinstance(payload.get("message", ""), str):
            raise RefusedRequest(400, "bad_request", "'message' must be a string")
        if not isinstance(payload.get("metadata") or {}, dict):
            raise RefusedRequest(400, "bad_request", "'metadata' must be a JSON object")

    def blueprint(self, on_new_message: MessageHandler) -> Blueprint:
        webhook = super().blueprint(answer_every_message(on_new_message, self.max_message_chars))

        @webhook.middleware("request")
        async def guard(request: Request) -> HTTPResponse | None:
            if request.method != "POST" or not request.path.rstrip("/").endswith("/webhook"):
                return None
            try:
                self.check_request(request)
            except RefusedRequest as refusal:
                return refusal_response(self.name(), request, refusal)
            return None

        @webhook.get("/messages")
        async def agent_messages(request: Request) -> HTTPResponse:
            """What a human agent said since `since` (REST clients cannot be pushed to)."""
            sender = request.args.get("sender") or ""
            if not sender or len(sender) > MAX_SENDER_CHARS:
                refusal = RefusedRequest(400, "bad_request", "'sender' is required")
                return refusal_response(self.name(), request, refusal)
            return response.json(await messages_since(sender, since_arg(request), request.app.ctx.agent))

        return webhook
