"""REST turn latency, saturation throughput and memory of Rasa bots, side by side.

Each target is a Rasa server with the REST channel. Targets run one after the other (they
share the machine's cores), each with its own conversation script:

1. warm-up: every scripted conversation once, sequentially (excluded from the numbers);
2. Poisson run: `--conversations` conversations arrive at random times over
   `--arrival-window` seconds (a Poisson process conditioned on that many arrivals) and wait
   an exponential think time (mean `--think-mean` s) between a reply and their next message;
3. saturation (`--saturation`): closed loops of N clients with no think time, N increasing;
4. memory of the target's processes (RSS/PSS/USS) at the end, and peak RSS during the run.

Every reply must be non-empty and, where the script says so, contain an expected substring;
failed turns are counted, kept out of the latency figures, and make the exit code 1.

    python benchmarks/turn_latency.py --starter --saturation
    python benchmarks/turn_latency.py --target shop=http://127.0.0.1:5005 --pid-dir shop=var/run \\
        --starter --saturation --markdown --json var/bench/latency.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

try:
    from benchmarks import process_memory, starter_bot
except ImportError:  # run as a script: benchmarks/ itself is on sys.path
    import process_memory  # type: ignore[no-redef]
    import starter_bot  # type: ignore[no-redef]

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPT_DIR = Path(__file__).resolve().parent / "conversations"
VAR_DIR = Path(os.environ.get("ASSISTANT_VAR", REPO_ROOT / "var"))
DEFAULT_ORDERS = VAR_DIR / "demo-orders.json"
WEBHOOK = "/webhooks/rest/webhook"
SESSION = "/webhooks/rest/session"
BACKEND_P95_TARGET_MS = 150.0
PLACEHOLDER = re.compile(r"\{order\.(\w+)\}")
ORDER_FIELD_ALIASES = {"number": "order_number"}

Order = dict[str, Any]


# --------------------------------------------------------------------------- scripts


@dataclass(frozen=True)
class Turn:
    """One user message and what its reply must contain."""

    user: str
    expect: tuple[str, ...] = ()
    calls_backend: bool = False


@dataclass(frozen=True)
class Conversation:
    """A scripted conversation; `order_status` selects a demo order for placeholders."""

    name: str
    turns: tuple[Turn, ...]
    weight: int = 1
    order_status: str | None = None

    def needs_order(self) -> bool:
        """True if any text refers to `{order.…}`."""
        texts = [t.user for t in self.turns] + [e for t in self.turns for e in t.expect]
        return self.order_status is not None or any(PLACEHOLDER.search(text) for text in texts)


@dataclass(frozen=True)
class Script:
    """All conversations for one target."""

    name: str
    conversations: tuple[Conversation, ...]


def _expect_tuple(value: object) -> tuple[str, ...]:
    """`expect` may be absent, one string, or a list of alternatives."""
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(_yaml_text(v) for v in value)
    return (_yaml_text(value),)


def _yaml_text(value: object) -> str:
    """A script string; YAML turns bare yes/no/on/off into booleans, so those must be quoted."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"{value!r} is not a string: quote it in the YAML")
    return str(value)


def parse_script(data: dict[str, Any], default_name: str = "script") -> Script:
    """Build a Script from the YAML structure (see conversations/starter.yml)."""
    conversations = []
    for i, conv in enumerate(data.get("conversations") or []):
        turns = tuple(
            Turn(
                user=_yaml_text(turn["user"]),
                expect=_expect_tuple(turn.get("expect")),
                calls_backend=bool(turn.get("calls_backend", False)),
            )
            for turn in conv["turns"]
        )
        if not turns:
            raise ValueError(f"conversation {i} has no turns")
        conversations.append(
            Conversation(
                name=str(conv.get("name", f"conversation {i}")),
                turns=turns,
                weight=int(conv.get("weight", 1)),
                order_status=conv.get("order_status"),
            )
        )
    if not conversations:
        raise ValueError("script has no conversations")
    return Script(name=str(data.get("name", default_name)), conversations=tuple(conversations))


