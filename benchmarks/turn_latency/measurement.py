"""One target measured: the runs, CPU per turn, memory (peak RSS while running, RSS/PSS/USS at the end)."""

from __future__ import annotations

import asyncio
import os
import random
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp

from benchmarks import process_memory
from benchmarks.turn_latency.runner import Runner, Target, TurnResult
from benchmarks.turn_latency.scenario import (
    Order,
)
from benchmarks.turn_latency.stats import latency_stats

BACKEND_P95_TARGET_MS = 150.0


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
