"""Load and soak: N concurrent shoppers for T minutes, then every conversation checked against its tracker.

Shoppers are spread over the REST, socket.io and app channels; each plays the conversations of
benchmarks/conversations/reliability.yml (order lookups and product questions) one after the
other, with exponential think times, until the time is up. Reported: turns, failed turns,
p50/p95/p99 turn latency per channel, lost / duplicated / reordered messages (against the trackers
Rasa stored, via its HTTP API), supervisor restarts, and RSS of every process (first, last, peak,
growth). Exit code 1 when a turn failed, a message was lost, duplicated or reordered, or a process
was restarted.

    # a throwaway stack of its own (default stores: SQLite), the documented full run:
    .venv-services/bin/python benchmarks/soak.py --start default --conversations 100 --minutes 10
    # the same on PostgreSQL (tracker store, orders) + Redis (lock store):
    .venv-services/bin/python benchmarks/soak.py --start postgres --conversations 100 --minutes 10
    # against a stack already running (`launcher start`), its var/ for secrets and pid files:
    .venv-services/bin/python benchmarks/soak.py --var var --conversations 20 --minutes 1

The CI version is tests/reliability/test_soak.py (10 shoppers for 45 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import shoppers  # noqa: E402
from benchmarks.stacks import add_stack_options, attached_stack, started_stack  # noqa: E402
from benchmarks.turn_latency.scenario import plan_conversations  # noqa: E402
from benchmarks.turn_latency.stats import latency_stats, think_time  # noqa: E402


@dataclass
class SoakReport:
    shoppers: int
    seconds: float
    conversations: int = 0
    turns: int = 0
    failed_turns: int = 0
    latency_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    tracker_check: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    restarts: dict[str, int] = field(default_factory=dict)
    rss: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def messages_lost_duplicated_or_reordered(self) -> int:
        return sum(v for k, v in self.tracker_check.items() if k != "no_sender")

    def ok(self) -> bool:
        return not (self.failed_turns or self.messages_lost_duplicated_or_reordered or any(self.restarts.values()))


def supervisor_restarts(stack: shoppers.StackLike) -> dict[str, int]:
    path = stack.var / "run" / "supervisor.json"
    if not path.exists():
        return {}
    services = json.loads(path.read_text()).get("services", {})
    return {name: int(state.get("restarts", 0)) for name, state in services.items()}


async def soak(
    stack: shoppers.StackLike,
    n_shoppers: int,
    duration_s: float,
    think_mean_s: float = 3.0,
    seed: int = 42,
    channels: tuple[str, ...] = shoppers.CHANNELS,
    rss_interval_s: float = 5.0,
) -> SoakReport:
    scripts = {channel: shoppers.load_conversations() for channel in channels}
    if "app" in scripts:
        scripts["app"] = shoppers.load_conversations(shoppers.APP_SCRIPT)
    # Each app customer has one conversation for ever: a customer is logged in for one conversation per
    # run, so its tracker holds exactly that conversation (once all are used, app shoppers ask about products).
    used_customers: set[str] = set()
    restarts_before = supervisor_restarts(stack)
    transcripts: list[shoppers.Transcript] = []
    timeout = aiohttp.ClientTimeout(total=shoppers.TURN_TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        # Warm-up, not measured: each conversation once over REST (first answers load models and caches).
        await shoppers.play_each_once(scripts[channels[0]], channels[0], http, stack, random.Random(seed))
        started = time.perf_counter()
        deadline = started + duration_s

        async def shopper_loop(i: int) -> None:
            rng = random.Random(f"{seed}-{i}")
            channel = channels[i % len(channels)]
            await asyncio.sleep(rng.uniform(0, min(duration_s / 4, 10.0)))  # staggered arrivals
            while time.perf_counter() < deadline:
                conv = plan_conversations(scripts[channel], 1, rng)[0]
                logged_in = channel == "app"
                try:
                    conv, customer = shoppers.prepare(conv, stack, rng, used_customers if logged_in else None)
                except LookupError:  # every customer of such orders had their conversation: ask about products
                    conv = rng.choice([c for c in scripts[channel].conversations if not c.needs_order()])
                    customer = None
                if logged_in and customer:
                    used_customers.add(customer)
                transcripts.append(await shoppers.play(conv, channel, http, stack, think_mean_s, rng, customer))
                await asyncio.sleep(think_time(think_mean_s, rng))

        async with shoppers.RssSampler(stack.var / "run", rss_interval_s) as rss:
            await asyncio.gather(*(shopper_loop(i) for i in range(n_shoppers)))
        seconds = time.perf_counter() - started
        checked, problems = await shoppers.check_all(http, stack, transcripts)
    report = SoakReport(n_shoppers, seconds, conversations=len(transcripts), tracker_check=checked, problems=problems)
    report.rss = rss.report()
    after = supervisor_restarts(stack)
    report.restarts = {name: after.get(name, 0) - restarts_before.get(name, 0) for name in after}
    for channel in (*channels, "all"):
        turns = [t for tr in transcripts if channel in (tr.channel, "all") for t in tr.turns]
        ok = [t.latency_ms for t in turns if not t.error]
        report.latency_ms[channel] = {"turns": len(turns), **latency_stats(ok)}
    all_turns = [t for tr in transcripts for t in tr.turns]
    report.turns = len(all_turns)
    report.failed_turns = sum(1 for t in all_turns if t.error)
    report.failures = [f"{tr.channel} {tr.sender} {t.text!r}: {t.error}" for tr in transcripts for t in tr.failed_turns]
    return report


def markdown(report: SoakReport) -> str:
    lines = [
        f"{report.shoppers} shoppers for {report.seconds:.0f} s: {report.conversations} conversations, "
        f"{report.turns} turns, {report.failed_turns} failed",
        "",
        "| channel | turns | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for channel, stats in report.latency_ms.items():
        lines.append(
            f"| {channel} | {stats['turns']} | {stats['p50']:.0f} | {stats['p95']:.0f} | {stats['p99']:.0f} "
            f"| {stats['max']:.0f} |"
        )
    lines += ["", "messages checked against the stored trackers: " + json.dumps(report.tracker_check)]
    lines += ["supervisor restarts during the run: " + json.dumps({k: v for k, v in report.restarts.items() if v})]
    lines += [
        "",
        "| process | RSS first MiB | half-time MiB | last MiB | peak MiB | growth MiB | growth % | second half MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rss in report.rss.items():
        lines.append(
            f"| {name} | {rss['first_mib']:.0f} | {rss['half_mib']:.0f} | {rss['last_mib']:.0f} "
            f"| {rss['peak_mib']:.0f} | {rss['growth_mib']:+.0f} | {rss['growth_pct']:+.1f} "
            f"| {rss['second_half_growth_mib']:+.0f} |"
        )
    for title, items in (("failed turns", report.failures), ("tracker mismatches", report.problems)):
        if items:
            lines += ["", f"{title} (first 20 of {len(items)}):", *(f"- {item}" for item in items[:20])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_stack_options(parser)
    parser.add_argument("--conversations", type=int, default=100, help="concurrent shoppers")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--think-mean", type=float, default=3.0, help="mean pause between turns, seconds")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    args = parser.parse_args(argv)

    def measure(stack: Any) -> SoakReport:
        return asyncio.run(soak(stack, args.conversations, args.minutes * 60, args.think_mean, args.seed))

    print(
        f"# soak, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, "
        f"{platform.processor() or platform.machine()}, stores: {args.start or 'running stack'}",
        flush=True,
    )
    if args.start:
        with started_stack(args.start, args.base_port) as stack:
            report = measure(stack)
    else:
        report = measure(attached_stack(args.var, args.rasa_url))
    print(markdown(report))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=1))
    return 0 if report.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