def load_script(path: Path) -> Script:
    """Read a conversation script from YAML."""
    return parse_script(yaml.safe_load(path.read_text(encoding="utf-8")), path.stem)


def orders_by_status(data: object) -> dict[str, list[Order]]:
    """Status -> orders from the seed's index ({"statuses": {...}, "scenarios": {...}}).

    A bare `{status: [orders]}` object is accepted too, for hand-written order files.
    """
    if isinstance(data, dict) and isinstance(data.get("statuses"), dict):
        data = data["statuses"]
    if not isinstance(data, dict):
        raise TypeError("demo orders: expected an object status -> list of orders")
    return {str(status): list(orders) for status, orders in data.items() if isinstance(orders, list)}


def load_orders(path: Path) -> dict[str, list[Order]]:
    """Read the seed's demo orders: {order_number, email, postcode, customer_id} per status."""
    return orders_by_status(json.loads(path.read_text(encoding="utf-8")))


def pick_order(orders: dict[str, list[Order]], status: str | None, rng: random.Random) -> Order:
    """A demo order with the wanted status (any status if None)."""
    pool = list(orders.get(status, [])) if status else [o for group in orders.values() for o in group]
    if not pool:
        known = ", ".join(sorted(orders)) or "none"
        raise LookupError(f"no demo order with status {status!r} (statuses: {known})")
    return rng.choice(pool)


def fill_placeholders(text: str, order: Order | None) -> str:
    """Replace `{order.number}`, `{order.email}`, … with the order's fields."""

    def replace(match: re.Match[str]) -> str:
        if order is None:
            raise LookupError(f"{match.group(0)} used but no demo order is available")
        key = ORDER_FIELD_ALIASES.get(match.group(1), match.group(1))
        if key not in order:
            raise KeyError(f"{match.group(0)}: order has no field {key!r} (fields: {sorted(order)})")
        return str(order[key])

    return PLACEHOLDER.sub(replace, text)


def materialise(conv: Conversation, order: Order | None) -> Conversation:
    """The conversation with placeholders filled for one order."""
    turns = tuple(
        Turn(
            user=fill_placeholders(t.user, order),
            expect=tuple(fill_placeholders(e, order) for e in t.expect),
            calls_backend=t.calls_backend,
        )
        for t in conv.turns
    )
    return Conversation(conv.name, turns, conv.weight, conv.order_status)


def plan_conversations(script: Script, n: int, rng: random.Random) -> list[Conversation]:
    """n conversations in the proportions of their weights, in a seeded random order."""
    pool = [c for c in script.conversations for _ in range(max(c.weight, 0))]
    if not pool:
        raise ValueError("all conversation weights are 0")
    plan = [pool[i % len(pool)] for i in range(n)]
    rng.shuffle(plan)
    return plan


# --------------------------------------------------------------------------- statistics and sampling


def percentile(values: Sequence[float], q: float) -> float:
    """Percentile with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    if not 0 <= q <= 100:
        raise ValueError("q must be within [0, 100]")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def poisson_arrivals(n: int, window: float, rng: random.Random) -> list[float]:
    """Arrival times of a Poisson process conditioned on n arrivals in [0, window].

    Given the count, a homogeneous Poisson process's arrival times are n sorted uniform
    samples, so every conversation arrives inside the window yet the gaps stay exponential-like.
    """
    if window <= 0:
        return [0.0] * n
    return sorted(rng.uniform(0.0, window) for _ in range(n))


def think_time(mean: float, rng: random.Random) -> float:
    """Exponential think time with the given mean (0 means no pause)."""
    return rng.expovariate(1.0 / mean) if mean > 0 else 0.0


def latency_stats(latencies_ms: Sequence[float]) -> dict[str, float | int]:
    """Count, p50, p95, p99 and max of a set of latencies."""
    return {
        "n": len(latencies_ms),
        "p50": percentile(latencies_ms, 50),
        "p95": percentile(latencies_ms, 95),
        "p99": percentile(latencies_ms, 99),
        "max": max(latencies_ms) if latencies_ms else math.nan,
    }


# --------------------------------------------------------------------------- turns


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


# --------------------------------------------------------------------------- memory


class PeakRss:
    """Samples RSS of the target's processes in the background; keeps the peak per process."""

    def __init__(self, pids: dict[str, int], interval: float = 1.0) -> None:
        self.pids = pids
        self.interval = interval
        self.peak: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> None:
        """Take one reading of every process."""
        for name, pid in self.pids.items():
            rss = process_memory.rss_mib(pid)
            if rss is not None:
                self.peak[name] = max(rss, self.peak.get(name, 0.0))

    async def _loop(self) -> None:
        while True:
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(self.interval)

    def __enter__(self) -> PeakRss:
        if self.pids:
            self._task = asyncio.get_running_loop().create_task(self._loop())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
        if self.pids:
            self.sample()


