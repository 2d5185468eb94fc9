"""A/B testing: deterministic variant assignment and the report's statistics.

Assignment hashes (experiment, customer) so a shopper sees the same variant on every request and
every process without storing anything; changing the experiment name reshuffles everyone.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Z95 = 1.959964


@dataclass(frozen=True)
class Variant:
    """An algorithm configuration: hybrid weights per component and a traffic share."""

    name: str
    weights: Mapping[str, float]
    share: float = 1.0


DEFAULT_VARIANTS: tuple[Variant, ...] = (
    Variant("hybrid", {"item_cf": 0.45, "user_cf": 0.2, "content": 0.2, "popularity": 0.15}, 0.5),
    Variant("item_cf", {"item_cf": 0.85, "popularity": 0.15}, 0.5),
)
# Cart-context components added to every variant (they only score when there is a cart).
CONTEXT_WEIGHTS: Mapping[str, float] = {"accessory": 0.5, "alternative": 0.3}


def bucket(experiment: str, unit: str) -> float:
    """A uniform number in [0, 1) fixed by the experiment name and the customer (or conversation) id."""
    digest = hashlib.sha256(f"{experiment}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(experiment: str, unit: str, variants: Sequence[Variant]) -> Variant:
    total = sum(v.share for v in variants)
    point, cumulative = bucket(experiment, unit) * total, 0.0
    for variant in variants:
        cumulative += variant.share
        if point < cumulative:
            return variant
    return variants[-1]


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval: sensible even at 0 or 100 % and small samples, unlike p ± z·se."""
    if trials == 0:
        return (0.0, 0.0)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def difference_interval(s1: int, n1: int, s2: int, n2: int, z: float = Z95) -> tuple[float, float]:
    """95 % Wald interval of rate2 - rate1 (variant minus control); excludes 0 → significant."""
    if n1 == 0 or n2 == 0:
        return (0.0, 0.0)
    p1, p2 = s1 / n1, s2 / n2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return (p2 - p1 - z * se, p2 - p1 + z * se)


@dataclass
class VariantResult:
    variant: str
    exposed: int
    converted: int
    rate: float = 0.0
    interval: tuple[float, float] = (0.0, 0.0)
    difference: tuple[float, float] | None = None  # vs the first (control) variant
    extra: dict[str, float] = field(default_factory=dict)


def report(counts: Mapping[str, tuple[int, int]], control: str | None = None) -> list[VariantResult]:
    """counts: variant -> (exposed shoppers, converted shoppers). Control = `control` or the first."""
    names = list(counts)
    if not names:
        return []
    baseline = control if control is not None and control in counts else names[0]
    c_conv, c_exp = counts[baseline][1], counts[baseline][0]
    results = []
    for name in names:
        exposed, converted = counts[name]
        result = VariantResult(name, exposed, converted, converted / exposed if exposed else 0.0)
        result.interval = wilson_interval(converted, exposed)
        if name != baseline:
            result.difference = difference_interval(c_conv, c_exp, converted, exposed)
        results.append(result)
    return results


def format_report(results: Sequence[VariantResult]) -> str:
    lines = [f"{'variant':<12} {'exposed':>8} {'converted':>9} {'rate':>7}  {'95% CI':<17} {'diff vs control 95% CI'}"]
    for r in results:
        ci = f"[{r.interval[0]:.3f}, {r.interval[1]:.3f}]"
        diff = "(control)" if r.difference is None else f"[{r.difference[0]:+.3f}, {r.difference[1]:+.3f}]"
        lines.append(f"{r.variant:<12} {r.exposed:>8} {r.converted:>9} {r.rate:>7.3f}  {ci:<17} {diff}")
    return "\n".join(lines)
