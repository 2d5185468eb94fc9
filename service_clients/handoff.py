"""Typed async client of the handoff desk (handoff/, see its /openapi.json).

The desk stores tickets and lets agents take conversations. Creating a hand-off is a write and is
never retried here: when the desk cannot answer, the caller queues the request in the outbox
(actions/handoff_outbox.py), which delivers it later, so no hand-off is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from service_clients.http import JsonServiceClient

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8106"


class DeskUnavailable(Exception):
    """The desk is down, slow or not accepting our token: worth trying again later."""


class DeskRejected(Exception):
    """The desk refused this request itself (a 4xx other than 401/403): retrying cannot help."""


@dataclass(frozen=True)
class HandoffTicket:
    ticket_id: str
    status: str  # "waiting" (an agent will take it live) or "follow_up" (outside agent hours)
    agents_online: int
    queue_position: int | None

    @property
    def live(self) -> bool:
        return self.status == "waiting"


class HandoffClient(JsonServiceClient):
    service = "handoff desk"
    unavailable = DeskUnavailable
    env_prefix = "HANDOFF"
    default_url = DEFAULT_URL
    default_timeout_s = 3.0

    async def create_handoff(self, request: Mapping[str, Any]) -> HandoffTicket:
        data = await self._send("POST", "/api/handoffs", request)
        return HandoffTicket(
            ticket_id=str(data["ticket_id"]),
            status=str(data.get("status") or "waiting"),
            agents_online=int(data.get("agents_online") or 0),
            queue_position=data.get("queue_position"),
        )

    def _raise_for(self, status: int, data: Mapping[str, Any], method: str, path: str) -> None:
        if 400 <= status < 500 and status not in (401, 403, 408, 429):
            message = (data.get("error") or {}).get("message", f"HTTP {status}")
            logger.error("handoff desk rejected %s %s with %s: %s", method, path, status, message)
            raise DeskRejected(f"desk answered {status}: {message}")
        super()._raise_for(status, data, method, path)

    async def shopper_message(self, conversation_id: str, text: str, timestamp: float) -> None:
        path = f"/api/conversations/{quote(conversation_id, safe='')}/messages"
        await self._send("POST", path, {"text": text, "timestamp": timestamp})
