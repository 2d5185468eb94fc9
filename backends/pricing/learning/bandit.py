"""Thompson sampling over discount levels for one arm set (a product group × a customer segment).

Each arm is a discount level with a Beta posterior over the chance that a shopper offered it buys.
The prior comes from the elasticity estimate: with elasticity e and a purchase chance p0 at the
undiscounted price, a discount d is expected to sell with p0 · (1 − d)^e, worth `strength` pseudo
offers. A decision samples every arm's posterior, values it as sampled chance × unit margin, and
takes the best arm that breaks no bound:

- price bounds (the pricing guardrails): at most `max_discount_percent`, never below the floor price,
  never under `min_margin_percent` margin over the unit cost;
- move bounds: the offer of an arm set changes at most every `min_move_interval`, and by at most
  `max_step_percent` points at a time.

Pure: no database, no clock, no randomness of its own (the caller passes a `random.Random`), so the
bounds can be tested exhaustively and the offline benchmark runs the same code as the service.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from backends.pricing.rules import HUNDRED, cents, fmt_money, fmt_percent

MIN_CHANCE, MAX_CHANCE = 0.001, 0.95


@dataclass(frozen=True)
class Arm:
    """One discount level and its Beta(alpha, beta) posterior of the purchase chance."""

    discount: Decimal
    alpha: float
    beta: float
    offers: int = 0
    purchases: int = 0

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def sd(self) -> float:
        total = self.alpha + self.beta
        return math.sqrt(self.alpha * self.beta / (total * total * (total + 1)))

    def updated(self, bought: bool) -> Arm:
        """The posterior after one outcome."""
        return Arm(
            self.discount,
            self.alpha + (1 if bought else 0),
            self.beta + (0 if bought else 1),
            self.offers,
            self.purchases + (1 if bought else 0),
        )


def prior_chance(discount: Decimal, elasticity: float, base_chance: float) -> float:
    """The purchase chance the elasticity estimate expects at this discount."""
    factor = float(1 - discount / HUNDRED)
    return min(max(base_chance * factor**elasticity, MIN_CHANCE), MAX_CHANCE)


def prior_arms(discounts: Sequence[Decimal], elasticity: float, base_chance: float, strength: float) -> list[Arm]:
    """Arms whose posteriors start at the elasticity estimate, as strong as `strength` offers."""
    arms = []
    for discount in discounts:
        chance = prior_chance(discount, elasticity, base_chance)
        arms.append(Arm(discount, chance * strength, (1 - chance) * strength))
    return arms


@dataclass(frozen=True)
class Bounds:
    """What a learned offer must respect (settings and the SKU's guardrails)."""

    max_discount_percent: Decimal
    min_margin_percent: Decimal
    unit_cost_ratio: Decimal  # unit cost as a share of the catalogue price
    max_step_percent: Decimal  # percentage points an offer may move at once
    min_move_interval: timedelta
    floor_price: Decimal | None = None


@dataclass(frozen=True)
class CurrentOffer:
    """The arm set's offer now, and when it last moved (None: never)."""

    discount: Decimal = Decimal(0)
    changed_at: datetime | None = None


@dataclass(frozen=True)
class ArmView:
    """One arm as the decision saw it: for the explanation and the audit."""

    discount: Decimal
    price: Decimal
    mean: float
    sd: float
    offers: int
    sample: float
    expected_margin: float
    excluded: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "discount": float(self.discount),
            "price": f"{self.price:.2f}",
            "mean": round(self.mean, 4),
            "sd": round(self.sd, 4),
            "offers": self.offers,
            "sample": round(self.sample, 4),
            "expected_margin": round(self.expected_margin, 4),
            "excluded": self.excluded,
        }


@dataclass(frozen=True)
class Offer:
    """The decision: the discount (0: no learned offer), its price, why, and what was considered."""

    discount: Decimal
    price: Decimal
    previous: Decimal
    arms: tuple[ArmView, ...]
    clipped: str | None  # the bound that stopped the best-sampled arm, if one did
    explanation: str

    @property
    def moved(self) -> bool:
        return self.discount != self.previous

    def as_json(self) -> dict[str, Any]:
        return {
            "discount": float(self.discount),
            "price": f"{self.price:.2f}",
            "previous_discount": float(self.previous),
            "clipped": self.clipped,
            "explanation": self.explanation,
            "arms": [arm.as_json() for arm in self.arms],
        }


def arm_price(price_before: Decimal, discount: Decimal) -> Decimal:
    return cents(price_before * (HUNDRED - discount) / HUNDRED)


