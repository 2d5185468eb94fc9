"""Churn model evaluation on UCI Online Retail (real purchases), time split, side by side in one run.

Protocol: invoices of known customers become events (a purchase per invoice; a "C..." invoice is a
return). At a cut date, features use only events before the cut (backends/retention/features.py, the
same code the service scores with) and churn = no purchase in the 90 days after it. Models are trained
at one cut and evaluated at a LATER cut (held out in time): customers are the same people, but the
outcome window was never seen in training. Training stacks four monthly cuts ending at the train cut
(the nightly re-scoring does the same). Two (train, test) pairs are checked.

Models: recency alone (days since the last purchase as the score), RFM in a logistic regression
(log recency, log frequency, log monetary), and LightGBM on all features, raw and isotonic-calibrated
(backends/retention/scoring.py). Metrics: ROC AUC, precision/recall in the top decile of risk, Brier
score, and a calibration table for the calibrated model. The set has only purchases: the support
features (conversations, frustration, hand-offs, unanswered) are zero here.

    .venv-services/bin/python benchmarks/churn_model.py [--threads 2]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from backends.retention import features as feat  # noqa: E402 - after the path setup
from backends.retention.scoring import ChurnModel, ModelSettings  # noqa: E402

DATA = REPO_ROOT.parent / "shared" / "data" / "online_retail" / "online_retail_all.csv.gz"
SPLITS = (("2011-06-01", "2011-09-01"), ("2011-03-01", "2011-06-01"))  # (train cut, later test cut)
INVOICES = """
SELECT CAST(CAST(CustomerID AS BIGINT) AS VARCHAR) AS customer, InvoiceNo LIKE 'C%' AS is_return,
       min(InvoiceDate) AS at, sum(Quantity * UnitPrice) AS amount
FROM read_csv(?, header = true, types = {'InvoiceNo': 'VARCHAR', 'CustomerID': 'DOUBLE'})
WHERE CustomerID IS NOT NULL AND (InvoiceNo LIKE 'C%' OR Quantity > 0)
GROUP BY customer, InvoiceNo, is_return
"""


def load_events(path: Path) -> list[feat.Event]:
    rows = duckdb.execute(INVOICES, [str(path)]).fetchall()
    return [
        feat.Event(customer, at, feat.RETURN if is_return else feat.PURCHASE, float(amount))
        for customer, is_return, at, amount in rows
    ]


@dataclass
class Snapshot:
    rows: list[dict[str, float]]
    labels: np.ndarray


def snapshot(grouped: dict[str, list[feat.Event]], cut: datetime) -> Snapshot:
    customers = feat.active_customers(grouped, cut)
    rows = [feat.customer_features(grouped[c], cut) for c in customers]
    labels = np.array([feat.churned(grouped[c], cut) for c in customers], dtype=int)
    return Snapshot(rows, labels)


def rfm(rows: Sequence[dict[str, float]]) -> np.ndarray:
    return np.log1p(np.array([[r["recency_days"], r["frequency"], max(r["monetary"], 0.0)] for r in rows]))


def top_decile(labels: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """Precision and recall among the 10 % of customers with the highest scores."""
    k = max(1, len(scores) // 10)
    top = np.argsort(-scores, kind="stable")[:k]
    hits = labels[top].sum()
    return hits / k, hits / max(1, labels.sum())


def metrics_row(name: str, labels: np.ndarray, scores: np.ndarray, probabilities: bool) -> str:
    precision, recall = top_decile(labels, scores)
    brier = f"{brier_score_loss(labels, scores):.4f}" if probabilities else "—"
    auc = roc_auc_score(labels, scores)
    return f"| {name} | {auc:.4f} | {precision:.3f} | {recall:.3f} | {brier} |"


def calibration_table(labels: np.ndarray, risks: np.ndarray, bins: int = 5) -> list[str]:
    lines = ["| predicted risk | customers | mean predicted | observed churn |", "|---|---|---|---|"]
    edges = np.linspace(0, 1, bins + 1)
    for low, high in itertools.pairwise(edges):
        inside = (risks >= low) & ((risks < high) if high < 1 else (risks <= high))
        if inside.any():
            lines.append(
                f"| {low:.1f}–{high:.1f} | {int(inside.sum())} | {risks[inside].mean():.3f} | "
                f"{labels[inside].mean():.3f} |"
            )
    return lines


def evaluate(grouped: dict[str, list[feat.Event]], train_cut: str, test_cut: str, threads: int) -> list[str]:
    rows, labels = feat.labelled_snapshots(grouped, feat.training_cuts(datetime.fromisoformat(train_cut)))
    train = Snapshot(rows, np.array(labels, dtype=int))
    test = snapshot(grouped, datetime.fromisoformat(test_cut))
    started = time.perf_counter()
    model = ChurnModel(ModelSettings(threads=threads)).fit(train.rows, train.labels.astype(bool).tolist())
    fit_s = time.perf_counter() - started
    logistic = make_pipeline(StandardScaler(), LogisticRegression()).fit(rfm(train.rows), train.labels)
    y = test.labels
    calibrated = model.risks(test.rows)
    lines = [
        f"### train cuts up to {train_cut} ({len(train.rows)} customer snapshots, churn {train.labels.mean():.1%}) → "
        f"test cut {test_cut} ({len(test.rows)} customers, churn {y.mean():.1%})",
        "",
        "| model | AUC | precision top 10 % | recall top 10 % | Brier |",
        "|---|---|---|---|---|",
        metrics_row("recency alone", y, np.array([r["recency_days"] for r in test.rows]), probabilities=False),
        metrics_row("RFM logistic regression", y, logistic.predict_proba(rfm(test.rows))[:, 1], probabilities=True),
        metrics_row("LightGBM (raw)", y, model.uncalibrated(test.rows), probabilities=True),
        metrics_row("LightGBM + isotonic calibration", y, calibrated, probabilities=True),
        "",
        f"LightGBM fit incl. calibration: {fit_s:.2f} s. Calibration of the calibrated model at the test cut:",
        "",
        *calibration_table(y, calibrated),
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--threads", type=int, default=1, help="LightGBM threads")
    args = parser.parse_args()
    started = time.perf_counter()
    events = load_events(args.data)
    grouped = feat.group_by_customer(events)
    print(f"{len(events)} invoices of {len(grouped)} customers read in {time.perf_counter() - started:.1f} s\n")
    for train_cut, test_cut in SPLITS:
        print("\n".join(evaluate(grouped, train_cut, test_cut, args.threads)))


if __name__ == "__main__":
    main()