# --------------------------------------------------------------------------- one target


@dataclass
class Options:
    """Run parameters shared by all targets."""

    conversations: int = 20
    arrival_window: float = 10.0
    think_mean: float = 1.0
    rounds: int = 1
    seed: int = 42
    warmup: int = 1
    saturation: bool = False
    saturation_levels: tuple[int, ...] = (1, 2, 4, 8, 16)
    saturation_duration: float = 10.0
    timeout: float = 30.0


def best_level(levels: list[dict[str, Any]], max_p95_ms: float | None = None) -> dict[str, Any] | None:
    """The level with the most turns/s (optionally only levels with p95 <= max_p95_ms)."""
    eligible = [
        level
        for level in levels
        if max_p95_ms is None or level["p95"] <= max_p95_ms  # NaN compares False
    ]
    return max(eligible, key=lambda level: level["turns_per_s"], default=None)


def cpu_by_process(pids: dict[str, int]) -> dict[str, float | None]:
    """CPU seconds used so far by each named process tree."""
    return {name: process_memory.cpu_seconds(pid) for name, pid in pids.items()}


def cpu_per_turn(
    before: dict[str, float | None], after: dict[str, float | None], turns: int
) -> dict[str, float | None]:
    """CPU milliseconds per measured turn for each process (less noisy than latency)."""
    out: dict[str, float | None] = {}
    for name, start in before.items():
        end = after.get(name)
        ok = start is not None and end is not None and turns > 0
        out[name] = (end - start) * 1000 / turns if ok else None  # type: ignore[operator]
    return out


def summarise(results: list[TurnResult], phase_prefix: str = "poisson") -> dict[str, Any]:
    """Latency figures of the Poisson run: all turns, and turns that call the backend."""
    turns = [r for r in results if r.phase.startswith(phase_prefix)]
    ok = [r for r in turns if r.ok]
    backend = [r for r in ok if r.calls_backend]
    conversations: dict[str, bool] = {}
    for r in turns:
        conversations[r.sender] = conversations.get(r.sender, True) and r.ok
    return {
        "conversations": len(conversations),
        "conversations_failed": sum(1 for good in conversations.values() if not good),
        "turns": len(turns),
        "turns_failed": len(turns) - len(ok),
        "all": latency_stats([r.latency_ms for r in ok]),
        "backend": latency_stats([r.latency_ms for r in backend]),
        "backend_turns_failed": sum(1 for r in turns if r.calls_backend and not r.ok),
    }


