"""Offline replay of the price learner on UCI Online Retail: the bandit vs the best single static
discount vs today's rules, side by side in one run, with the guardrail violations counted (must be 0).

    .venv-services/bin/python benchmarks/price_learning.py              # quick: 20,000 shopper visits
    .venv-services/bin/python benchmarks/price_learning.py --visits 200000 --days 90   # full size

1. Demand model from the data. Products are grouped by a keyword of their description (BAG, MUG,
   CANDLE...; the data has no categories). Customers are put in the tiers a shop would assign from
   loyalty (weeks with a purchase: >= 10 vip, 3-9 regular, else new), never from country or any
   protected attribute. Per (group, tier) the elasticity is a pooled within-product fit of log weekly
   quantity on log weekly median price (backends/pricing/elasticity.py's cleaning and weekly series),
   clipped to [-4, -0.3]; groups or tiers with too little price variation use the group's fit.
2. Shoppers: each visit draws a (group, tier, product) with the data's line shares; the product's
   median price is the catalogue price. A shopper offered price p buys with chance
   base_chance · (p / catalogue)^elasticity (--base-chance, 0.08: the data has no page views, so this
   is an assumption). The same uniform draw per visit decides the purchase under every policy
   (common random numbers), so the policies are compared on identical shoppers.
3. Policies, all on top of today's tier discounts (new 0 %, regular 5 %, vip 10 %, the demo seed):
   `rules` (nothing more), `static d%` for every discount level (the best one in hindsight is reported),
   and `bandit` (backends/pricing/learning/bandit.py, the service's code) with priors from the
   elasticity fitted on the first half of the year per group only, the default settings (levels 0-20 %,
   step 5 points, 60 min between moves, 10 % minimum margin, unit cost 60 % of the catalogue price)
   and a floor at 65 % of the catalogue price.
4. Every bandit price is checked again here, independently: floor, largest discount, minimum margin,
   move interval and step. The count of violations is printed and must be 0.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from backends.pricing import elasticity  # noqa: E402 - after the path setup
from backends.pricing.learning import bandit  # noqa: E402
from backends.pricing.learning.settings import LearnerSettings  # noqa: E402
from backends.pricing.rules import cents  # noqa: E402

DATA = REPO_ROOT.parent / "shared" / "data" / "online_retail" / "online_retail_all.csv.gz"
KEYWORDS = ("BAG", "CANDLE", "MUG", "CARD", "BOX", "SIGN", "LIGHT", "CAKE", "HEART", "CHRISTMAS", "BOTTLE", "CUSHION")
TIER_DISCOUNT = {"new": Decimal(0), "regular": Decimal(5), "vip": Decimal(10)}
HALF_YEAR = (2011, 22)  # ISO week: the prior is fitted on weeks before it
ELASTICITY_RANGE = (-4.0, -0.3)
FLOOR_SHARE = Decimal("0.65")
START = datetime(2026, 1, 1)


def group_of(description: str) -> str:
    words = set(description.upper().replace(",", " ").split())
    return next((k for k in KEYWORDS if k in words or k + "S" in words), "OTHER")


def tier_of(weeks: int) -> str:
    return "vip" if weeks >= 10 else "regular" if weeks >= 3 else "new"


def pooled_elasticity(lines: Iterable[elasticity.Line]) -> float | None:
    """Within-product slope of log weekly quantity on log weekly median price, pooled over products."""
    series, _, _ = elasticity.weekly(lines)
    xs, ys = [], []
    for points in series.values():
        if len(points) < 4:
            continue
        q = np.log([p[0] for p in points])
        x = np.log([p[1] for p in points])
        if float(np.std(x)) < 0.02:
            continue
        xs.append(x - x.mean())
        ys.append(q - q.mean())
    if not xs:
        return None
    x, y = np.concatenate(xs), np.concatenate(ys)
    return float((x * y).sum() / (x * x).sum())


def clip(value: float | None, fallback: float) -> float:
    low, high = ELASTICITY_RANGE
    return min(max(fallback if value is None else value, low), high)


@dataclass
class Market:
    truth: dict[tuple[str, str], float]  # (group, tier) -> elasticity
    prior: dict[str, float]  # group -> elasticity, first half of the year
    visits: list[tuple[str, str, float]]  # (group, tier, catalogue price) with the data's shares
    raw: dict[tuple[str, str], float | None] = field(default_factory=dict)


def build_market(path: Path) -> Market:
    with elasticity.open_text(path) as handle:
        lines = list(elasticity.clean_lines(csv.DictReader(handle)))
    weeks: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for line in lines:
        weeks[line.customer].add(line.week)
    tiers = {customer: tier_of(len(w)) for customer, w in weeks.items()}
    by_group: dict[str, list[elasticity.Line]] = defaultdict(list)
    for line in lines:
        by_group[group_of(line.description)].append(line)
    truth, prior, raw = {}, {}, {}
    median = -2.11
    for group, group_lines in by_group.items():
        whole = pooled_elasticity(group_lines)
        prior[group] = clip(pooled_elasticity(x for x in group_lines if x.week < HALF_YEAR), median)
        for tier in TIER_DISCOUNT:
            fit = pooled_elasticity(x for x in group_lines if tiers[x.customer] == tier)
            raw[(group, tier)] = fit
            truth[(group, tier)] = clip(fit, clip(whole, median))
    product_price: dict[str, list[float]] = defaultdict(list)
    for line in lines:
        product_price[line.code].append(line.price)
    medians = {code: float(np.median(p)) for code, p in product_price.items()}
    visits = [(group_of(x.description), tiers[x.customer], medians[x.code]) for x in lines]
    return Market(truth, prior, visits, raw)


@dataclass
class Tally:
    revenue: float = 0.0
    margin: float = 0.0
    purchases: int = 0
    price_share: float = 0.0  # sum of final price / catalogue price
    by_tier: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, tier: str, price: float, base: float, bought: bool, cost: float) -> None:
        self.price_share += price / base
        self.by_tier[tier].append(price / base)
        if bought:
            self.purchases += 1
            self.revenue += price
            self.margin += price - cost


@dataclass
class ArmSetState:
    arms: list[bandit.Arm]
    current: bandit.CurrentOffer = field(default_factory=bandit.CurrentOffer)


@dataclass
class Result:
    rules: Tally
    static: dict[Decimal, Tally]
    best_level: Decimal
    learned: Tally
    violations: Counter[str]
    arm_sets: int
    per_arm_set_best: Tally  # the best static discount per arm set, chosen in hindsight: the upside


def simulate(market: Market, visits: int, days: float, base_chance: float, cost_ratio: float, seed: int) -> Result:
    settings = LearnerSettings(enabled=True, unit_cost_ratio=Decimal(str(cost_ratio)))
    rng = random.Random(seed)
    sample = [market.visits[rng.randrange(len(market.visits))] for _ in range(visits)]
    draws = [rng.random() for _ in range(visits)]
    spacing = timedelta(days=days) / visits
    levels = settings.arms
    static = {level: Tally() for level in levels}
    per_set: dict[tuple[str, str], dict[Decimal, Tally]] = defaultdict(lambda: {level: Tally() for level in levels})
    rules_tally, learned = Tally(), Tally()
    states: dict[tuple[str, str], ArmSetState] = {}
    moves: dict[tuple[str, str], datetime] = {}
    violations: Counter[str] = Counter()
    sampler = random.Random(seed + 1)
    for i, ((group, tier, base_price), u) in enumerate(zip(sample, draws, strict=True)):
        now = START + spacing * i
        base = cents(Decimal(str(base_price)))
        if base <= 0:
            continue
        e = market.truth[(group, tier)]
        before = cents(base * (100 - TIER_DISCOUNT[tier]) / 100)
        cost = float(base) * cost_ratio

        def buys(price: Decimal, base: Decimal = base, e: float = e, u: float = u) -> bool:
            return u < min(base_chance * (float(price) / float(base)) ** e, 1.0)

        rules_tally.add(tier, float(before), float(base), buys(before), cost)
        key = (group, tier)
        for level, tally in static.items():
            price = bandit.arm_price(before, level)
            bought_at = buys(price)
            tally.add(tier, float(price), float(base), bought_at, cost)
            per_set[key][level].add(tier, float(price), float(base), bought_at, cost)
        state = states.get(key)
        if state is None:
            arms = bandit.prior_arms(levels, market.prior[group], settings.base_chance, settings.prior_strength)
            state = states[key] = ArmSetState(arms)
        floor = cents(base * FLOOR_SHARE)
        offer = bandit.choose(
            state.arms,
            price_before=before,
            base_price=base,
            current=state.current,
            bounds=settings.bounds(floor),
            now=now,
            rng=sampler,
        )
        _check(offer, state.current, floor, base, settings, now, moves.get(key), violations)
        if offer.moved:
            state.current = bandit.CurrentOffer(offer.discount, now)
            moves[key] = now
        bought = buys(offer.price)
        learned.add(tier, float(offer.price), float(base), bought, cost)
        state.arms = [a.updated(bought) if a.discount == offer.discount else a for a in state.arms]
    best_level = max(static, key=lambda level: static[level].margin)
    oracle = Tally()
    for tallies in per_set.values():
        best = max(tallies.values(), key=lambda t: t.margin)
        oracle.revenue += best.revenue
        oracle.margin += best.margin
        oracle.purchases += best.purchases
        oracle.price_share += best.price_share
    return Result(rules_tally, static, best_level, learned, violations, len(states), oracle)


def _check(
    offer: bandit.Offer,
    current: bandit.CurrentOffer,
    floor: Decimal,
    base: Decimal,
    settings: LearnerSettings,
    now: datetime,
    last_move: datetime | None,
    violations: Counter[str],
) -> None:
    """The bounds, checked from scratch (not with the bandit's own functions)."""
    if offer.discount > 0:
        if offer.price < floor:
            violations["floor"] += 1
        if offer.discount > settings.max_discount_percent:
            violations["max discount"] += 1
        if offer.price - base * settings.unit_cost_ratio < offer.price * settings.min_margin_percent / 100:
            violations["minimum margin"] += 1
    if offer.discount != current.discount:
        if last_move is not None and now - last_move < settings.min_move_interval:
            violations["move interval"] += 1
        if abs(offer.discount - current.discount) > settings.max_step_percent:
            violations["move step"] += 1


def report(market: Market, result: Result, visits: int, cost_ratio: float, seconds: float) -> str:
    rules_t, static, best, learned = result.rules, result.static, result.best_level, result.learned
    violations = result.violations
    rows = [("today's rules (tier discounts)", rules_t), (f"best static discount ({best}% on top)", static[best])]
    rows.append(("Thompson-sampling bandit", learned))
    rows.append(("(upside: best static discount per arm set, in hindsight)", result.per_arm_set_best))
    lines = [
        f"visits: {visits:,}; arm sets (group x tier): {result.arm_sets}; unit cost {cost_ratio:.0%} of the "
        f"catalogue price; run {seconds:.1f} s",
        "",
        "| policy | revenue | margin | purchases | mean price / catalogue | margin vs rules |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, tally in rows:
        lines.append(
            f"| {name} | {tally.revenue:,.0f} | {tally.margin:,.0f} | {tally.purchases:,} | "
            f"{tally.price_share / visits:.3f} | {tally.margin / rules_t.margin - 1:+.1%} |"
        )
    lines += [
        "",
        "static discounts (margin): " + ", ".join(f"{lvl}%: {t.margin:,.0f}" for lvl, t in static.items()),
        "guardrail violations (floor, max discount, minimum margin, move interval, move step): "
        f"{sum(violations.values())}" + (f" {dict(violations)}" if violations else ""),
        "",
        "mean final price / catalogue price by tier (fairness view):",
    ]
    for tier in TIER_DISCOUNT:
        lines.append(
            f"  {tier:<8} rules {np.mean(rules_t.by_tier[tier]):.3f}  bandit {np.mean(learned.by_tier[tier]):.3f}"
            f"  visits {len(learned.by_tier[tier]):,}"
        )
    truth = sorted(market.truth.items())
    lines += ["", "elasticity per (group, tier) used by the simulator (clipped fit; prior per group, 1st half):"]
    for (group, tier), value in truth:
        raw = market.raw.get((group, tier))
        shown = "  n/a" if raw is None else f"{raw:5.2f}"
        lines.append(f"  {group:<9} {tier:<8} {value:5.2f} (fit {shown}; prior {market.prior[group]:5.2f})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Replay the price learner against static discounts and the rules.")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--visits", type=int, default=20_000, help="shopper visits (full size: 200000)")
    parser.add_argument("--days", type=float, default=30, help="simulated days the visits spread over")
    parser.add_argument("--base-chance", type=float, default=0.08, help="purchase chance at the catalogue price")
    parser.add_argument(
        "--cost-ratio", type=float, default=0.6, help="unit cost / catalogue price (no costs in the data)"
    )
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    if not args.data.exists():
        parser.error(f"{args.data} does not exist (the data lives in ../shared/data)")
    started = time.perf_counter()
    market = build_market(args.data)
    result = simulate(market, args.visits, args.days, args.base_chance, args.cost_ratio, args.seed)
    print(report(market, result, args.visits, args.cost_ratio, time.perf_counter() - started))


if __name__ == "__main__":
    main()
