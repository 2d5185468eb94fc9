"""A socket.io client that speaks to Rasa the way the rasa-webchat widget does (shared by e2e tests).

The widget (socket.io-client 3, engine.io protocol 4) connects to ``/socket.io``, emits
``session_request``, gets ``session_confirm`` with its session id, then sends ``user_uttered``
``{message, session_id, customData}`` and shows every ``bot_uttered``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import socketio

REPLY_TIMEOUT = 30.0
QUIET = 1.5  # the bot may answer with several messages: collect until it is quiet


@dataclass
class WidgetLikeClient:
    sio: socketio.AsyncClient
    confirmations: asyncio.Queue = field(default_factory=asyncio.Queue)
    replies: asyncio.Queue = field(default_factory=asyncio.Queue)
    session_id: str = ""

    async def start_session(self, session_id: str | None = None) -> str:
        await self.sio.emit("session_request", {"session_id": session_id})
        self.session_id = await asyncio.wait_for(self.confirmations.get(), 10)
        return self.session_id

    async def say(self, text: str, custom_data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Sends a message as the widget does and collects the replies until the bot is quiet."""
        payload = {"message": text, "session_id": self.session_id, "customData": custom_data or {"language": "en"}}
        await self.sio.emit("user_uttered", payload)
        replies = [await asyncio.wait_for(self.replies.get(), REPLY_TIMEOUT)]
        while True:
            try:
                replies.append(await asyncio.wait_for(self.replies.get(), QUIET))
            except TimeoutError:
                return replies


@asynccontextmanager
async def widget_client(rasa_url: str) -> AsyncIterator[WidgetLikeClient]:
    sio = socketio.AsyncClient(reconnection=False)
    client = WidgetLikeClient(sio)

    @sio.on("session_confirm")
    async def on_confirm(data: Any) -> None:
        await client.confirmations.put(data["session_id"] if isinstance(data, dict) else data)

    @sio.on("bot_uttered")
    async def on_bot(data: Any) -> None:
        await client.replies.put(data)

    # Like socket.io-client: start with long-polling, then upgrade to a websocket.
    await sio.connect(rasa_url, socketio_path="/socket.io", transports=["polling", "websocket"], wait_timeout=10)
    try:
        yield client
    finally:
        await sio.disconnect()


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text", "") for r in replies if isinstance(r, dict))
