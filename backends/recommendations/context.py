"""Context rules: the time-of-day / weekday / season boost.

The rule is deliberately simple and documented (docs/recommendations-backend.md): an item whose
words match a rule that applies at request time gets its score multiplied by the rule's factor.
Rules stack multiplicatively. Months are for the northern hemisphere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


def season(moment: datetime) -> str:
    return {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring"}.get(
        moment.month, "summer" if moment.month in (6, 7, 8) else "autumn"
    )


@dataclass(frozen=True)
class BoostRule:
    name: str
    applies: Callable[[datetime], bool]
    keywords: frozenset[str]
    factor: float


BOOST_RULES: tuple[BoostRule, ...] = (
    BoostRule(
        "winter",
        lambda t: season(t) == "winter",
        frozenset({"winter", "down", "wool", "merino", "fleece", "jackets", "beanie", "sweater", "insulated"}),
        1.15,
    ),
    BoostRule(
        "summer",
        lambda t: season(t) == "summer",
        frozenset({"summer", "linen", "camping", "bottles", "tee", "shorts", "sandals", "dresses"}),
        1.15,
    ),
    BoostRule(
        "weekend outdoors", lambda t: t.weekday() >= 5, frozenset({"hiking", "camping", "outdoor", "trail"}), 1.1
    ),
    BoostRule("evening gadgets", lambda t: 18 <= t.hour < 23, frozenset({"electronics", "phones", "chargers"}), 1.05),
)


def boost_factor(keywords: frozenset[str], moment: datetime, rules: tuple[BoostRule, ...] = BOOST_RULES) -> float:
    factor = 1.0
    for rule in rules:
        if rule.applies(moment) and keywords & rule.keywords:
            factor *= rule.factor
    return factor
