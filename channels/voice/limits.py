"""What one client may take from the gateway: tickets, lines, audio pace and queued turns.

Two cores serve every call, so each limit here keeps one caller (or one script posing as many)
from taking the machine: a browser ticket starts one call and expires soon, streams are counted per
address and per kind of caller, audio may not arrive faster than it is spoken (beyond a little
network jitter), and a call's turns waiting for an answer are bounded. Settings: settings.py.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


# --------------------------------------------------------------------------- browser tickets


def _signature(token: str, expiry: int, nonce: str) -> str:
    return hmac.new(token.encode(), f"browser:{expiry}:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


@dataclass
class TicketBook:
    """Issues browser tickets (expiry, random nonce, HMAC with the gateway token) and redeems each once.

    The gateway is one process, so the redeemed nonces live in memory until their ticket expires."""

    token: str
    ttl_s: float
    clock: Callable[[], float] = time.time
    redeemed: dict[str, int] = field(default_factory=dict)  # nonce -> expiry

    def issue(self) -> str:
        expiry = int(self.clock() + self.ttl_s)
        nonce = secrets.token_hex(12)
        return f"{expiry}.{nonce}.{_signature(self.token, expiry, nonce)}"

    def redeem(self, ticket: str) -> bool:
        """True once for a genuine, unexpired ticket; False for a forged, expired or reused one."""
        expiry_text, _, rest = ticket.partition(".")
        nonce, _, signature = rest.partition(".")
        now = self.clock()
        self.redeemed = {n: e for n, e in self.redeemed.items() if e >= now}
        if not expiry_text.isdigit() or int(expiry_text) < now or not nonce or len(nonce) > 64:
            return False
        if not hmac.compare_digest(signature.encode(), _signature(self.token, int(expiry_text), nonce).encode()):
            return False
        if nonce in self.redeemed:
            return False
        self.redeemed[nonce] = int(expiry_text)
        return True


# --------------------------------------------------------------------------- lines


class Busy(Exception):
    """No line for this client now; the text says why (sent to the client as is)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status  # 503: the gateway is full, 429: this client has enough calls


@dataclass
class Lines:
    """Open streams, in total, from the browser page, and per client address.

    Streams that have not shown the gateway token yet (Twilio sends it in the ``start`` message)
    count per address too; once authenticated as the provider they do not, because a provider's
    few media servers carry many callers."""

    max_calls: int
    max_browser_calls: int
    max_per_address: int
    total: int = 0
    browsers: int = 0
    by_address: collections.Counter[str] = field(default_factory=collections.Counter)

    def check(self, kind: str, address: str) -> None:
        """Raises Busy if a stream of this kind from this address would be refused now."""
        if self.total >= self.max_calls:
            raise Busy(f"all {self.max_calls} lines are busy; try again shortly", 503)
        if kind == "browser" and self.browsers >= self.max_browser_calls:
            raise Busy(f"all {self.max_browser_calls} lines for browser calls are busy; try again shortly", 503)
        if kind != "provider" and self.by_address[address] >= self.max_per_address:
            raise Busy(f"at most {self.max_per_address} calls at a time from one address; end another call first", 429)

    def take(self, kind: str, address: str) -> Line:
        """A line for the stream (release it when the stream ends), or Busy."""
        self.check(kind, address)
        line = Line(self, kind, address)
        self.total += 1
        self.browsers += kind == "browser"
        if kind != "provider":
            self.by_address[address] += 1
        return line


@dataclass
class Line:
    lines: Lines
    kind: str  # "provider" | "browser" | "unauthenticated" (until the start message shows the token)
    address: str
    released: bool = False

    def authenticated_as_provider(self) -> None:
        if self.kind == "unauthenticated" and not self.released:
            self._uncount_address()
            self.kind = "provider"

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        self.lines.total -= 1
        self.lines.browsers -= self.kind == "browser"
        if self.kind != "provider":
            self._uncount_address()

    def _uncount_address(self) -> None:
        counter = self.lines.by_address
        counter[self.address] -= 1
        if counter[self.address] <= 0:
            del counter[self.address]


# --------------------------------------------------------------------------- audio pace


@dataclass
class AudioPace:
    """A token bucket of audio seconds: refilled at ``speed`` per wall-clock second, ``burst`` deep.

    A phone line delivers audio as it is spoken; a client sending faster (a script replaying a file,
    a flood) would make the gateway decode, detect and recognise more than real time. Frames beyond
    the bucket are dropped before any decoding; ``flooding`` turns true once ``flood_s`` seconds of
    audio were dropped, and the gateway then ends the stream."""

    speed: float
    burst_s: float
    flood_s: float
    clock: Callable[[], float] = time.monotonic
    dropped_s: float = 0.0

    def __post_init__(self) -> None:
        self._level = self.burst_s
        self._at = self.clock()

    def take(self, audio_s: float) -> bool:
        """True if ``audio_s`` seconds of caller audio are within the pace (and are now accounted for)."""
        now = self.clock()
        self._level = min(self.burst_s, self._level + (now - self._at) * self.speed)
        self._at = now
        if audio_s <= self._level + 1e-9:  # 50 frames of 0.02 s are one second, rounding aside
            self._level -= audio_s
            return True
        self.dropped_s += audio_s
        return False

    @property
    def flooding(self) -> bool:
        return self.dropped_s >= self.flood_s


# --------------------------------------------------------------------------- waiting turns


class BoundedQueue(Generic[T]):
    """A FIFO with a bound where putting into a full queue drops the *oldest* waiting items.

    The newest words are the ones the caller is still thinking about; older unanswered ones are
    returned to the caller of ``put_nowait`` so it can cancel their work, log and tell the caller."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: collections.deque[T] = collections.deque()
        self._ready = asyncio.Event()

    def put_nowait(self, item: T) -> list[T]:
        dropped = []
        while len(self._items) >= self.maxsize:
            dropped.append(self._items.popleft())
        self._items.append(item)
        self._ready.set()
        return dropped

    async def get(self) -> T:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)