async def run_target(
    session: aiohttp.ClientSession,
    target: Target,
    opts: Options,
    orders: dict[str, list[Order]] | None,
    run_id: str,
) -> dict[str, Any]:
    """Warm-up, Poisson run, optional saturation and memory for one target."""
    runner = Runner(session, target, orders, run_id)
    warm_rng = random.Random(f"{opts.seed}-warmup")
    await runner.warmup(opts.warmup, warm_rng)
    warm_failed = sum(1 for r in runner.results if not r.ok)
    report: dict[str, Any] = {
        "target": target.name,
        "url": target.url,
        "script": target.script.name,
    }
    load_start = os.getloadavg()[0]
    with PeakRss(target.pids) as peak:
        wall = 0.0
        cpu_start = cpu_by_process(target.pids)
        for r in range(opts.rounds):
            wall += await runner.poisson(
                opts.conversations,
                opts.arrival_window,
                opts.think_mean,
                opts.seed + r,
                f"poisson-{r}",
            )
        report["poisson"] = summarise(runner.results) | {"seconds": wall}
        report["cpu_ms_per_turn"] = cpu_per_turn(cpu_start, cpu_by_process(target.pids), report["poisson"]["turns"])
        if opts.saturation:
            levels = [await runner.closed_loop(n, opts.saturation_duration, opts.seed) for n in opts.saturation_levels]
            report["saturation"] = {
                "levels": levels,
                "best": best_level(levels),
                "best_within_target": best_level(levels, BACKEND_P95_TARGET_MS),
            }
    report["loadavg_1min"] = [load_start, os.getloadavg()[0]]
    report["warmup_failed"] = warm_failed
    report["memory_end"] = [asdict(m) for m in process_memory.measure_all(target.pids)]
    report["memory_peak_rss_mib"] = peak.peak
    report["failures"] = [asdict(r) for r in runner.results if not r.ok][:50]
    return report


# --------------------------------------------------------------------------- report


def _ms(value: float | None) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}"


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _level_cell(level: dict[str, Any]) -> str:
    """`turns/s (p95)` of one saturation level, with failures if any."""
    cell = f"{level['turns_per_s']:.1f} ({_ms(level['p95'])})"
    return cell + (f" {level['failed']} failed" if level["failed"] else "")


def _best_cell(level: dict[str, Any] | None) -> str:
    """`turns/s @N (p95)` of a chosen saturation level."""
    if level is None:
        return "-"
    return f"{level['turns_per_s']:.1f} @{level['clients']} ({_ms(level['p95'])})"


def table_rows(reports: list[dict[str, Any]], opts: Options) -> list[list[str]]:
    """Rows of the side-by-side table: a label, then one cell per target."""
    rows: list[list[str]] = []

    def row(label: str, cells: list[str]) -> None:
        rows.append([label, *cells])

    p = [r["poisson"] for r in reports]
    row(
        "conversations (failed)",
        [f"{x['conversations']} ({x['conversations_failed']})" for x in p],
    )
    row("turns measured (failed)", [f"{x['turns']} ({x['turns_failed']})" for x in p])
    for q in ("p50", "p95", "p99", "max"):
        row(f"all turns {q} ms", [_ms(x["all"][q]) for x in p])
    row(
        "backend turns (failed)",
        [f"{x['backend']['n']} ({x['backend_turns_failed']})" for x in p],
    )
    for q in ("p50", "p95", "p99", "max"):
        row(f"backend turns {q} ms", [_ms(x["backend"][q]) for x in p])
    row(
        f"backend p95 <= {BACKEND_P95_TARGET_MS:.0f} ms",
        [
            "-" if not x["backend"]["n"] else ("yes" if x["backend"]["p95"] <= BACKEND_P95_TARGET_MS else "NO")
            for x in p
        ],
    )
    if opts.saturation:
        for i, n in enumerate(opts.saturation_levels):
            row(
                f"saturation N={n}: turns/s (p95 ms)",
                [_level_cell(r["saturation"]["levels"][i]) for r in reports],
            )
        row(
            "saturation best: turns/s @N (p95 ms)",
            [_best_cell(r["saturation"]["best"]) for r in reports],
        )
        row(
            f"best with p95 <= {BACKEND_P95_TARGET_MS:.0f} ms: turns/s @N (p95 ms)",
            [_best_cell(r["saturation"]["best_within_target"]) for r in reports],
        )
    row(
        "load average 1 min (start -> end)",
        [f"{r['loadavg_1min'][0]:.2f} -> {r['loadavg_1min'][1]:.2f}" for r in reports],
    )
    names = list(dict.fromkeys(m["name"] for r in reports for m in r["memory_end"]))
    for name in names:
        row(
            f"{name}: CPU ms per turn (Poisson run)",
            [_ms(r["cpu_ms_per_turn"].get(name)) for r in reports],
        )
    for name in names:
        cells = []
        for r in reports:
            m = next((m for m in r["memory_end"] if m["name"] == name), None)
            if m is None:
                cells.append("")
            elif m["error"]:
                cells.append(m["error"])
            else:
                peak = r["memory_peak_rss_mib"].get(name)
                cells.append(f"{_mib(m['rss_mib'])} / {_mib(m['pss_mib'])} / {_mib(m['uss_mib'])} (peak {_mib(peak)})")
        row(f"{name}: RSS/PSS/USS MiB (peak RSS)", cells)
    return rows


