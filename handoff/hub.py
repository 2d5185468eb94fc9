"""Live updates for the agents' browsers: every connected desk page gets every event as JSON.

Events: {"type": "queue"} (the queue changed; pages refetch GET /desk/api/queue), {"type": "ticket",
"ticket": …}, {"type": "message", "message": …} (new shopper message, reply, note or delivery change)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import Any

from aiohttp import web

logger = logging.getLogger(__name__)
SEND_TIMEOUT_S = 2.0


class Hub:
    def __init__(self) -> None:
        self._sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)

    def add(self, agent: str, socket: web.WebSocketResponse) -> None:
        self._sockets[agent].add(socket)

    def remove(self, agent: str, socket: web.WebSocketResponse) -> None:
        self._sockets[agent].discard(socket)
        if not self._sockets[agent]:
            del self._sockets[agent]

    def agents_online(self) -> int:
        return len(self._sockets)

    async def publish(self, event: dict[str, Any]) -> None:
        """One slow or dead browser must not hold up the others: each send has a short timeout."""
        data = json.dumps(event)
        sockets = [s for group in list(self._sockets.values()) for s in list(group) if not s.closed]
        if sockets:
            await asyncio.gather(*(self._send(s, data) for s in sockets))

    async def _send(self, socket: web.WebSocketResponse, data: str) -> None:
        try:
            await asyncio.wait_for(socket.send_str(data), SEND_TIMEOUT_S)
        except (ConnectionError, RuntimeError, asyncio.TimeoutError) as error:
            logger.info("dropping a desk socket: %s", error)
            with contextlib.suppress(Exception):
                await socket.close()

    async def disconnect(self, agent: str) -> None:
        """After logout: that agent's open pages stop receiving events."""
        for socket in list(self._sockets.get(agent, ())):
            with contextlib.suppress(Exception):
                await socket.close(code=4001, message=b"logged out")

    async def close_all(self) -> None:
        for group in list(self._sockets.values()):
            for socket in list(group):
                with contextlib.suppress(Exception):
                    await socket.close(code=1001, message=b"server shutdown")
