"""The price-learning replay on a synthetic market (no data needed): the bandit finds the discount a
very elastic group pays back, leaves an inelastic one alone, and never breaks a bound."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks import price_learning


def market(elastic: float, inelastic: float) -> price_learning.Market:
    return price_learning.Market(
        truth={("A", "new"): elastic, ("B", "new"): inelastic},
        prior={"A": -2.11, "B": -2.11},  # the same neutral prior: the data must tell them apart
        visits=[("A", "new", 10.0), ("B", "new", 10.0)],
    )


def test_the_bandit_learns_which_group_a_discount_pays_in_and_stays_in_bounds() -> None:
    result = price_learning.simulate(market(-4.0, -0.5), 12_000, 60, 0.1, 0.45, seed=3)
    assert sum(result.violations.values()) == 0
    # At a 45% unit cost, 20% off pays in group A (elasticity -4) and costs margin in B (-0.5).
    assert result.learned.margin > result.rules.margin
    assert result.learned.margin > result.static[result.best_level].margin
    assert result.learned.margin <= result.per_arm_set_best.margin * 1.05


def test_with_no_elastic_group_the_bandit_gives_little_away() -> None:
    result = price_learning.simulate(market(-0.5, -0.5), 12_000, 60, 0.1, 0.45, seed=3)
    assert sum(result.violations.values()) == 0
    assert result.best_level == 0
    assert result.learned.price_share / 12_000 > 0.93  # close to the catalogue price
