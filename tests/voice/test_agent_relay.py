"""channels.voice.processors.agent_relay: a human agent's messages reach the call once each, in order."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from channels.voice.processors.agent_relay import new_agent_messages, relay_agent_messages
from channels.voice.services.dialogue import AGENT_MESSAGES, RasaClient


@dataclass
class FakeDesk:
    said: list[dict[str, Any]] = field(default_factory=list)
    asked: list[float] = field(default_factory=list)

    async def agent_messages(self, conversation_id: str, since: float) -> list[dict[str, Any]]:
        assert conversation_id == "voice-CA1"
        self.asked.append(since)
        return [m for m in self.said if m["timestamp"] > since]


async def test_each_message_is_returned_once_and_empty_ones_are_skipped() -> None:
    hi = {"text": "Hi, this is Sam.", "timestamp": 10.0}
    rating = {"text": "", "buttons": [{"title": "5", "payload": '/rate{"satisfaction": 5}'}], "timestamp": 12.0}
    desk = FakeDesk([hi, {"text": "", "timestamp": 11.0}, rating])
    messages, since = await new_agent_messages(desk, "voice-CA1", 5.0)
    assert (messages, since) == ([hi, rating], 12.0), "buttons alone are something to say"
    assert await new_agent_messages(desk, "voice-CA1", since) == ([], 12.0)


async def test_the_relay_asks_only_when_it_may_speak() -> None:
    desk = FakeDesk()
    spoken: list[list[dict[str, Any]]] = []
    allowed = [False]
    relay = asyncio.create_task(relay_agent_messages(desk, "voice-CA1", 0.01, lambda: allowed[0], spoken.append))
    try:
        await asyncio.sleep(0.05)
        assert desk.asked == [], "not while the caller talks or a reply plays"
        desk.said.append({"text": "Your parcel left today.", "timestamp": 2e10})
        allowed[0] = True
        for _ in range(100):
            if spoken:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
    finally:
        relay.cancel()
    assert spoken == [[{"text": "Your parcel left today.", "timestamp": 2e10}]]


async def test_the_last_agent_message_is_not_fetched_again_from_rasa(aiohttp_server: Any) -> None:
    """Rasa keeps full-precision timestamps: the ``since`` sent back must not fall before the last one."""
    said = {"text": "Hi, this is Sam.", "timestamp": 1796589585.9729884}

    async def messages(request: web.Request) -> web.Response:
        since = float(request.query["since"])  # as channels/guard.py since_arg reads it
        return web.json_response([said] if said["timestamp"] > since else [])

    app = web.Application()
    app.router.add_get(AGENT_MESSAGES, messages)
    server = await aiohttp_server(app)
    rasa = RasaClient(str(server.make_url("")), "token")
    try:
        messages, since = await new_agent_messages(rasa, "voice-CA1", 1796589580.0)
        assert [m["text"] for m in messages] == ["Hi, this is Sam."]
        assert await new_agent_messages(rasa, "voice-CA1", since) == ([], since)
    finally:
        await rasa.close()
