"""Human-handoff latency on a running assistant, N concurrent conversations (default 20).

For each conversation a shopper on the web widget's channel (socket.io) asks for a person; an
agent logged into the desk (its live WebSocket open) waits for the ticket; then the agent takes it
and replies, and the shopper waits for the reply. Measured per conversation:

- trigger → ticket visible: from the shopper sending "I want to talk to a person" until the
  desk's WebSocket pushes that conversation's ticket to the agent;
- agent reply → shopper: from the agent's reply request until the shopper's socket receives it.

All conversations are open at once. By default their triggers go out together (a burst: the
worst case, since one Rasa process handles them in turn), then the agent's replies; with
`--spread S` each conversation starts its trigger, and later its reply, at a random moment within
S seconds, as real shoppers would. Everything goes through the real Rasa server, action server,
desk and relay.

    python3 bot/launcher.py start
    .venv-services/bin/python benchmarks/handoff_latency.py --conversations 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import socketio

REPO = Path(__file__).resolve().parent.parent
TRIGGER = "I want to talk to a person please"


def secrets(var: Path) -> dict[str, str]:
    lines = (var / "secrets.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


class Shopper:
    """One web-widget conversation: its session id and a queue of what the bot/agent sent."""

    def __init__(self, rasa_url: str) -> None:
        self.rasa_url = rasa_url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
        self.session_id = ""

    async def connect(self) -> None:
        confirmed: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        @self.sio.on("session_confirm")
        async def on_confirm(data: Any) -> None:
            confirmed.set_result(data["session_id"] if isinstance(data, dict) else data)

        @self.sio.on("bot_uttered")
        async def on_bot(data: Any) -> None:
            await self.received.put((time.perf_counter(), (data or {}).get("text", "")))

        await self.sio.connect(self.rasa_url, socketio_path="/socket.io", transports=["websocket"], wait_timeout=10)
        await self.sio.emit("session_request", {"session_id": None})
        self.session_id = await asyncio.wait_for(confirmed, 10)

    async def say(self, text: str) -> float:
        started = time.perf_counter()
        await self.sio.emit("user_uttered", {"message": text, "session_id": self.session_id, "customData": {}})
        return started

    async def wait_for(self, needle: str, timeout_s: float) -> float:
        deadline = time.perf_counter() + timeout_s
        while True:
            at, text = await asyncio.wait_for(self.received.get(), max(0.01, deadline - time.perf_counter()))
            if needle in text:
                return at


class Agent:
    """A desk agent: session cookie, live WebSocket, and the desk's JSON API."""

    def __init__(self, desk_url: str) -> None:
        self.desk_url = desk_url
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.tickets_seen: dict[str, tuple[float, int]] = {}
        self.seen = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def login(self, name: str, password: str) -> None:
        async with self.http.post(f"{self.desk_url}/desk/api/login", json={"name": name, "password": password}) as r:
            r.raise_for_status()
        socket = await self.http.ws_connect(f"{self.desk_url}/desk/ws")
        self._reader = asyncio.create_task(self._read(socket))

    async def _read(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in socket:
            event = json.loads(frame.data)
            if event.get("type") == "ticket" and event["ticket"]["status"] == "waiting":
                ticket = event["ticket"]
                self.tickets_seen.setdefault(ticket["conversation_id"], (time.perf_counter(), ticket["ticket_id"]))
                self.seen.set()

    async def ticket_seen(self, conversation_id: str, timeout_s: float) -> tuple[float, int]:
        deadline = time.perf_counter() + timeout_s
        while conversation_id not in self.tickets_seen:
            self.seen.clear()
            await asyncio.wait_for(self.seen.wait(), max(0.01, deadline - time.perf_counter()))
        return self.tickets_seen[conversation_id]

    async def post(self, path: str, body: dict[str, Any] | None = None) -> None:
        async with self.http.post(f"{self.desk_url}/desk/api{path}", json=body or {}) as reply:
            if reply.status >= 300:
                raise RuntimeError(f"desk {path}: {reply.status} {await reply.text()}")

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
        await self.http.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"| {name} | {len(ms)} | {statistics.median(ms):.0f} | {percentile(ms, 95):.0f} | {max(ms):.0f} |"


async def run(args: argparse.Namespace) -> int:
    var = Path(args.var)
    secret = secrets(var)
    agent = Agent(args.desk)
    await agent.login("admin", secret["HANDOFF_ADMIN_PASSWORD"])
    shoppers = [Shopper(args.rasa) for _ in range(args.conversations)]
    await asyncio.gather(*(s.connect() for s in shoppers))
    failures = 0

    rng = random.Random(args.seed)

    async def trigger(shopper: Shopper) -> tuple[float, int]:
        await asyncio.sleep(rng.uniform(0, args.spread))
        started = await shopper.say(TRIGGER)
        seen_at, ticket_id = await agent.ticket_seen(shopper.session_id, args.timeout)
        await shopper.wait_for("colleague", args.timeout)
        return seen_at - started, ticket_id

    triggered = await asyncio.gather(*(trigger(s) for s in shoppers), return_exceptions=True)
    to_ticket = [t[0] for t in triggered if not isinstance(t, BaseException)]
    failures += sum(isinstance(t, BaseException) for t in triggered)

    async def reply(shopper: Shopper, ticket_id: int, index: int) -> float:
        await asyncio.sleep(rng.uniform(0, args.spread))
        await agent.post(f"/tickets/{ticket_id}/take")
        await shopper.wait_for("joined", args.timeout)
        text = f"Hello from the desk, conversation {index}."
        started = time.perf_counter()
        await agent.post(f"/tickets/{ticket_id}/messages", {"text": text})
        return await shopper.wait_for(text, args.timeout) - started

    pairs = [
        (s, t[1], i)
        for i, (s, t) in enumerate(zip(shoppers, triggered, strict=True))
        if not isinstance(t, BaseException)
    ]
    replied = await asyncio.gather(*(reply(s, t, i) for s, t, i in pairs), return_exceptions=True)
    to_shopper = [r for r in replied if not isinstance(r, BaseException)]
    failures += sum(isinstance(r, BaseException) for r in replied)
    for error in [*triggered, *replied]:
        if isinstance(error, BaseException):
            print(f"failed: {error!r}", file=sys.stderr)

    await asyncio.gather(*(agent.post(f"/tickets/{t}/close") for _, t, _ in pairs), return_exceptions=True)
    await asyncio.gather(*(s.sio.disconnect() for s in shoppers))
    await agent.close()

    arrival = f"spread over {args.spread:.0f} s" if args.spread else "all at once"
    print(f"\n{args.conversations} concurrent conversations, triggers {arrival}, {failures} failed\n")
    print("| measure | n | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|")
    if to_ticket:
        print(summary("trigger → ticket visible in the desk", to_ticket))
    if to_shopper:
        print(summary("agent reply → shopper (socket.io)", to_shopper))
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--rasa", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    parser.add_argument("--desk", default=os.environ.get("HANDOFF_URL", "http://127.0.0.1:8106"))
    parser.add_argument("--var", default=os.environ.get("ASSISTANT_VAR", str(REPO / "var")))
    parser.add_argument("--spread", type=float, default=0.0, help="seconds over which triggers arrive")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=60.0)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
