"""Rasa's REST channel (`/webhooks/rest/webhook`) with the checks every public channel has.

Anonymous clients (a shop's own front end, tests, the benchmark) use it. Compared with Rasa's
`rest` channel: a malformed request gets a JSON 400 saying what is wrong instead of a Sanic error
page, and every message gets an answer (see channels/guard.py).

The conversation id is the only thing an anonymous client holds, so the client cannot choose it:
`POST /webhooks/rest/session` issues one (`rest-<nonce>.<signature>`, channels/conversation_ids.py)
and the webhook and the agent-reply poll (`GET /webhooks/rest/messages`) accept only such ids. An
id of another channel (`app-…`, `voice-…`, a web chat's) or a made-up one is refused with a 403, so
a REST client can neither write into nor read from a conversation it was not given.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import InputChannel
from rasa.core.channels.rest import RestInput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.conversation_ids import ConversationIds, owning_channel
from channels.guard import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_MESSAGE_CHARS,
    MessageHandler,
    answer_every_message,
    since_arg,
    with_caller_request_id,
    without_identity,
)
from channels.handoff_relay import messages_since
from channels.refusals import RefusedRequest, json_object_body, refusal_response

MAX_SENDER_CHARS = 128
SENDER_PREFIX = "rest-"
HOW_TO_GET_AN_ID = "get a conversation id from POST /webhooks/rest/session"


class GuardedRestInput(RestInput):
    """Rasa's RestInput behind the shared guards; subclasses decide which senders they accept."""

    def __init__(
        self, max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    ) -> None:
        self.max_message_chars = max_message_chars
        self.max_body_bytes = max_body_bytes

    def _extract_input_channel(self, req: Request) -> str:
        """Always the channel's own name: Rasa would let the body claim another channel."""
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        return with_caller_request_id(request, without_identity((request.json or {}).get("metadata")))

    def check_sender(self, sender: Any) -> None:
        """A usable `sender` string, or RefusedRequest (400)."""
        if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
            raise RefusedRequest(400, "bad_request", f"'sender' must be a string of 1 to {MAX_SENDER_CHARS} characters")

    def check_request(self, request: Request) -> None:
        payload = json_object_body(request, self.max_body_bytes)
        if not isinstance(payload.get("message", ""), str):
            raise RefusedRequest(400, "bad_request", "'message' must be a string")
        if not isinstance(payload.get("metadata") or {}, dict):
            raise RefusedRequest(400, "bad_request", "'metadata' must be a JSON object")
        self.check_sender(payload.get("sender"))

    def polled_conversation(self, request: Request) -> str:
        """The conversation a `GET /messages` may read, or RefusedRequest."""
        sender = request.args.get("sender")
        self.check_sender(sender)
        return str(sender)

    def blueprint(self, on_new_message: MessageHandler) -> Blueprint:
        guarded = answer_every_message(on_new_message, self.max_message_chars)
        webhook = guarded.serve_with(super().blueprint(guarded))

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
            try:
                sender = self.polled_conversation(request)
            except RefusedRequest as refusal:
                return refusal_response(self.name(), request, refusal)
            return response.json(await messages_since(sender, since_arg(request), request.app.ctx.agent))

        return webhook


class ShopRestInput(GuardedRestInput):
    """The public REST channel: only conversation ids it issued itself."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        secret = str(credentials.get("id_secret") or "")
        if not secret or secret.startswith("${"):
            raise RasaException(
                "The REST channel needs 'id_secret' in credentials.yml: write it unquoted, "
                "'id_secret: ${CONVERSATION_ID_SECRET}', and set CONVERSATION_ID_SECRET (bot/launcher.py does)."
            )
        return cls(
            id_secret=secret,
            max_message_chars=int(credentials.get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS)),
            max_body_bytes=int(credentials.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
        )

    def __init__(
        self,
        id_secret: str,
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        super().__init__(max_message_chars=max_message_chars, max_body_bytes=max_body_bytes)
        self.ids = ConversationIds(id_secret, channel=self.name(), prefix=SENDER_PREFIX)

    def check_sender(self, sender: Any) -> None:
        """Only a conversation id this channel issued; a clear 400/403 for anything else."""
        if sender is None:
            raise RefusedRequest(400, "bad_request", f"'sender' is required: {HOW_TO_GET_AN_ID}")
        super().check_sender(sender)
        if self.ids.is_valid(sender):
            return
        owner = owning_channel(sender)
        if owner is not None and owner != self.name():
            raise RefusedRequest(403, "forbidden", f"'sender' is a conversation of the {owner} channel")
        raise RefusedRequest(
            403, "forbidden", f"'sender' is not a conversation id this server issued: {HOW_TO_GET_AN_ID}"
        )

    def blueprint(self, on_new_message: MessageHandler) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.post("/session")
        async def new_session(_request: Request) -> HTTPResponse:
            """A new conversation id, to send as `sender` with every message of the conversation."""
            return response.json({"sender": self.ids.issue()}, status=201)

        return webhook
