"""The voice gateway's channel into Rasa: ``POST /webhooks/voice/webhook`` (Rasa venv).

The voice gateway (``channels/voice``, a separate process) turns a caller's speech into text and
sends each turn here; the bot's messages come back like the REST channel's (a JSON list, or one JSON
object per line with ``?stream=true`` so the gateway can speak the first message while Rasa is
still working on the next). Why a channel of its own instead of ``rest``:

- only the gateway may speak for a caller: it authenticates with ``Authorization: Bearer
  <VOICE_GATEWAY_TOKEN>``, so nobody can post into a phone conversation through the public channel;
- calls get their own conversation ids (``voice-<call id>``) and ``input_channel`` "voice", so
  actions and analytics can tell a call from a chat;
- the metadata (``caller``, ``asr_confidence``, ``input_mode``) is kept, identity claims are dropped;
- a human agent's messages during a hand-off (``GET /webhooks/voice/messages?sender=voice-<call
  id>&since=<timestamp>``, the REST channel's poll route) are only given to the gateway, and only
  for calls (``voice-…`` conversations).

Body: ``{"sender": "<call id>", "message": "<transcript>", "metadata": {"caller": "...",
"asr_confidence": 0.93}}``. Everything else (limits, refusals, the apology for silence) is the
REST channel's: see channels/rest.py and channels/guard.py.

credentials.yml::

    channels.voice_input.VoiceInput:
      token: ${VOICE_GATEWAY_TOKEN}   # unquoted: Rasa expands ${VARS} only in plain scalars
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from rasa.core.channels.channel import InputChannel
from rasa.shared.exceptions import RasaException
from sanic.request import Request

from channels.guard import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_MESSAGE_CHARS
from channels.refusals import RefusedRequest
from channels.rest import GuardedRestInput
from contracts.identity import TokenError, bearer_token

logger = logging.getLogger(__name__)

SENDER_PREFIX = "voice-"
MIN_TOKEN_CHARS = 32


class VoiceInput(GuardedRestInput):
    """The REST channel for one trusted client, the voice gateway."""

    @classmethod
    def name(cls) -> str:
        return "voice"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        token = str(credentials.get("token") or "")
        if not token or token.startswith("${"):
            raise RasaException(
                "The voice channel needs 'token' in credentials.yml: write it unquoted, "
                "'token: ${VOICE_GATEWAY_TOKEN}', and set VOICE_GATEWAY_TOKEN (bot/launcher.py does)."
            )
        return cls(
            token=token,
            max_message_chars=int(credentials.get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS)),
            max_body_bytes=int(credentials.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
        )

    def __init__(
        self,
        token: str,
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        super().__init__(max_message_chars=max_message_chars, max_body_bytes=max_body_bytes)
        if len(token) < MIN_TOKEN_CHARS:
            logger.warning("voice channel: the gateway token is shorter than %d characters", MIN_TOKEN_CHARS)
        self.token = token

    def check_token(self, request: Request) -> None:
        try:
            offered = bearer_token(request.headers.get("Authorization"))
        except TokenError as error:
            raise RefusedRequest(401, "unauthorized", str(error)) from error
        if not hmac.compare_digest(offered.encode(), self.token.encode()):
            raise RefusedRequest(401, "unauthorized", "the voice gateway token is not valid")

    def check_request(self, request: Request) -> None:
        """The gateway's token first (401), then the REST channel's body checks (400/413)."""
        self.check_token(request)
        super().check_request(request)

    def polled_conversation(self, request: Request) -> str:
        """A human agent's messages (``GET /messages``) only for the gateway, and only of calls."""
        self.check_token(request)
        sender = super().polled_conversation(request)
        if not sender.startswith(SENDER_PREFIX):
            raise RefusedRequest(403, "forbidden", f"'sender' must be a call's conversation ({SENDER_PREFIX}…)")
        return sender

    async def _extract_sender(self, req: Request) -> str | None:
        """Calls live in their own namespace of conversation ids."""
        return SENDER_PREFIX + str(req.json["sender"]).strip()
