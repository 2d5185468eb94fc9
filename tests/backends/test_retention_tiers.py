"""Risk × value → retention tier (backends/retention/tiers.py) and its settings."""

from __future__ import annotations

import pytest

from backends.retention.settings import Settings
from backends.retention.tiers import HIGH, LOW, MEDIUM, TierThresholds, tier
from settings_kit.settings import InvalidSetting

THRESHOLDS = TierThresholds(high_risk=0.6, medium_risk=0.3, valuable=200.0)


@pytest.mark.parametrize(
    ("risk", "value", "expected"),
    [
        (0.9, 1000.0, HIGH),
        (0.6, 200.0, HIGH),  # thresholds are inclusive
        (0.9, 199.99, MEDIUM),  # risky but worth little: no big offer
        (0.45, 5000.0, MEDIUM),
        (0.3, 0.0, MEDIUM),
        (0.29, 5000.0, LOW),
        (0.0, 0.0, LOW),
    ],
)
def test_tier(risk: float, value: float, expected: str) -> None:
    assert tier(risk, value, THRESHOLDS) == expected


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError):
        TierThresholds(high_risk=0.2, medium_risk=0.5)
    with pytest.raises(ValueError):
        TierThresholds(valuable=-1)


def test_settings_from_environment() -> None:
    settings = Settings.from_env({"RETENTION_HIGH_RISK": "0.7", "RETENTION_VALUABLE": "500"})
    assert settings.thresholds == TierThresholds(high_risk=0.7, medium_risk=0.3, valuable=500.0)
    assert Settings.from_env({}).offer_uplift == 0.1


@pytest.mark.parametrize(
    "env",
    [{"RETENTION_HIGH_RISK": "1.5"}, {"RETENTION_MEDIUM_RISK": "0.8", "RETENTION_HIGH_RISK": "0.5"}],
)
def test_bad_settings_name_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(InvalidSetting, match="RETENTION_"):
        Settings.from_env(env)
