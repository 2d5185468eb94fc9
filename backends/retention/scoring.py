"""The churn model: LightGBM on the features, isotonic calibration, and the top reasons per customer.

LightGBM's raw scores rank well but are not probabilities; an isotonic fit on customers the trees did
not see turns them into calibrated risks (a risk of 0.7 means about 7 in 10 such customers churn),
which the tiers and the offer sizes rely on. Reasons are LightGBM's own SHAP values (`pred_contrib`):
the features that pushed this customer's risk up the most, in plain words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import lightgbm
import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import train_test_split

from backends.retention.features import FEATURES, LOW_VALUE_WORDS

MIN_TRAINING_CUSTOMERS = 40
TOP_REASONS = 3


@dataclass(frozen=True)
class ModelSettings:
    # Small, regularised trees: on Online Retail deeper ones (15 leaves) ranked worse at a later cut.
    trees: int = 300
    learning_rate: float = 0.02
    leaves: int = 7
    min_child_samples: int = 50
    calibration_share: float = 0.3  # customers held back from the trees to fit the calibration
    threads: int = 1  # 1 is often faster than 2 on a busy 2-core machine
    seed: int = 7


@dataclass(frozen=True)
class Score:
    risk: float
    reasons: list[str]


def matrix(rows: Sequence[dict[str, float]]) -> np.ndarray:
    return np.array([[row[name] for name in FEATURES] for row in rows], dtype=float)


class ChurnModel:
    """Fit on (features, churned) pairs, then `score` gives calibrated risks with reasons."""

    def __init__(self, settings: ModelSettings | None = None) -> None:
        self.settings = settings or ModelSettings()
        self._trees: lightgbm.LGBMClassifier | None = None
        self._calibration: IsotonicRegression | None = None

    def fit(self, rows: Sequence[dict[str, float]], labels: Sequence[bool]) -> ChurnModel:
        y = np.array(labels, dtype=int)
        if len(rows) < MIN_TRAINING_CUSTOMERS or y.min() == y.max():
            raise ValueError(
                f"need at least {MIN_TRAINING_CUSTOMERS} customers with both outcomes to train "
                f"(got {len(rows)}, {int(y.sum())} churned)"
            )
        s = self.settings
        x_fit, x_cal, y_fit, y_cal = train_test_split(
            matrix(rows), y, test_size=s.calibration_share, random_state=s.seed, stratify=y
        )
        self._trees = lightgbm.LGBMClassifier(
            n_estimators=s.trees,
            learning_rate=s.learning_rate,
            num_leaves=s.leaves,
            min_child_samples=s.min_child_samples,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            n_jobs=s.threads,
            random_state=s.seed,
            verbose=-1,
        ).fit(x_fit, y_fit)
        self._calibration = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(self._raw(x_cal), y_cal)
        return self

    def _raw(self, x: np.ndarray) -> np.ndarray:
        assert self._trees is not None, "fit the model first"
        return np.asarray(self._trees.predict_proba(x))[:, 1]

    def uncalibrated(self, rows: Sequence[dict[str, float]]) -> np.ndarray:
        return self._raw(matrix(rows))

    def risks(self, rows: Sequence[dict[str, float]]) -> np.ndarray:
        assert self._calibration is not None, "fit the model first"
        return np.clip(self._calibration.predict(self._raw(matrix(rows))), 0.0, 1.0)

    def score(self, rows: Sequence[dict[str, float]]) -> list[Score]:
        if not rows:
            return []
        assert self._trees is not None, "fit the model first"
        x = matrix(rows)
        contributions = np.asarray(self._trees.predict(x, pred_contrib=True))[:, :-1]  # last column: bias
        return [
            Score(float(risk), reasons(row, contribution))
            for risk, row, contribution in zip(self.risks(rows), rows, contributions, strict=True)
        ]


def reasons(row: dict[str, float], contribution: np.ndarray, top: int = TOP_REASONS) -> list[str]:
    """The features that raised the risk most (positive SHAP value), worded for the value they had."""
    names = list(FEATURES)
    order = np.argsort(-contribution)
    chosen = [names[i] for i in order[:top] if contribution[i] > 0]
    return [words(name, row) for name in chosen]


def words(name: str, row: dict[str, float]) -> str:
    """ "a long time since the last purchase (142 days)"; a low value that raised risk says so."""
    value = row[name]
    typical_high = name not in LOW_VALUE_WORDS or value > _low_cut(name)
    text = FEATURES[name] if typical_high else LOW_VALUE_WORDS[name]
    return f"{text} ({_shown(name, value)})"


def _low_cut(name: str) -> float:
    """Below this a spend/count feature reads as "little"/"few" rather than "a lot"."""
    return {"frequency": 2.0, "tenure_days": 60.0, "orders_90d": 0.0}.get(name, 100.0)


def _shown(name: str, value: float) -> str:
    if name.endswith("_days"):
        return f"{value:.0f} days"
    if name == "overdue_ratio":
        return f"{value:.1f}× the usual gap"
    if name in ("monetary", "spend_90d", "avg_order_value", "refund_value"):
        return f"{value:.2f}"
    return f"{value:.0f}"