def render_table(reports: list[dict[str, Any]], opts: Options, markdown: bool) -> str:
    """The side-by-side table as plain text or Markdown."""
    header = ["metric", *(r["target"] for r in reports)]
    rows = table_rows(reports, opts)
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * len(reports)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(c) for c in col) for col in zip(header, *rows, strict=False)]
    return "\n".join(
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=False)))
        for r in [header, *rows]
    )


def describe(opts: Options) -> str:
    """One line saying how the numbers were produced."""
    text = (
        f"Poisson run: {opts.conversations} conversations x {opts.rounds} round(s), arrivals over "
        f"{opts.arrival_window:g} s, think time exp(mean {opts.think_mean:g} s), seed {opts.seed}, "
        f"warm-up {opts.warmup} pass(es) excluded"
    )
    if opts.saturation:
        levels = ",".join(map(str, opts.saturation_levels))
        text += f"; saturation: closed loop, N={levels}, {opts.saturation_duration:g} s each"
    return text


# --------------------------------------------------------------------------- CLI


def parse_named(values: list[str], what: str) -> dict[str, str]:
    """Parse repeated NAME=VALUE options."""
    out: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name or not rest:
            raise SystemExit(f"{what}: expected NAME=VALUE, got {value!r}")
        out[name] = rest
    return out


def parse_target_pids(values: list[str]) -> dict[str, dict[str, int]]:
    """Parse repeated `TARGET:name=pid,name=pid` options."""
    out: dict[str, dict[str, int]] = {}
    for value in values:
        target, sep, spec = value.partition(":")
        if not sep:
            raise SystemExit(f"--pids: expected TARGET:name=pid,..., got {value!r}")
        out.setdefault(target, {}).update(process_memory.parse_pids(spec))
    return out


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="REST base URL of a bot",
    )
    p.add_argument(
        "--script",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="conversation script of a target (default conversations/NAME.yml)",
    )
    p.add_argument(
        "--starter",
        action="store_true",
        help="also start, measure and stop Rasa's starter bot (target 'starter')",
    )
    p.add_argument("--starter-port", type=int, default=starter_bot.DEFAULT_PORT)
    p.add_argument("--starter-dir", type=Path, default=starter_bot.DEFAULT_DIR)
    p.add_argument("--rasa-bin", default=None, help="rasa executable for the starter bot")
    p.add_argument(
        "--pid-dir",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="measure memory of DIR/*.pid for target NAME (e.g. shop=var/run)",
    )
    p.add_argument(
        "--pids",
        action="append",
        default=[],
        metavar="NAME:proc=pid,...",
        help="measure memory of these processes for target NAME",
    )
    p.add_argument(
        "--orders",
        type=Path,
        default=DEFAULT_ORDERS,
        help="demo orders written by the seed",
    )
    p.add_argument("--conversations", type=int, default=20)
    p.add_argument(
        "--arrival-window",
        type=float,
        default=10.0,
        help="seconds over which conversations arrive",
    )
    p.add_argument(
        "--think-mean",
        type=float,
        default=1.0,
        help="mean exponential think time, seconds",
    )
    p.add_argument("--rounds", type=int, default=1, help="repeat the Poisson run (more samples)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="sequential passes over the script, not measured",
    )
    p.add_argument("--saturation", action="store_true", help="also measure closed-loop throughput")
    p.add_argument(
        "--saturation-levels",
        default="1,2,4,8,16",
        help="client counts, comma-separated",
    )
    p.add_argument("--saturation-duration", type=float, default=10.0, help="seconds per level")
    p.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, seconds")
    p.add_argument("--json", type=Path, default=None, help="write the full report here")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    return p


