"""Desk → shopper: the webhooks the Rasa process exposes for agent messages and for handing back.

Failures raise RelayFailed; the caller keeps the message undelivered and retries, so nothing is lost
when Rasa restarts."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp

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


class RasaRelay:
    def __init__(self, rasa_url: str, token: str, timeout_s: float = 3.0) -> None:
        self._base = rasa_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def agent_message(self, conversation_id: str, text: str, agent_name: str) -> str:
        """ "live" when the shopper is connected, "stored" when Rasa keeps it for their return."""
        body = {"conversation_id": conversation_id, "text": text, "agent_name": agent_name}
        answer = await self._post("/webhooks/handoff/agent_message", body)
        delivered = answer.get("delivered")
        return delivered if delivered in ("live", "stored") else "stored"

    async def release(self, conversation_id: str, agent_name: str) -> str:
        await self._post("/webhooks/handoff/release", {"conversation_id": conversation_id, "agent_name": agent_name})
        return "live"

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        try:
            async with self._session.post(self._base + path, json=body) as response:
                status, raw = response.status, await response.read()
        except asyncio.TimeoutError as error:
            raise RelayFailed("the assistant did not answer in time") from error
        except aiohttp.ClientError as error:
            logger.warning("relay %s failed: %s", path, error)
            raise RelayFailed("the assistant cannot be reached") from error
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        if status >= 300:
            error = data.get("error")
            message = error.get("message") if isinstance(error, dict) else data.get("message")
            logger.warning("relay %s answered %s: %s", path, status, message or raw[:200])
            permanent = status < 500 and status not in TRANSIENT_4XX
            detail = f"HTTP {status}{': ' + message if message else ''}"
            raise RelayFailed(f"the assistant refused the message ({detail})", permanent=permanent)
        return data
