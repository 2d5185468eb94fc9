"""REST input channel for the mobile app: ``POST /webhooks/app/webhook`` with a signed JWT.

Why not plain ``rest``: the app's user is logged in, so the conversation must belong to the
verified customer. The channel checks ``Authorization: Bearer <JWT>`` (HS256, ``exp`` and ``sub``
required, issuer/audience when configured): it is the one place where app tokens are verified. It
derives the sender id from the customer id (the body cannot choose it) and puts only the verified
``customer_id`` in the message metadata, never the token (the tracker store keeps every message's
metadata). The action server trusts it because only Rasa, with the action server's token, can call
it, and only for a message that came in on this channel (actions/identity.py).

It reuses Rasa's ``RestInput`` (same replies, same ``?stream=true``); a blueprint middleware does
the checks first and refuses bad requests with a JSON 400/401/413 instead of reaching Rasa.

credentials.yml::

    channels.app_rest.AppRestInput:
      jwt_secret: ${APP_JWT_SECRET}   # unquoted: Rasa expands ${VARS} only in plain scalars
      # optional: jwt_issuer, jwt_audience, jwt_leeway_seconds (30),
      #           max_message_chars (5000), max_body_bytes (65536), sender_id_key (= jwt_secret)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.guard import answer_every_message, since_arg, with_caller_request_id, without_identity
from channels.handoff_relay import messages_since
from channels.refusals import RefusedRequest, json_object_body, refusal_response
from contracts.identity import (
    APP_CHANNEL,
    CUSTOMER_ID_KEY,
    TokenError,
    TokenPolicy,
    bearer_token,
    sender_id_for,
    verify_token,
)

logger = logging.getLogger(__name__)

MIN_SECRET_CHARS = 32


@dataclass(frozen=True)
class AppRequest:
    """A request that passed every check; stored on ``request.ctx`` for RestInput's hooks."""

    sender_id: str
    text: str
    metadata: dict[str, Any]


class AppRestInput(RestInput):
    """Rasa's REST channel, behind JWT authentication and input limits."""

    @classmethod
    def name(cls) -> str:
        return APP_CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        secret = str(credentials.get("jwt_secret") or "")
        if not secret or secret.startswith("${"):
            raise RasaException(
                "The app channel needs 'jwt_secret' in credentials.yml: write it unquoted, "
                "'jwt_secret: ${APP_JWT_SECRET}' (Rasa expands ${VARS} only in unquoted values), "
                "and set APP_JWT_SECRET (bot/launcher.py does)."
            )
        return cls(
            policy=TokenPolicy(
                secret=secret,
                issuer=credentials.get("jwt_issuer") or None,
                audience=credentials.get("jwt_audience") or None,
                leeway_seconds=int(credentials.get("jwt_leeway_seconds", 30)),
            ),
            max_message_chars=int(credentials.get("max_message_chars", 5000)),
            max_body_bytes=int(credentials.get("max_body_bytes", 65536)),
            sender_id_key=credentials.get("sender_id_key") or None,
        )

    def __init__(
        self,
        policy: TokenPolicy,
        max_message_chars: int = 5000,
        max_body_bytes: int = 65536,
        sender_id_key: str | None = None,
    ) -> None:
        if len(policy.secret) < MIN_SECRET_CHARS:
            logger.warning(
                "app channel: jwt_secret is shorter than %d characters; use a longer random secret",
                MIN_SECRET_CHARS,
            )
        self.policy = policy
        self.max_message_chars = max_message_chars
        self.max_body_bytes = max_body_bytes
        self.sender_id_key = sender_id_key or policy.secret

    # ------------------------------------------------------------------ checks

    def check_request(self, request: Request) -> AppRequest:
        """Authenticate and validate one webhook call, or raise RefusedRequest."""
        try:
            customer = verify_token(bearer_token(request.headers.get("Authorization")), self.policy)
        except TokenError as error:
            raise RefusedRequest(401, "unauthorized", str(error)) from error

        payload = json_object_body(request, self.max_body_bytes)

        text = payload.get("message")
        if not isinstance(text, str) or not text.strip():
            raise RefusedRequest(400, "bad_request", "'message' must be a non-empty string")
        if len(text) > self.max_message_chars:
            raise RefusedRequest(
                400,
                "bad_request",
                f"'message' is {len(text)} characters; the limit is {self.max_message_chars}",
            )

        extra = payload.get("metadata") or {}
        if not isinstance(extra, dict):
            raise RefusedRequest(400, "bad_request", "'metadata' must be a JSON object")
        metadata = without_identity(extra)
        metadata[CUSTOMER_ID_KEY] = customer.customer_id
        return AppRequest(
            sender_id=sender_id_for(customer.customer_id, self.sender_id_key),
            text=text,
            metadata=metadata,
        )

    # ------------------------------------------------------------------ RestInput hooks

    async def _extract_sender(self, req: Request) -> str | None:
        return req.ctx.app_request.sender_id

    def _extract_message(self, req: Request) -> str | None:
        return req.ctx.app_request.text

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        return with_caller_request_id(request, request.ctx.app_request.metadata)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """RestInput's blueprint with a request middleware that guards the webhook."""
        guarded = answer_every_message(on_new_message, self.max_message_chars)
        webhook = guarded.serve_with(super().blueprint(guarded))

        @webhook.middleware("request")
        async def guard(request: Request) -> HTTPResponse | None:
            if request.method != "POST" or not request.path.rstrip("/").endswith("/webhook"):
                return None
            try:
                request.ctx.app_request = self.check_request(request)
            except RefusedRequest as refusal:
                return refusal_response(self.name(), request, refusal)
            return None

        @webhook.get("/messages")
        async def agent_messages(request: Request) -> HTTPResponse:
            """What a human agent said to this customer since `since` (the app polls)."""
            try:
                customer = verify_token(bearer_token(request.headers.get("Authorization")), self.policy)
            except TokenError as error:
                return refusal_response(self.name(), request, RefusedRequest(401, "unauthorized", str(error)))
            sender_id = sender_id_for(customer.customer_id, self.sender_id_key)
            return response.json(await messages_since(sender_id, since_arg(request), request.app.ctx.agent))

        return webhook
