"""The load generator: one REST turn, and the warm-up, Poisson and closed-loop runs against one bot."""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from benchmarks.turn_latency.scenario import (
    Conversation,
    Order,
    Script,
    materialise,
    pick_order,
    plan_conversations,
)
from benchmarks.turn_latency.stats import latency_stats, poisson_arrivals, think_time

WEBHOOK = "/webhooks/rest/webhook"
SESSION = "/webhooks/rest/session"


@dataclass
class TurnResult:
    """Outcome of one REST turn."""

    target: str
    phase: str
    conversation: str
    sender: str
    index: int
    calls_backend: bool
    latency_ms: float
    ok: bool
    error: str | None = None
    started_s: float = 0.0


def check_reply(messages: object, expect: Sequence[str]) -> str | None:
    """Why a reply is unacceptable (None if fine): empty, or missing every expected substring."""
    if not isinstance(messages, list) or not messages:
        return "empty reply"
    texts = " ".join(str(m.get("text", "")) for m in messages if isinstance(m, dict))
    if expect and not any(e.lower() in texts.lower() for e in expect):
        return f"expected {' | '.join(expect)!r}, got {texts[:120]!r}"
    return None


async def post_turn(
    session: aiohttp.ClientSession, base_url: str, sender: str, text: str
) -> tuple[float, object, str | None]:
    """POST one message; returns (latency ms, decoded reply, transport error)."""
    t0 = time.perf_counter_ns()
    try:
        async with session.post(base_url + WEBHOOK, json={"sender": sender, "message": text}) as resp:
            body = await resp.read()
            latency = (time.perf_counter_ns() - t0) / 1e6
            if resp.status != 200:
                return latency, None, f"HTTP {resp.status}"
            return latency, json.loads(body), None
    except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
        return (time.perf_counter_ns() - t0) / 1e6, None, f"{type(exc).__name__}: {exc}"


@dataclass
class Target:
    """A bot under test."""

    name: str
    url: str
    script: Script
    pids: dict[str, int] = field(default_factory=dict)


class Runner:
    """Runs conversations against one target and collects TurnResults."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        target: Target,
        orders: dict[str, list[Order]] | None,
        run_id: str,
    ) -> None:
        self.session = session
        self.target = target
        self.orders = orders
        self.run_id = run_id
        self.results: list[TurnResult] = []
        self._serial = 0
        self.t_origin = time.perf_counter()

    async def new_sender(self, phase: str) -> str:
        """A sender id never seen before (tracker stores may persist across runs).

        The shop's REST channel only accepts ids it issued (docs/channels.md), so one is asked for;
        Rasa's starter bot has no such route and takes any id.
        """
        self._serial += 1
        async with self.session.post(self.target.url + SESSION) as resp:
            if resp.status == 201:
                return (await resp.json())["sender"]
        return f"bench-{self.run_id}-{self.target.name}-{phase}-{self._serial}"

    def prepare(self, conv: Conversation, rng: random.Random) -> Conversation:
        """Fill placeholders from a demo order if the conversation needs one."""
        if not conv.needs_order():
            return conv
        if self.orders is None:
            raise LookupError(f"conversation {conv.name!r} needs demo orders; none loaded (--orders)")
        return materialise(conv, pick_order(self.orders, conv.order_status, rng))

    async def conversation(
        self,
        conv: Conversation,
        phase: str,
        think_mean: float,
        rng: random.Random,
        deadline: float | None = None,
    ) -> int:
        """Play one conversation; returns the number of turns completed."""
        sender = await self.new_sender(phase)
        done = 0
        for index, turn in enumerate(conv.turns):
            if deadline is not None and time.perf_counter() >= deadline:
                break
            if index:
                await asyncio.sleep(think_time(think_mean, rng))
            started = time.perf_counter() - self.t_origin
            latency, reply, error = await post_turn(self.session, self.target.url, sender, turn.user)
            error = error or check_reply(reply, turn.expect)
            self.results.append(
                TurnResult(
                    self.target.name,
                    phase,
                    conv.name,
                    sender,
                    index,
                    turn.calls_backend,
                    latency,
                    error is None,
                    error,
                    started,
                )
            )
            done += 1
        return done

    async def warmup(self, passes: int, rng: random.Random) -> None:
        """Play every conversation `passes` times, one at a time, to warm caches and graphs."""
        for _ in range(passes):
            for conv in self.target.script.conversations:
                await self.conversation(self.prepare(conv, rng), "warmup", 0.0, rng)

    async def poisson(
        self,
        n: int,
        window: float,
        think_mean: float,
        seed: int,
        phase: str = "poisson",
    ) -> float:
        """n conversations with Poisson arrivals and exponential think times; returns wall time."""
        rng = random.Random(seed)
        plan = [self.prepare(c, rng) for c in plan_conversations(self.target.script, n, rng)]
        arrivals = poisson_arrivals(n, window, rng)
        # One generator per conversation: its think times do not depend on task scheduling.
        rngs = [random.Random(f"{seed}-{i}") for i in range(n)]
        t0 = time.perf_counter()

        async def arrive(i: int) -> None:
            await asyncio.sleep(max(0.0, t0 + arrivals[i] - time.perf_counter()))
            await self.conversation(plan[i], phase, think_mean, rngs[i])

        await asyncio.gather(*(arrive(i) for i in range(n)))
        return time.perf_counter() - t0

    async def closed_loop(self, clients: int, duration: float, seed: int) -> dict[str, Any]:
        """`clients` loops with no think time for `duration` s; turns/s and latency of that level."""
        phase = f"saturation-{clients}"
        start_index = len(self.results)
        t0 = time.perf_counter()
        deadline = t0 + duration

        async def client(c: int) -> None:
            rng = random.Random(f"{seed}-sat-{clients}-{c}")
            while time.perf_counter() < deadline:
                conv = rng.choice(plan_conversations(self.target.script, len(self.target.script.conversations), rng))
                await self.conversation(self.prepare(conv, rng), phase, 0.0, rng, deadline)

        await asyncio.gather(*(client(c) for c in range(clients)))
        elapsed = time.perf_counter() - t0
        turns = self.results[start_index:]
        ok = [t.latency_ms for t in turns if t.ok]
        return {
            "clients": clients,
            "turns": len(turns),
            "failed": len(turns) - len(ok),
            "seconds": elapsed,
            "turns_per_s": len(ok) / elapsed if elapsed > 0 else math.nan,
            **{k: v for k, v in latency_stats(ok).items() if k != "n"},
        }
