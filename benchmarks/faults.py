"""Faults in the middle of conversations: kill -9 of each process in turn, a frozen and a slow backend.

For every process of the stack: a REST shopper starts a conversation that needs it, the process is
killed with SIGKILL (as a crash would), and the next message is sent at once. Measured and checked:

- the answer: how long the shopper waited and whether it says clearly what is wrong (the texts in
  bot/shop_policies.yml `messages:`); for Rasa itself the connection is refused, no bot can answer;
- the restart: how long until the launcher's supervisor had the process answering its health URL;
- the rest of the conversation: it goes on, and the tracker Rasa stored holds every message the
  shopper sent, once and in order (benchmarks/shoppers.py).

A frozen backend (SIGSTOP: accepts connections, never answers) must cost the shopper at most the
client timeout (ORDERS_TIMEOUT_S / KG_TIMEOUT_S, 2 s) plus the turn itself. A slow backend (slow, not
frozen: stopped and continued in short cycles, so it runs at a fraction of its speed, as a starved or
swapping process does) must cost no more: the shopper gets either the normal answer or the clear one.

    .venv-services/bin/python benchmarks/faults.py --start default            # every process in turn
    .venv-services/bin/python benchmarks/faults.py --start default --only actions orders
    .venv-services/bin/python benchmarks/faults.py --start default --only --freeze --slow orders graph  # slow only
    .venv-services/bin/python benchmarks/faults.py --var var                   # a running stack
    # PostgreSQL (tracker store, orders) and Redis (lock store) killed and started again:
    .venv-services/bin/python benchmarks/faults.py --start postgres --only --freeze --slow --stores postgres redis
    # the state directory's disk full for one turn (a 512 MiB tmpfs; needs root):
    .venv-services/bin/python benchmarks/faults.py --start default --only --freeze --slow --full-disk 512M
    # the voice gateway killed in the middle of a phone call (Piper speaks, the caller calls back):
    .venv-services/bin/python benchmarks/faults.py --start default --only --freeze --slow --call

The CI version is tests/reliability/test_faults.py (action server and orders backend).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import os
import platform
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bot"))

import launcher  # noqa: E402  (bot/launcher.py: standard library only)

from benchmarks import shoppers  # noqa: E402
from benchmarks.turn_latency.scenario import fill_placeholders, pick_order  # noqa: E402

APOLOGY = "something went wrong on my side"
ORDERS_DOWN = "can't reach our order system"
CATALOGUE_DOWN = "can't look up our products"


@dataclass(frozen=True)
class Fault:
    """A conversation around one broken process: turns before, the turn sent into the fault, turns after."""

    process: str
    before: tuple[str, ...]
    during: str
    clear_answer: tuple[str, ...]  # the answer to `during` contains one of these
    after: tuple[str, ...]
    after_expect: tuple[str, ...]  # the last answer after the restart contains one of these
    order_status: str | None = "shipped"
    # After a slow backend gave the normal answer: the turns that ask again (None: `after` as it is).
    after_answered: tuple[str, ...] | None = None
    # Under a full disk the turn may still go through: its normal answer contains one of these.
    normal_answer: tuple[str, ...] = ()


ORDER_BEFORE = ("where is my order?",)
FAULTS = {
    f.process: f
    for f in (
        Fault(
            "actions",
            ORDER_BEFORE,
            "{order.number}",
            (APOLOGY,),
            ("{order.number}", "{order.email}"),
            ("{order.number}",),
        ),
        Fault(
            "orders",
            (*ORDER_BEFORE, "{order.number}"),  # the order is looked up once the proof is given
            "{order.email}",
            (ORDERS_DOWN,),
            ("where is my order?", "{order.number}", "{order.email}"),
            ("{order.number}",),
            after_answered=("where is my order?", "{order.number}"),  # ownership already proven
        ),
        Fault(
            "graph",
            ("hi",),
            "does the Ocean Blue Shirt come in large?",
            (CATALOGUE_DOWN,),
            ("does the Ocean Blue Shirt come in large?",),
            ("Ocean Blue Shirt",),
            # The same question twice after an answer reads as the bot failing: a person is asked for.
            after_answered=("does the Ocean Blue Shirt come in small?",),
        ),
        Fault(
            "rasa",
            (*ORDER_BEFORE, "{order.number}"),
            "{order.email}",
            (),  # nothing can answer: the connection is refused
            ("{order.email}",),
            ("{order.number}",),
        ),
        # These degrade quietly: the turn must still get its normal answer.
        Fault(
            "sentiment",
            ("hi",),
            "what is your refund policy?",
            ("30 days",),
            ("what delivery options do you have?",),
            ("express",),
        ),
        Fault(
            "handoff",
            ("hi",),
            "let me speak to a human",
            ("saved your request",),
            ("what is your refund policy?",),
            ("30 days",),
        ),
        Fault(
            "pricing",
            ("hi",),
            "how much is the Trailhead Fleece Jacket?",
            ("69",),
            ("what is your refund policy?",),
            ("30 days",),
        ),
        Fault(
            "recommendations",
            ("tell me about the Summit Down Jacket",),
            "show me something like this but cheaper",
            ("Jacket",),
            ("what is your refund policy?",),
            ("30 days",),
        ),
        Fault(
            "web",
            ("hi",),
            "what is your refund policy?",
            ("30 days",),
            ("what delivery options do you have?",),
            ("express",),
        ),
        Fault(
            "voice",
            ("hi",),
            "what is your refund policy?",
            ("30 days",),
            ("what delivery options do you have?",),
            ("express",),
        ),
    )
}
BACKEND_FAULTS = {"orders": FAULTS["orders"], "graph": FAULTS["graph"]}
# The production stores (`--start postgres`): not the launcher's processes, so the benchmark starts them
# again, as the shop's service manager would. A message sent while one is down cannot be stored: the
# shopper is asked to send it again, and does.
STORE_FAULTS = {
    f.process: f
    for f in (
        Fault(
            "postgres",  # Rasa's tracker store and the orders database
            (*ORDER_BEFORE, "{order.number}"),
            "{order.email}",
            (APOLOGY, ORDERS_DOWN),
            ("{order.email}",),
            ("{order.number}",),
        ),
        Fault(
            "redis",  # Rasa's lock store
            ORDER_BEFORE,
            "{order.number}",
            (APOLOGY,),
            ("{order.number}", "{order.email}"),
            ("{order.number}",),
        ),
    )
}
# The state directory's filesystem filled up (benchmarks/stacks.py mounts a small one): a message that
# cannot be stored gets the apology and is sent again; one that still fits goes on as usual.
DISK_FAULT = Fault(
    "var/ (disk)",
    ORDER_BEFORE,
    "{order.number}",
    (APOLOGY,),
    ("{order.number}", "{order.email}"),
    ("{order.number}",),
    after_answered=("{order.email}",),
    normal_answer=("email",),
)
KILL, FREEZE, SLOW, FULL = "kill -9", "SIGSTOP", "slowed", "disk full"
CALL_QUESTION = "What is your refund policy?"  # asked on the call that breaks and on the call back
CALL_DROPPED = "kill -9, in a call"
SLOW_SHARES = (0.5, 0.1)  # the share of time a slowed backend may run: half speed, a tenth
THROTTLE_PERIOD_S = 0.1  # one stop/continue cycle: every request waits up to this long, and more


@contextlib.asynccontextmanager
async def throttled(pid: int, share: float, period_s: float = THROTTLE_PERIOD_S) -> AsyncIterator[None]:
    """The process group runs `share` of the time (SIGCONT/SIGSTOP in cycles): slow, never frozen for long."""

    async def cycle() -> None:
        while True:
            os.killpg(pid, signal.SIGCONT)
            await asyncio.sleep(period_s * share)
            os.killpg(pid, signal.SIGSTOP)
            await asyncio.sleep(period_s * (1 - share))

    task = asyncio.create_task(cycle())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        os.killpg(pid, signal.SIGCONT)


@dataclass
class FaultResult:
    process: str
    fault: str
    answer_ms: float
    answer: str
    clear: bool
    restart_s: float | None
    continued: bool
    tracker: dict[str, int] = field(default_factory=dict)
    notes: str = ""

    def held(self) -> bool:
        # Frozen or slow: the action server's client timeout (2 s) plus the turn; a crash is noticed at once.
        answer_deadline_ms = 2000 if self.fault in (KILL, FULL, CALL_DROPPED) else 3000
        nothing_lost = not any(self.tracker.values())
        restarted = self.restart_s is not None or self.fault not in (KILL, CALL_DROPPED)
        return self.clear and self.answer_ms <= answer_deadline_ms and restarted and self.continued and nothing_lost


def service_env(stack: shoppers.StackLike) -> dict[str, str]:
    """The launcher's view of the stack (ports, health URLs), overridden by the stack's own settings."""
    return {**launcher.environment(stack.var), **stack.env}


def health_url(stack: shoppers.StackLike, process: str) -> str:
    return next(p.health_url for p in launcher.processes(service_env(stack)) if p.name == process)


def pid_of(stack: shoppers.StackLike, process: str) -> int | None:
    path = stack.var / "run" / f"{process}.pid"
    return int(path.read_text()) if path.exists() and path.read_text().strip().isdigit() else None


def store_server(stack: shoppers.StackLike, name: str) -> Any:
    """The PostgreSQL or Redis server a `--start postgres` stack runs on (benchmarks/stacks.py)."""
    servers = getattr(stack, "servers", {})
    if name not in servers:
        raise SystemExit(f"no {name} server to fault: store faults need --start postgres")
    return servers[name]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


async def crash(stack: shoppers.StackLike, process: str) -> int:
    """kill -9 the process (and its children), as a crash would; returns once it is gone."""
    pid = pid_of(stack, process)
    assert pid, f"{process} is not running"
    os.killpg(pid, signal.SIGKILL)
    for _ in range(100):
        try:
            os.kill(pid, 0)  # a zombie until the supervisor reaps it, within 0.2 s
        except ProcessLookupError:
            break
        await asyncio.sleep(0.02)
    return pid


async def wait_restarted(stack: shoppers.StackLike, process: str, old_pid: int, timeout_s: float = 180) -> float | None:
    """Seconds from now until a new pid answers the health URL (None if it did not within the timeout)."""
    started, url = time.monotonic(), health_url(stack, process)
    while time.monotonic() - started < timeout_s:
        pid = pid_of(stack, process)
        if pid not in (None, old_pid) and await asyncio.to_thread(answers, url):
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    return None


def fill(texts: tuple[str, ...], order: dict[str, Any] | None) -> list[str]:
    return [fill_placeholders(text, order) for text in texts]


@contextlib.asynccontextmanager
async def faulted(stack: shoppers.StackLike, process: str, fault: str, share: float) -> AsyncIterator[int]:
    """The fault in place for one turn; yields the pid the fault hit (0 for a store's server or the disk)."""
    if fault == FULL:
        filler = stack.var / "disk-filler.bin"
        await asyncio.to_thread(fill_up, filler)
        try:
            yield 0
        finally:
            filler.unlink()
        return
    if process in STORE_FAULTS:
        await asyncio.to_thread(store_server(stack, process).kill)
        yield 0
        return
    pid = pid_of(stack, process)
    assert pid, f"{process} is not running"
    if fault == KILL:
        await crash(stack, process)
        yield pid
    elif fault == FREEZE:
        os.killpg(pid, signal.SIGSTOP)
        try:
            yield pid
        finally:
            os.killpg(pid, signal.SIGCONT)
    else:
        async with throttled(pid, share):
            yield pid


def fill_up(path: Path) -> int:
    """Writes zeros to `path` until its filesystem has no block left; returns the bytes written."""
    written = 0
    with path.open("wb", buffering=0) as out:
        for block in (1 << 20, 1 << 12, 1):
            zeros = bytes(block)
            try:
                while True:
                    written += out.write(zeros)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
    return written


def fault_name(fault: str, share: float) -> str:
    return f"{fault} to {share:.0%}" if fault == SLOW else fault


async def run_fault(
    stack: shoppers.StackLike, fault: Fault, kind: str = KILL, share: float = 1.0, seed: int = 7
) -> FaultResult:
    """One conversation through a crash, a SIGSTOP freeze or a slowdown (to `share` of its speed) of a process."""
    import random

    order = pick_order(stack.demo_orders, fault.order_status, random.Random(seed)) if fault.order_status else None
    before = fill(fault.before, order)
    (during,) = fill((fault.during,), order)
    down_texts, after_expect = fill(fault.clear_answer, order), fill(fault.after_expect, order)
    # A slow backend may still answer in time, a full disk may still take the turn: then the normal
    # answer is the right one.
    normal = after_expect if kind == SLOW else fill(fault.normal_answer, order)
    clear_texts = [*down_texts, *normal]
    transcript = shoppers.Transcript("rest", f"{fault.process} fault")
    timeout = aiohttp.ClientTimeout(total=shoppers.TURN_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as http, shoppers.shopper("rest", http, stack) as who:
        for text in before:
            await shoppers.timed_turn(who, text, transcript)
        faulted_at = time.monotonic()
        async with faulted(stack, fault.process, kind, share) as pid:
            turn = await shoppers.timed_turn(who, during, transcript, clear_texts)
            turn.untracked = True  # e.g. the guard's apology: sent by the channel, not stored as a bot event
        answer = " ".join(turn.replies) or (turn.error or "")
        if fault.process == "rasa" and kind == KILL:  # the shopper's client learns at once that it is unreachable
            clear = bool(turn.error) and "Connect" in turn.error
            transcript.turns.pop()  # never reached Rasa: not expected in the tracker
        else:
            clear = turn.error is None
        answered_normally = kind in (SLOW, FULL) and turn.error is None and not any(t in answer for t in down_texts)
        if fault.process in STORE_FAULTS or (kind == FULL and not answered_normally):
            transcript.turns.pop()  # could not be stored; sent again below (stored twice would show)
        after = fill(fault.after_answered if answered_normally and fault.after_answered else fault.after, order)
        restart_s = None
        if fault.process in STORE_FAULTS:
            await asyncio.to_thread(store_server(stack, fault.process).start)
            restart_s = time.monotonic() - faulted_at
        elif kind == KILL and await wait_restarted(stack, fault.process, pid) is not None:
            restart_s = time.monotonic() - faulted_at  # from the kill, not from the answer
        last = None
        for text in after:
            last = await shoppers.timed_turn(who, text, transcript)
        continued = (
            last is not None
            and last.error is None
            and any(e.lower() in " ".join(last.replies).lower() for e in after_expect)
        )
        checked, problems = await shoppers.check_all(http, stack, [transcript])
        if not continued:
            problems.append(f"last answer: {(' '.join(last.replies) or last.error) if last else None!r}")
    return FaultResult(
        fault.process,
        fault_name(kind, share),
        turn.latency_ms,
        answer[:160],
        clear,
        restart_s,
        continued,
        checked,
        "; ".join(problems)[:300],
    )


async def run_call_fault(stack: shoppers.StackLike) -> FaultResult:
    """kill -9 of the voice gateway in the middle of a phone call.

    Nothing of ours can speak once the gateway is gone: what is checked is that the line drops at once
    (the phone provider then ends the call; the browser page says the call ended), that the supervisor
    starts the gateway again, that the caller who calls back is answered, and that the broken call's
    turn stays stored, once."""
    from speech.synthesis import load_synthesizer
    from tests.voice.conftest import utterance
    from tools.phone_client import PhoneCall

    question, rate = await asyncio.to_thread(utterance, load_synthesizer("piper"), CALL_QUESTION)
    url = f"ws://127.0.0.1:{service_env(stack)['VOICE_PORT']}/voice/stream"
    token = stack.secrets["VOICE_GATEWAY_TOKEN"]

    async def asked(call: PhoneCall) -> bool:
        """Greeted, then the question answered (the reply's audio, not its words: no recogniser here)."""
        greeting = await call.wait_reply(0.0, timeout_s=30, settle_s=1.5)
        said = await call.say(question, rate)
        return bool(greeting.frames) and bool((await call.wait_reply(said, timeout_s=60, settle_s=1.5)).frames)

    broken = await PhoneCall(url, token=token).connect()
    answered_before = await asked(broken)
    killed_at = time.monotonic()
    pid = await crash(stack, "voice")
    while broken.closed is None and time.monotonic() - killed_at < 10:
        await asyncio.sleep(0.01)
    dropped_after_ms = (time.monotonic() - killed_at) * 1000
    dropped = broken.closed is not None
    await broken.close(stop=False)
    back = await wait_restarted(stack, "voice", pid)
    restart_s = time.monotonic() - killed_at if back is not None else None
    again = await PhoneCall(url, token=token).connect()
    try:
        continued = await asked(again)
    finally:
        await again.close()
    async with aiohttp.ClientSession() as http:
        stored = shoppers.user_texts(await shoppers.stored_tracker(http, stack, f"voice-{broken.call_sid}"))
    lost = {"user_lost": int(len(stored) < 1), "user_duplicated": max(len(stored) - 1, 0)}
    notes = "" if answered_before else "the question before the crash got no answer"
    return FaultResult(
        "voice (a call)",
        CALL_DROPPED,
        dropped_after_ms,
        "the line dropped" if dropped else "the line stayed open",
        dropped and answered_before,
        restart_s,
        continued,
        lost,
        notes,
    )


def markdown(results: list[FaultResult]) -> str:
    lines = [
        "| process | fault | shopper's answer after | clear answer | back up after | conversation went on | "
        "messages lost/dup/reordered | held |",
        "|---|---|---:|---|---:|---|---:|---|",
    ]
    for r in results:
        crashed = r.fault in (KILL, CALL_DROPPED)
        back = f"{r.restart_s:.1f} s" if r.restart_s is not None else ("no" if crashed else "(resumed)")
        answer = r.answer.replace("|", "/").replace("\n", " ")[:70]
        lines.append(
            f"| {r.process} | {r.fault} | {r.answer_ms / 1000:.2f} s | {'yes' if r.clear else 'NO'}: {answer} | {back} "
            f"| {'yes' if r.continued else 'NO'} | {sum(r.tracker.values())} | {'yes' if r.held() else 'NO'} |"
        )
    return "\n".join(lines)


async def run_all(
    stack: shoppers.StackLike,
    processes: list[str],
    freezes: list[str],
    slows: list[str],
    stores: Sequence[str] = (),
    full_disk: bool = False,
    call: bool = False,
) -> list[FaultResult]:
    runs = [(FAULTS[p], KILL, 1.0) for p in processes] + [(STORE_FAULTS[s], KILL, 1.0) for s in stores]
    runs += [(BACKEND_FAULTS[p], FREEZE, 0.0) for p in freezes]
    runs += [(DISK_FAULT, FULL, 0.0)] if full_disk else []
    runs += [(BACKEND_FAULTS[p], SLOW, share) for p in slows for share in SLOW_SHARES]
    results: list[FaultResult] = []

    def report(result: FaultResult) -> None:
        results.append(result)
        print(markdown([result]).splitlines()[-1], flush=True)
        if result.notes:
            print(f"<!-- {result.process}, {result.fault}: {result.notes} -->", flush=True)

    for fault, kind, share in runs:
        report(await run_fault(stack, fault, kind, share))
    if call:
        report(await run_call_fault(stack))
    return results


def main(argv: list[str] | None = None) -> int:
    from benchmarks.stacks import add_stack_options, attached_stack, started_stack

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_stack_options(parser)
    parser.add_argument("--only", nargs="*", choices=sorted(FAULTS), help="kill only these processes")
    parser.add_argument("--freeze", nargs="*", choices=sorted(BACKEND_FAULTS), default=sorted(BACKEND_FAULTS))
    parser.add_argument("--slow", nargs="*", choices=sorted(BACKEND_FAULTS), default=sorted(BACKEND_FAULTS))
    parser.add_argument(
        "--stores", nargs="*", choices=sorted(STORE_FAULTS), default=[], help="with --start postgres: kill these too"
    )
    parser.add_argument(
        "--full-disk",
        metavar="SIZE",
        help="with --start: the state directory on a tmpfs of SIZE (e.g. 512M; needs root), filled up for one turn",
    )
    parser.add_argument("--call", action="store_true", help="also kill the voice gateway in the middle of a phone call")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.full_disk and not args.start:
        parser.error("--full-disk needs --start (the state directory is mounted before the stack starts)")
    if args.stores and args.start != "postgres":
        parser.error("--stores needs --start postgres (the stores' servers are started by this command)")
    processes = args.only if args.only is not None else list(FAULTS)
    print(
        f"# faults, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, "
        f"{os.cpu_count()} cores, stores: {args.start or 'running stack'}",
        flush=True,
    )
    print(markdown([]), flush=True)
    if args.start:
        with started_stack(args.start, args.base_port, var_size=args.full_disk) as stack:
            faults = (processes, args.freeze, args.slow, args.stores, bool(args.full_disk), args.call)
            results = asyncio.run(run_all(stack, *faults))
    else:
        attached = attached_stack(args.var, args.rasa_url)
        results = asyncio.run(run_all(attached, processes, args.freeze, args.slow, call=args.call))
    if args.json:
        import json

        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    return 0 if all(r.held() for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
