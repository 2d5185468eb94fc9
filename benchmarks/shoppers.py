"""Shoppers for the reliability suite: scripted conversations over REST, socket.io and the app channel.

Each conversation keeps a transcript (what the shopper sent, what came back, how long each turn
took). `check_against_tracker` then compares it with the conversation Rasa stored (its HTTP API,
`/conversations/<id>/tracker` with RASA_API_TOKEN): every message sent must be there exactly once
and in order, and every bot message stored must have reached the shopper, in order.

The scripts are benchmarks/conversations/*.yml, read with benchmarks/turn_latency/scenario.py; the
socket.io shopper is the widget-like client of the end-to-end tests (tests/e2e/socketio_client.py).
Used by benchmarks/soak.py, benchmarks/faults.py and tests/reliability/.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import jwt
import socketio

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import process_memory  # noqa: E402
from benchmarks.turn_latency.runner import check_reply, post_turn  # noqa: E402
from benchmarks.turn_latency.scenario import Conversation, Script, load_script, materialise, pick_order  # noqa: E402
from benchmarks.turn_latency.stats import think_time  # noqa: E402
from tests.e2e.socketio_client import widget_client  # noqa: E402

CHANNELS = ("rest", "socketio", "app")
SCRIPT = REPO_ROOT / "benchmarks" / "conversations" / "reliability.yml"
APP_SCRIPT = REPO_ROOT / "benchmarks" / "conversations" / "reliability-app.yml"  # logged-in shoppers
TURN_TIMEOUT_S = 30.0
SOCKET_QUIET_S = 0.4  # the bot's messages of one turn are emitted together: collect until quiet
LATE_QUIET_S = 2.0  # after the last turn: a message of a second action may still be on its way
# What a shopper's client can run into; recorded as a failed turn, never raised.
TRANSPORT_ERRORS = (TimeoutError, ConnectionError, aiohttp.ClientError, OSError, socketio.exceptions.SocketIOError)


class StackLike(Protocol):
    """What the shoppers need of a running stack (tests/e2e/conftest.py's Stack has it)."""

    var: Path
    env: dict[str, str]
    secrets: dict[str, str]
    demo_orders: dict[str, list[dict]]

    @property
    def rasa_url(self) -> str: ...


@dataclass
class TurnRecord:
    text: str
    latency_ms: float
    replies: list[str]
    error: str | None = None
    # Replies that may come from outside Rasa's dialogue (the channel guard's apology while the action
    # server is down) and so are not in the tracker: compared only where the tracker has them.
    untracked: bool = False


@dataclass
class Transcript:
    """One conversation as the shopper lived it."""

    channel: str
    script: str
    sender: str = ""
    turns: list[TurnRecord] = field(default_factory=list)

    @property
    def failed_turns(self) -> list[TurnRecord]:
        return [t for t in self.turns if t.error]


def reply_texts(replies: Any) -> list[str]:
    return [str(r.get("text")) for r in replies or [] if isinstance(r, dict) and r.get("text")]


# --------------------------------------------------------------------------- channels


class Shopper(Protocol):
    sender: str

    async def say(self, text: str) -> list[str]: ...

    async def late_replies(self, quiet_s: float = 0.0) -> list[str]:
        """Replies that came after `say` returned (only a push channel has them)."""
        ...


class AnswersInTheResponse:
    """REST and app channels: every reply of a turn is in the HTTP response, none comes late."""

    async def late_replies(self, quiet_s: float = 0.0) -> list[str]:
        return []


class RestShopper(AnswersInTheResponse):
    def __init__(self, http: aiohttp.ClientSession, rasa_url: str, sender: str) -> None:
        self.http, self.rasa_url, self.sender = http, rasa_url, sender

    async def say(self, text: str) -> list[str]:
        _, replies, error = await post_turn(self.http, self.rasa_url, self.sender, text)
        if error:
            raise ConnectionError(error)
        return reply_texts(replies)


class AppShopper(AnswersInTheResponse):
    """A logged-in shopper of the shop's app: a JWT per customer, the channel derives the sender id.

    A customer has one conversation for ever: `start` says hello and restarts it (Rasa's API), so the
    stored tracker (events after the last restart) holds exactly what this transcript will."""

    def __init__(self, http: aiohttp.ClientSession, stack: StackLike, customer_id: str) -> None:
        self.http, self.stack, self.url, self.sender = http, stack, stack.rasa_url + "/webhooks/app/webhook", ""
        claims = {"sub": customer_id, "iat": int(time.time()), "exp": int(time.time()) + 3600}
        self.headers = {"Authorization": f"Bearer {jwt.encode(claims, stack.secrets['APP_JWT_SECRET'], 'HS256')}"}

    async def start(self) -> None:
        await self.say("hi")
        params = {"token": self.stack.secrets["RASA_API_TOKEN"]}
        url = f"{self.stack.rasa_url}/conversations/{self.sender}/tracker/events"
        async with self.http.post(url, params=params, json={"event": "restart"}) as resp:
            if resp.status != 200:
                raise ConnectionError(f"restart of {self.sender}: HTTP {resp.status}")

    async def say(self, text: str) -> list[str]:
        async with self.http.post(self.url, json={"message": text}, headers=self.headers) as resp:
            if resp.status != 200:
                raise ConnectionError(f"HTTP {resp.status}: {(await resp.text())[:200]}")
            replies = await resp.json(content_type=None)
        if replies and not self.sender:
            self.sender = replies[0].get("recipient_id", "")
        return reply_texts(replies)


class SocketShopper:
    """The web widget's protocol: session_request, then user_uttered / bot_uttered."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.sender = client.session_id

    async def say(self, text: str) -> list[str]:
        payload = {"message": text, "session_id": self.sender, "customData": {"language": "en"}}
        await self.client.sio.emit("user_uttered", payload)
        replies = [await asyncio.wait_for(self.client.replies.get(), TURN_TIMEOUT_S)]
        while True:
            try:
                replies.append(await asyncio.wait_for(self.client.replies.get(), SOCKET_QUIET_S))
            except TimeoutError:
                return reply_texts(replies)

    async def late_replies(self, quiet_s: float = 0.0) -> list[str]:
        """What arrived after the turn looked finished (a second action's message under load, e.g. the
        rating question after a goodbye), collected until `quiet_s` passes without one."""
        late: list[Any] = []
        while not self.client.replies.empty():
            late.append(self.client.replies.get_nowait())
        while quiet_s:
            try:
                late.append(await asyncio.wait_for(self.client.replies.get(), quiet_s))
            except TimeoutError:
                break
        return reply_texts(late)


async def rest_conversation_id(http: aiohttp.ClientSession, stack: StackLike) -> str:
    """A conversation id issued by the REST channel (it refuses ids a client made up)."""
    async with http.post(f"{stack.rasa_url}/webhooks/rest/session") as resp:
        if resp.status != 201:
            raise ConnectionError(f"POST /webhooks/rest/session: HTTP {resp.status}")
        return (await resp.json())["sender"]


class _Opened(AbstractAsyncContextManager):
    """A shopper on one channel for one conversation (a socket.io connection is opened and closed)."""

    def __init__(self, channel: str, http: aiohttp.ClientSession, stack: StackLike, customer_id: str) -> None:
        self.channel, self.http, self.stack, self.customer_id = channel, http, stack, customer_id
        self._socket: Any = None

    async def __aenter__(self) -> Shopper:
        if self.channel == "rest":
            return RestShopper(self.http, self.stack.rasa_url, await rest_conversation_id(self.http, self.stack))
        if self.channel == "app":
            app = AppShopper(self.http, self.stack, self.customer_id)
            await app.start()
            return app
        self._socket = widget_client(self.stack.rasa_url)
        client = await self._socket.__aenter__()
        await client.start_session()
        return SocketShopper(client)

    async def __aexit__(self, *exc: object) -> None:
        if self._socket is not None:
            await self._socket.__aexit__(*exc)


def shopper(channel: str, http: aiohttp.ClientSession, stack: StackLike, customer_id: str | None = None) -> _Opened:
    """`customer_id`: who is logged in on the app channel (default: a new customer of no orders)."""
    return _Opened(channel, http, stack, customer_id or f"rel-customer-{uuid.uuid4().hex[:16]}")


# --------------------------------------------------------------------------- conversations


def load_conversations(path: Path = SCRIPT) -> Script:
    return load_script(path)


def prepare(
    conv: Conversation, stack: StackLike, rng: random.Random, busy: set[str] | None = None
) -> tuple[Conversation, str | None]:
    """The conversation with `{order.…}` filled from a demo order of the wanted status, and the order's
    customer. With `busy`: an order of a customer not in it (LookupError when there is none)."""
    if not conv.needs_order():
        return conv, None
    if busy is None:
        order = pick_order(stack.demo_orders, conv.order_status, rng)
    else:
        free = [o for o in stack.demo_orders.get(conv.order_status or "", []) if o.get("customer_id") not in busy]
        if not free:
            raise LookupError(f"every customer with a {conv.order_status} order is taken")
        order = rng.choice(free)
    return materialise(conv, order), order.get("customer_id")


async def timed_turn(who: Shopper, text: str, transcript: Transcript, expect: Sequence[str] = ()) -> TurnRecord:
    """One turn, timed; transport errors and missing expected text are recorded, not raised. Replies that
    came late for the previous turn are added to it first, so they are not taken for this turn's."""
    await add_late_replies(who, transcript)
    started = time.perf_counter()
    try:
        replies = await asyncio.wait_for(who.say(text), TURN_TIMEOUT_S)
        error = check_reply([{"text": t} for t in replies], expect)
    except TRANSPORT_ERRORS as exc:
        replies, error = [], f"{type(exc).__name__}: {exc}"
    record = TurnRecord(text, (time.perf_counter() - started) * 1000, replies, error)
    transcript.turns.append(record)
    transcript.sender = transcript.sender or who.sender
    return record


async def add_late_replies(who: Shopper, transcript: Transcript, quiet_s: float = 0.0) -> None:
    late = await who.late_replies(quiet_s)
    if late and transcript.turns:
        transcript.turns[-1].replies.extend(late)


async def play(
    conv: Conversation,
    channel: str,
    http: aiohttp.ClientSession,
    stack: StackLike,
    think_mean_s: float,
    rng: random.Random,
    customer_id: str | None = None,
) -> Transcript:
    transcript = Transcript(channel, conv.name)
    try:
        async with shopper(channel, http, stack, customer_id) as who:
            for index, turn in enumerate(conv.turns):
                if index:
                    await asyncio.sleep(think_time(think_mean_s, rng))
                await timed_turn(who, turn.user, transcript, turn.expect)
            await add_late_replies(who, transcript, LATE_QUIET_S)  # the widget stays open a moment
    except TRANSPORT_ERRORS as exc:  # e.g. socket.io connect
        transcript.turns.append(TurnRecord("(connect)", 0.0, [], f"{type(exc).__name__}: {exc}"))
    return transcript


async def play_each_once(
    script: Script, channel: str, http: aiohttp.ClientSession, stack: StackLike, rng: random.Random
) -> list[Transcript]:
    """Every conversation of the script once, one after another, without think time (a warm-up, or
    a stack put to use before it is measured)."""
    transcripts = []
    for conv in script.conversations:
        prepared, _customer = prepare(conv, stack, rng)  # not logged in as the order's customer
        transcripts.append(await play(prepared, channel, http, stack, 0.0, rng))
    return transcripts


# --------------------------------------------------------------------------- the stored conversation


async def stored_tracker(http: aiohttp.ClientSession, stack: StackLike, sender: str) -> dict[str, Any]:
    params = {"token": stack.secrets["RASA_API_TOKEN"]}
    async with http.get(f"{stack.rasa_url}/conversations/{sender}/tracker", params=params) as resp:
        if resp.status != 200:
            raise ConnectionError(f"tracker of {sender}: HTTP {resp.status}")
        return await resp.json()


def user_texts(tracker: dict[str, Any]) -> list[str]:
    return [e.get("text") or "" for e in tracker.get("events") or [] if e.get("event") == "user"]


def compare(what: str, expected: list[str], stored: list[str]) -> dict[str, int]:
    """Counts of lost, duplicated and reordered messages between two sequences of texts."""
    want, have = Counter(expected), Counter(stored)
    lost = sum((want - have).values())
    duplicated = sum((have - want).values())
    common = [t for t in expected if t in have]
    kept = [t for t in stored if t in want]
    reordered = int(lost == duplicated == 0 and common != kept)
    return {f"{what}_lost": lost, f"{what}_duplicated": duplicated, f"{what}_reordered": reordered}


def check_against_tracker(transcript: Transcript, tracker: dict[str, Any]) -> dict[str, int]:
    """Every message the shopper sent stored once and in order; every stored bot text delivered in order.

    Turns that failed in transport are left out of the user side (they may or may not have arrived)."""
    events = tracker.get("events") or []
    stored_user = user_texts(tracker)
    stored_bot = [e.get("text") for e in events if e.get("event") == "bot" and e.get("text")]
    sent = [t.text for t in transcript.turns if not t.error or t.replies or t.text in stored_user]
    received = [text for t in transcript.turns for text in t.replies if not t.untracked or text in stored_bot]
    return {**compare("user", sent, stored_user), **compare("bot", stored_bot, received)}


async def check_all(
    http: aiohttp.ClientSession, stack: StackLike, transcripts: list[Transcript]
) -> tuple[dict[str, int], list[str]]:
    """Totals over all conversations, and one line per conversation with a problem."""
    totals: Counter[str] = Counter()
    problems: list[str] = []
    gate = asyncio.Semaphore(8)

    async def one(transcript: Transcript) -> None:
        if not transcript.sender:
            totals["no_sender"] += 1
            problems.append(f"{transcript.channel} {transcript.script}: no conversation id")
            return
        async with gate:
            tracker = await stored_tracker(http, stack, transcript.sender)
        found, stored_user = check_against_tracker(transcript, tracker), user_texts(tracker)
        totals.update(found)
        if any(found.values()):
            sent = [t.text for t in transcript.turns]
            where = f"{transcript.channel} {transcript.sender} ({transcript.script})"
            problems.append(f"{where}: {found}; sent {sent}, stored {stored_user}")

    await asyncio.gather(*(one(t) for t in transcripts))
    for key in ("user_lost", "user_duplicated", "user_reordered", "bot_lost", "bot_duplicated", "bot_reordered"):
        totals.setdefault(key, 0)
    return dict(totals), problems


# --------------------------------------------------------------------------- memory


class RssSampler:
    """RSS (MiB, process + children) of every process with a pid file, sampled in the background.

    Pids are re-read each time: a process the supervisor restarted is followed under its name."""

    def __init__(self, pid_dir: Path, interval_s: float = 5.0) -> None:
        self.pid_dir, self.interval_s = pid_dir, interval_s
        self.history: dict[str, list[float]] = {}  # every sample, to tell a warm-up from a steady growth
        self.samples = 0
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> None:
        for name, pid in process_memory.read_pid_dir(self.pid_dir).items():
            rss = process_memory.rss_mib(pid, children=name != "supervisor")  # its children are the services
            if rss is None:
                continue
            self.history.setdefault(name, []).append(rss)
        self.samples += 1

    async def _loop(self) -> None:
        while True:
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(self.interval_s)

    async def __aenter__(self) -> RssSampler:
        self._task = asyncio.get_running_loop().create_task(self._loop())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
        await asyncio.to_thread(self.sample)

    def report(self) -> dict[str, dict[str, float]]:
        return {name: self._summary(samples) for name, samples in sorted(self.history.items())}

    @staticmethod
    def _summary(samples: list[float]) -> dict[str, float]:
        first, half, last = samples[0], samples[len(samples) // 2], samples[-1]
        return {
            "first_mib": first,
            "last_mib": last,
            "peak_mib": max(samples),
            "growth_mib": last - first,
            "growth_pct": 100 * (last - first) / first if first else 0.0,
            # The second half of the run only: what a warm-up (more requests in flight) leaves out.
            "half_mib": half,
            "second_half_growth_mib": last - half,
        }
