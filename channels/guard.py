"""What every input channel does the same way: refuse bad requests clearly, answer every message.

- A request that is not a JSON object, too large, or without a usable message gets a JSON 400/413
  with a sentence saying what is wrong, and a log line; it never reaches Rasa.
- A message that is empty or too long gets a polite bot reply instead of being processed.
- A message that produced no reply at all (the action server is down, an exception in Rasa) gets
  an apology, so the shopper is never left in silence; the operator gets an error log line.
  The user's message itself is already in the tracker store, so nothing is lost. The exception:
  a conversation paused for a human agent, where the message goes to the agent instead
  (channels/handoff_relay.py).

The texts come from the shop policy file, like every other text the operator controls.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.shop_policies import shop_policies
from channels import rasa_runtime

logger = logging.getLogger(__name__)
rasa_runtime.apply()

MessageHandler = Callable[[UserMessage], Awaitable[Any]]
DEFAULT_MAX_MESSAGE_CHARS = 5000
DEFAULT_MAX_BODY_BYTES = 262144  # room for a too-long message to get a polite reply
# Commands that legitimately produce no reply.
SILENT_COMMANDS = ("/restart", "/session_start")


class RefusedRequest(Exception):
    """A request the channel answers itself, with an HTTP status and a clear message."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


def json_object_body(request: Request, max_body_bytes: int) -> dict[str, Any]:
    """The request body as a JSON object, or RefusedRequest saying what is wrong with it."""
    body = request.body or b""
    if len(body) > max_body_bytes:
        raise RefusedRequest(413, "payload_too_large", f"request body exceeds {max_body_bytes} bytes")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise RefusedRequest(400, "bad_request", "body must be valid JSON") from error
    if not isinstance(payload, dict):
        raise RefusedRequest(400, "bad_request", "body must be a JSON object")
    return payload


def refusal_response(channel: str, request: Request, refusal: RefusedRequest) -> HTTPResponse:
    logger.warning(
        "%s channel refused request from %s: %s %s", channel, request.remote_addr or request.ip, refusal.status, refusal
    )
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if refusal.status == 401 else {}
    return response.json({"error": refusal.error, "message": refusal.message}, status=refusal.status, headers=headers)


# Identity claims no client may make in its own metadata: `customer_id` is set only by the app
# channel after verifying the shopper's token; `app_jwt` (tokens are never passed on) is dropped so
# no client can put a token into the stored conversation.
IDENTITY_METADATA = ("app_jwt", "customer_id")


def without_identity(metadata: Any) -> dict[str, Any]:
    """Client-supplied metadata minus identity claims that an anonymous client must not make."""
    if not isinstance(metadata, dict):
        return {}
    return {key: value for key, value in metadata.items() if key not in IDENTITY_METADATA}


def since_arg(request: Request) -> float:
    """The `since` query argument (a Unix timestamp) of a polling request; 0 when absent or bad."""
    try:
        return max(0.0, float(request.args.get("since") or 0))
    except ValueError:
        return 0.0


def clean_text(text: Any) -> str:
    """Drops control characters (NUL bytes break PostgreSQL text columns) and outer whitespace."""
    if not isinstance(text, str):
        return ""
    return "".join(ch for ch in text if ch.isprintable() or ch in "\n\t").strip()


class CountingOutput(OutputChannel):
    """Passes every bot message on and counts them, so silence can be noticed."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    def name(self) -> str:  # type: ignore[override]  # the wrapped channel's name, per instance
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)

    # Rasa sends through send_response; code that calls the specific methods is counted too.
    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_message(recipient_id, text, **kwargs)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_with_buttons(recipient_id, text, buttons, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_image_url(recipient_id, image, **kwargs)

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_attachment(recipient_id, attachment, **kwargs)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_custom_json(recipient_id, json_message, **kwargs)


def answer_every_message(on_new_message: MessageHandler, max_message_chars: int) -> MessageHandler:
    """Wraps Rasa's message handler with the input limits and the apology for silence."""

    async def handle(message: UserMessage) -> None:
        text = clean_text(message.text)
        policies = shop_policies()
        if not text:
            logger.info("empty message from %s answered without processing", message.sender_id)
            await message.output_channel.send_text_message(message.sender_id, policies.message("empty_message"))
            return
        if len(text) > max_message_chars:
            logger.warning("message of %d characters from %s not processed", len(text), message.sender_id)
            reply = policies.message("message_too_long", limit=f"{max_message_chars:,}")
            await message.output_channel.send_text_message(message.sender_id, reply)
            return
        message.text = text
        counting = CountingOutput(message.output_channel)
        message.output_channel = counting
        try:
            await on_new_message(message)
        except Exception:
            logger.exception("handling a message from %s failed", message.sender_id)
        if counting.sent == 0 and not text.startswith(SILENT_COMMANDS):
            # Imported here: the relay module builds on this one.
            from channels.handoff_relay import forward_if_held

            if await forward_if_held(message.sender_id, text):
                logger.info("message of %s is for the agent holding the conversation", message.sender_id)
                return
            logger.error("no reply to a message from %s (is the action server up?): sent an apology", message.sender_id)
            await counting.inner.send_text_message(message.sender_id, policies.message("assistant_error"))

    return handle
