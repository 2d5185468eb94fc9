"""Retention tier from churn risk × value at stake: what the assistant does differs per tier.

high:   likely to leave and worth keeping → a person sooner, a larger goodwill offer when upset;
medium: at some risk → a personal recommendation follow-up (within frequency caps and consent);
low:    nothing special.
A risky customer worth little is medium, not high: a bigger offer would cost more than it saves.
"""

from __future__ import annotations

from dataclasses import dataclass

HIGH, MEDIUM, LOW = "high", "medium", "low"
TIERS = (HIGH, MEDIUM, LOW)


@dataclass(frozen=True)
class TierThresholds:
    high_risk: float = 0.6
    medium_risk: float = 0.3
    valuable: float = 200.0  # value at stake (a year at the customer's pace) that makes a customer valuable

    def __post_init__(self) -> None:
        if not 0.0 <= self.medium_risk <= self.high_risk <= 1.0:
            raise ValueError("need 0 <= medium_risk <= high_risk <= 1")
        if self.valuable < 0:
            raise ValueError("valuable must not be negative")


def tier(risk: float, value: float, thresholds: TierThresholds) -> str:
    if risk >= thresholds.high_risk and value >= thresholds.valuable:
        return HIGH
    if risk >= thresholds.medium_risk:
        return MEDIUM
    return LOW
