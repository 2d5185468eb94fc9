"""Desk → shopper: the webhooks the Rasa process exposes for agent messages and for handing back.

A thin client on the shared transport (service_clients.http); only the wording is the desk's own,
because the agent reads it. Failures raise RelayFailed; the caller keeps the message undelivered
and retries, so nothing is lost when Rasa restarts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from service_clients.http import JsonServiceClient

logger = logging.getLogger(__name__)


class RelayFailed(Exception):
    """Rasa could not be reached or refused the message; the text says why, for the agent.

    `permanent`: Rasa refused this message for good (e.g. 404, the conversation does not exist), so
    the automatic retry leaves it alone; the agent's retry button still tries."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


# Refusals that may pass on their own: a wrong token (the operator fixes it), timeouts, rate limits.
TRANSIENT_4XX = frozenset({401, 403, 408, 409, 423, 425, 429})


class RasaRelay(JsonServiceClient):
    """Every call is a write (a message shown to the shopper), so nothing is retried here."""

    service = "assistant relay"
    unavailable = RelayFailed
    actor = ""  # Rasa's webhooks know the desk by its token

    def __init__(self, rasa_url: str, token: str, timeout_s: float = 3.0) -> None:
        super().__init__(rasa_url, token, timeout_s=timeout_s)

    async def agent_message(self, conversation_id: str, text: str, agent_name: str) -> str:
        """ "live" when the shopper is connected, "stored" when Rasa keeps it for their return."""
        body = {"conversation_id": conversation_id, "text": text, "agent_name": agent_name}
        answer = await self._send("POST", "/webhooks/handoff/agent_message", body)
        delivered = answer.get("delivered")
        return delivered if delivered in ("live", "stored") else "stored"

    async def release(self, conversation_id: str, agent_name: str) -> str:
        body = {"conversation_id": conversation_id, "agent_name": agent_name}
        await self._send("POST", "/webhooks/handoff/release", body)
        return "live"

    def _no_answer(self, method: str, path: str, error: Exception) -> Exception:
        if isinstance(error, asyncio.TimeoutError):
            return RelayFailed("the assistant did not answer in time")
        return RelayFailed("the assistant cannot be reached")

    def _raise_for(self, status: int, data: Mapping[str, Any], method: str, path: str) -> None:
        error = data.get("error")
        message = error.get("message") if isinstance(error, dict) else data.get("message")
        logger.warning("relay %s answered %s: %s", path, status, message or data)
        permanent = status < 500 and status not in TRANSIENT_4XX
        detail = f"HTTP {status}{': ' + message if message else ''}"
        raise RelayFailed(f"the assistant refused the message ({detail})", permanent=permanent)
