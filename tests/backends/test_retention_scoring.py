"""The churn model's bounds (backends/retention/scoring.py) and the re-scoring on a synthetic history."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import numpy as np
import pytest

from backends.retention import features as feat
from backends.retention.rescore import score_customers
from backends.retention.scoring import ChurnModel, ModelSettings, words
from backends.retention.seed import LEAVING, LOYAL, history
from backends.retention.settings import Settings
from backends.retention.tiers import TIERS

NOW = datetime(2026, 6, 1)


def training_data(count: int = 300, seed: int = 3) -> tuple[list[dict[str, float]], list[bool]]:
    """Churn here is driven by recency and by frustration: what the model must pick up."""
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(count):
        recency, frustration = rng.uniform(1, 300), rng.choice([0, 0, 0, 1, 3])
        events = [feat.Event("c", NOW - timedelta(days=recency + 30 * i), feat.PURCHASE, 40.0) for i in range(3)]
        events += [feat.Event("c", NOW - timedelta(days=2), feat.FRUSTRATION)] * frustration
        rows.append(feat.customer_features(events, NOW))
        labels.append(rng.random() < min(0.95, recency / 300 + 0.2 * frustration))
    return rows, labels


@pytest.fixture(scope="module")
def model() -> ChurnModel:
    rows, labels = training_data()
    return ChurnModel(ModelSettings(trees=80)).fit(rows, labels)


def test_risks_are_probabilities_and_follow_the_signal(model: ChurnModel) -> None:
    rows, labels = training_data(200, seed=11)
    risks = model.risks(rows)
    assert np.all((risks >= 0) & (risks <= 1))
    y = np.array(labels)
    assert risks[y].mean() > risks[~y].mean() + 0.1


def test_reasons_are_plain_words_for_what_raised_the_risk(model: ChurnModel) -> None:
    rows, _ = training_data(50, seed=5)
    riskiest = max(model.score(rows), key=lambda s: s.risk)
    assert 1 <= len(riskiest.reasons) <= 3
    known = set(feat.FEATURES.values()) | set(feat.LOW_VALUE_WORDS.values())
    assert all(reason.split(" (")[0] in known for reason in riskiest.reasons)


def test_words_show_the_value_with_its_unit() -> None:
    row = feat.customer_features([feat.Event("c", NOW - timedelta(days=142), feat.PURCHASE, 10.0)], NOW)
    assert words("recency_days", row) == "a long time since the last purchase (142 days)"
    assert words("frequency", row) == "few orders so far (1)"


def test_too_little_history_or_one_outcome_is_refused() -> None:
    rows, labels = training_data(30)
    with pytest.raises(ValueError, match="at least"):
        ChurnModel().fit(rows, labels)
    rows, _ = training_data(100)
    with pytest.raises(ValueError, match="both outcomes"):
        ChurnModel().fit(rows, [True] * 100)


def test_score_before_fit_fails_loudly() -> None:
    with pytest.raises(AssertionError):
        ChurnModel().risks(training_data(1)[0])


def test_rescoring_the_demo_history_tells_leaving_from_loyal_customers() -> None:
    demo = [f"demo-{n}" for n in range(6)]
    events, profiles = history(7, NOW, demo)
    scores = {s.customer_id: s for s in score_customers(events, NOW, Settings())}
    assert all(0 <= s.risk <= 1 and s.tier in TIERS and s.scored_at == NOW for s in scores.values())
    leaving = [scores[c] for c, p in profiles.items() if p == LEAVING]
    loyal = [scores[c] for c, p in profiles.items() if p == LOYAL]
    assert min(s.risk for s in leaving) > max(s.risk for s in loyal)
    assert {s.tier for s in leaving} == {"high"} and {s.tier for s in loyal} == {"low"}