def price_problem(
    discount: Decimal, price: Decimal, base_price: Decimal, bounds: Bounds, currency: str = "USD"
) -> str | None:
    """Which price bound this discount would break, or None. No discount breaks none: it leaves
    today's rules (and their own guardrails) in charge."""
    if discount == 0:
        return None
    if discount > bounds.max_discount_percent:
        return f"above the largest learned discount of {fmt_percent(bounds.max_discount_percent)}"
    if bounds.floor_price is not None and price < bounds.floor_price:
        return f"below the floor price of {fmt_money(bounds.floor_price, currency)}"
    cost = base_price * bounds.unit_cost_ratio
    if price - cost < price * bounds.min_margin_percent / HUNDRED:
        return f"under the minimum margin of {fmt_percent(bounds.min_margin_percent)}"
    return None


def move_problem(discount: Decimal, current: CurrentOffer, bounds: Bounds, now: datetime) -> str | None:
    """Which move bound going from the current offer to this discount would break, or None."""
    if discount == current.discount:
        return None
    if current.changed_at is not None and now - current.changed_at < bounds.min_move_interval:
        return f"the offer last moved less than {_duration(bounds.min_move_interval)} ago"
    if abs(discount - current.discount) > bounds.max_step_percent:
        return (
            f"more than {fmt_percent(bounds.max_step_percent)} points from the current {fmt_percent(current.discount)}"
        )
    return None


def choose(
    arms: Sequence[Arm],
    *,
    price_before: Decimal,
    base_price: Decimal,
    current: CurrentOffer,
    bounds: Bounds,
    now: datetime,
    rng: random.Random,
    currency: str = "USD",
) -> Offer:
    """Samples every arm, then takes the best one no bound excludes. If none is allowed (the current
    offer itself now breaks a price bound, e.g. a raised floor), the offer falls back to no learned
    discount: price bounds come before move bounds."""
    cost = float(base_price * bounds.unit_cost_ratio)
    views = []
    for arm in arms:
        price = arm_price(price_before, arm.discount)
        sample = rng.betavariate(arm.alpha, arm.beta)
        excluded = price_problem(arm.discount, price, base_price, bounds, currency) or move_problem(
            arm.discount, current, bounds, now
        )
        views.append(
            ArmView(arm.discount, price, arm.mean, arm.sd, arm.offers, sample, sample * (float(price) - cost), excluded)
        )
    allowed = [v for v in views if v.excluded is None]
    best_sampled = max(views, key=lambda v: v.expected_margin) if views else None
    clipped = None
    if allowed:
        chosen = max(allowed, key=lambda v: v.expected_margin)
        if best_sampled is not None and best_sampled is not chosen:
            clipped = f"{fmt_percent(best_sampled.discount)} sampled best but is {best_sampled.excluded}"
        discount, price = chosen.discount, chosen.price
    else:
        problem = price_problem(current.discount, arm_price(price_before, current.discount), base_price, bounds)
        clipped = f"no discount level allowed ({problem or 'none within the move limits'})"
        discount, price = Decimal(0), cents(price_before)
    return Offer(discount, price, current.discount, tuple(views), clipped, _explain(discount, views, clipped))


def _explain(discount: Decimal, views: Sequence[ArmView], clipped: str | None) -> str:
    chosen = next((v for v in views if v.discount == discount), None)
    what = f"{fmt_percent(discount)} off" if discount else "no learned discount"
    why = (
        f"Thompson sampling: sampled purchase chance {chosen.sample:.3f}, posterior "
        f"{chosen.mean:.3f} ± {chosen.sd:.3f} after {chosen.offers} offers"
        if chosen is not None
        else "fallback"
    )
    return f"learned offer: {what} ({why})" + (f"; {clipped}" if clipped else "")


def _duration(interval: timedelta) -> str:
    minutes = int(interval.total_seconds() // 60)
    if minutes and minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min" if minutes else f"{int(interval.total_seconds())} s"


class OfferPicker:
    """The hook `rules.decide` calls with the price before the learned offer: runs the bandit once
    and keeps its decision, so the caller can audit it and update the arm set's state."""

    def __init__(
        self,
        arms: Sequence[Arm],
        *,
        base_price: Decimal,
        current: CurrentOffer,
        bounds: Bounds,
        now: datetime,
        rng: random.Random,
        currency: str,
        label: str,
    ) -> None:
        self._arms, self._base, self._current, self._bounds = arms, base_price, current, bounds
        self._now, self._rng, self._currency, self._label = now, rng, currency, label
        self.offer: Offer | None = None

    def __call__(self, price_before: Decimal) -> tuple[Decimal, str] | None:
        """The learned price and its one-line explanation, or None for no learned discount."""
        self.offer = choose(
            self._arms,
            price_before=price_before,
            base_price=self._base,
            current=self._current,
            bounds=self._bounds,
            now=self._now,
            rng=self._rng,
            currency=self._currency,
        )
        if self.offer.discount == 0:
            return None
        return self.offer.price, f"Learned offer for {self._label}: {fmt_percent(self.offer.discount)} off"
