"""Command line: which bots to measure, with which scripts and options; prints the table, writes JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks import process_memory, starter_bot, turn_latency
from benchmarks.turn_latency.measurement import (
    Options,
    run_target,
)
from benchmarks.turn_latency.report import describe, render_table
from benchmarks.turn_latency.runner import Target
from benchmarks.turn_latency.scenario import (
    DEFAULT_ORDERS,
    SCRIPT_DIR,
    Order,
    load_orders,
    load_script,
)


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
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.turn_latency",
        description=turn_latency.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