def resolve_targets(args: argparse.Namespace) -> list[Target]:
    """Targets from the options (the managed starter bot gets its URL and pid later)."""
    urls = parse_named(args.target, "--target")
    if args.starter:
        urls.setdefault("starter", "")
    if not urls:
        raise SystemExit("nothing to measure: give --target NAME=URL and/or --starter")
    scripts = parse_named(args.script, "--script")
    pid_dirs = parse_named(args.pid_dir, "--pid-dir")
    pids = parse_target_pids(args.pids)
    targets = []
    for name, url in urls.items():
        script = Path(scripts.get(name, SCRIPT_DIR / f"{name}.yml"))
        target_pids = process_memory.read_pid_dir(Path(pid_dirs[name])) if name in pid_dirs else {}
        target_pids.update(pids.get(name, {}))
        targets.append(Target(name, url.rstrip("/"), load_script(script), target_pids))
    return targets


async def run_all(targets: list[Target], opts: Options, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Measure the targets one after the other with one HTTP session."""
    needs_orders = any(c.needs_order() for t in targets for c in t.script.conversations)
    orders = load_orders(args.orders) if needs_orders else None
    run_id = uuid.uuid4().hex[:8]
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=opts.timeout)
    reports = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        for target in targets:
            if target.name == "starter" and not target.url:
                print(
                    f"[starter] starting Rasa's starter bot on port {args.starter_port} ...",
                    file=sys.stderr,
                )
                server = await asyncio.to_thread(
                    starter_bot.start,
                    args.starter_dir,
                    args.starter_port,
                    args.rasa_bin,
                )
                target.url = server.url
                target.pids.setdefault("starter-rasa", server.pid)
                try:
                    reports.append(await measure_one(session, target, opts, orders, run_id))
                finally:
                    await asyncio.to_thread(starter_bot.shutdown, server)
            else:
                reports.append(await measure_one(session, target, opts, orders, run_id))
    return reports


async def measure_one(
    session: aiohttp.ClientSession,
    target: Target,
    opts: Options,
    orders: dict[str, list[Order]] | None,
    run_id: str,
) -> dict[str, Any]:
    """Run one target and log progress on stderr."""
    print(f"[{target.name}] measuring {target.url} ...", file=sys.stderr)
    t0 = time.perf_counter()
    report = await run_target(session, target, opts, orders, run_id)
    print(f"[{target.name}] done in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return report


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; exit code 1 if any measured turn failed."""
    args = build_parser().parse_args(argv)
    opts = Options(
        conversations=args.conversations,
        arrival_window=args.arrival_window,
        think_mean=args.think_mean,
        rounds=args.rounds,
        seed=args.seed,
        warmup=args.warmup,
        saturation=args.saturation,
        saturation_levels=tuple(int(n) for n in args.saturation_levels.split(",") if n.strip()),
        saturation_duration=args.saturation_duration,
        timeout=args.timeout,
    )
    targets = resolve_targets(args)
    reports = asyncio.run(run_all(targets, opts, args))
    print(describe(opts))
    print(render_table(reports, opts, args.markdown))
    failures = [f for r in reports for f in r["failures"]]
    for f in failures[:10]:
        print(
            f"FAILED {f['target']} {f['phase']} {f['conversation']!r} turn {f['index']}: {f['error']}",
            file=sys.stderr,
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "options": asdict(opts),
            "description": describe(opts),
            "targets": reports,
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
