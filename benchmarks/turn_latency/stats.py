"""Percentiles, Poisson arrivals and think times: the statistics of the load and of its latencies."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence


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
