"""Offline evaluation of the recommenders on UCI Online Retail (real purchase histories).

Protocol: drop cancellations (InvoiceNo "C..."), guest lines (no CustomerID) and non-positive
quantities; train on purchases before --cut, test on purchases after it, for customers present in
both periods. The target is the set of items a customer bought after the cut that they had NOT
bought before (discovery; re-purchases are trivially predicted from history), and items bought in
training are not recommended. Metrics: Recall@10 = hits / |target|, NDCG@10 with binary gains.

The hybrid's weights are chosen on a validation split inside the training period only (train
before --val-cut, validate --val-cut..--cut), then refitted on all training data.

    /tmp/lockvenv/bin/python benchmarks/recommendations_offline.py   # with the `implicit` package for ALS
"""

from __future__ import annotations

import argparse
import csv
import gzip
import itertools
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from backends.recommendations import algorithms as algo  # noqa: E402 - after the path setup

DATA = REPO_ROOT.parent / "shared" / "data" / "online_retail" / "online_retail_all.csv.gz"
K = 10


@dataclass
class Purchases:
    users: np.ndarray  # customer index per line
    items: np.ndarray  # item index per line
    when: np.ndarray  # datetime64 per line
    item_ids: list[str]
    descriptions: list[str]


def load(path: Path) -> Purchases:
    customers: dict[str, int] = {}
    items: dict[str, int] = {}
    descriptions: dict[int, str] = {}
    users, cols, times = [], [], []
    with gzip.open(path, "rt", newline="", encoding="utf-8", errors="replace") as handle:
        for row in csv.DictReader(handle):
            if row["InvoiceNo"].startswith("C") or not row["CustomerID"].strip():
                continue
            try:
                if float(row["Quantity"]) <= 0:
                    continue
            except ValueError:
                continue
            item = items.setdefault(row["StockCode"].strip().upper(), len(items))
            descriptions.setdefault(item, row["Description"] or "")
            users.append(customers.setdefault(row["CustomerID"].strip(), len(customers)))
            cols.append(item)
            times.append(row["InvoiceDate"])
    return Purchases(
        np.asarray(users),
        np.asarray(cols),
        np.asarray(times, dtype="datetime64[m]"),
        list(items),
        [descriptions.get(i, "") for i in range(len(items))],
    )


@dataclass
class Split:
    train: sp.csr_matrix  # users × items, log1p(lines)
    targets: dict[int, set[int]]  # test user -> new items bought after the cut


def split(data: Purchases, start: str | None, cut: str, end: str | None) -> Split:
    shape = (int(data.users.max()) + 1, len(data.item_ids))
    before = data.when < np.datetime64(cut)
    if start:
        before &= data.when >= np.datetime64(start)
    after = data.when >= np.datetime64(cut)
    if end:
        after &= data.when < np.datetime64(end)
    train = algo.interaction_matrix(data.users[before], data.items[before], np.ones(int(before.sum())), shape)
    known = train.tolil().rows
    targets: dict[int, set[int]] = {}
    for user, item in zip(data.users[after], data.items[after], strict=True):
        if known[user] and item not in known[user]:
            targets.setdefault(int(user), set()).add(int(item))
    return Split(train, targets)


Scorer = Callable[[int], np.ndarray]


def components(train: sp.csr_matrix, content: sp.csr_matrix) -> dict[str, Scorer]:
    similarity = algo.item_similarity(train, neighbours=100)
    norms = algo.row_norms(train)
    popular = algo.popularity(train)

    def profile(user: int) -> np.ndarray:
        return train[user].toarray().ravel()

    return {
        "popularity": lambda user: popular,
        "item_cf": lambda user: algo.item_cf_scores(profile(user), similarity),
        "user_cf": lambda user: algo.user_cf_scores(profile(user), train, 50, exclude_user=user, norms=norms),
        "content": lambda user: algo.content_scores(profile(user), content),
    }


def metrics(ranked: list[int], target: set[int]) -> tuple[float, float]:
    hits = [1.0 if item in target else 0.0 for item in ranked[:K]]
    recall = sum(hits) / len(target)
    dcg = sum(h / np.log2(rank + 2) for rank, h in enumerate(hits))
    ideal = sum(1.0 / np.log2(rank + 2) for rank in range(min(K, len(target))))
    return recall, dcg / ideal


def rank(scores: np.ndarray, seen: np.ndarray) -> list[int]:
    """Top-K by score with bought items excluded; ties and zeros filled in index order (deterministic)."""
    scores = scores.astype(np.float64) + 1e-9  # lets zero-score items fill a short list
    scores[seen] = -np.inf
    top = np.argpartition(-scores, K)[:K]
    return [int(i) for i in top[np.argsort(-scores[top], kind="stable")]]


def cache(split_: Split, scorers: Mapping[str, Scorer]) -> dict[str, dict[int, np.ndarray]]:
    """Every component's normalised score vector per test user, so weight grids cost only blending."""
    return {name: {user: algo.normalise(scorer(user)) for user in split_.targets} for name, scorer in scorers.items()}


def evaluate(split_: Split, score: Callable[[int], np.ndarray]) -> tuple[float, float, float]:
    recalls, ndcgs = [], []
    started = time.perf_counter()
    for user, target in split_.targets.items():
        seen = split_.train[user].indices
        recall, ndcg = metrics(rank(score(user), seen), target)
        recalls.append(recall)
        ndcgs.append(ndcg)
    per_user_ms = (time.perf_counter() - started) * 1000 / max(len(split_.targets), 1)
    return float(np.mean(recalls)), float(np.mean(ndcgs)), per_user_ms


def weight_grid() -> Iterator[dict[str, float]]:
    for item_cf, user_cf, content, popularity in itertools.product(
        (0.2, 0.4, 0.6), (0.0, 0.2, 0.4), (0.0, 0.1, 0.2), (0.0, 0.05, 0.15)
    ):
        yield {"item_cf": item_cf, "user_cf": user_cf, "content": content, "popularity": popularity}


def blended(
    cached: Mapping[str, Mapping[int, np.ndarray]], weights: Mapping[str, float]
) -> Callable[[int], np.ndarray]:
    def score(user: int) -> np.ndarray:
        total = np.zeros_like(next(iter(cached.values()))[user])
        for name, weight in weights.items():
            if weight:
                total += weight * cached[name][user]
        return total

    return score


def tune_hybrid(data: Purchases, content: sp.csr_matrix, start: str | None, val_cut: str, cut: str) -> dict[str, float]:
    validation = split(data, start, val_cut, cut)
    cached = cache(validation, components(validation.train, content))
    best, best_ndcg = {}, -1.0
    for weights in weight_grid():
        ndcg = evaluate(validation, blended(cached, weights))[1]
        if ndcg > best_ndcg:
            best, best_ndcg = weights, ndcg
    print(f"hybrid weights chosen on validation ({val_cut}..{cut}, NDCG@10 {best_ndcg:.4f}): {best}")
    return best


def als_scorer(train: sp.csr_matrix, factors: int, iterations: int, alpha: float) -> tuple[Scorer, str] | None:
    try:
        import implicit
        from implicit.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    threadpool_limits(1, "blas")
    model = AlternatingLeastSquares(
        factors=factors, regularization=0.05, iterations=iterations, alpha=alpha, random_state=7, num_threads=2
    )
    model.fit(train.astype(np.float32), show_progress=False)
    user_factors, item_factors = (np.asarray(getattr(model, name)) for name in ("user_factors", "item_factors"))

    def score(user: int) -> np.ndarray:
        return item_factors @ user_factors[user]

    return score, implicit.__version__


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cut", default="2011-09-01", help="train before, test from this date")
    parser.add_argument("--val-cut", default="2011-07-01", help="validation split inside training, for the hybrid")
    parser.add_argument("--als-factors", type=int, default=64)
    parser.add_argument("--als-iterations", type=int, default=15)
    parser.add_argument("--als-alpha", type=float, default=10.0)
    args = parser.parse_args()

    started = time.perf_counter()
    data = load(args.data)
    print(
        f"Online Retail: {len(data.users)} purchase lines, {int(data.users.max()) + 1} customers, "
        f"{len(data.item_ids)} products (loaded in {time.perf_counter() - started:.1f}s)"
    )
    content = algo.content_vectors(data.descriptions)
    weights = tune_hybrid(data, content, None, args.val_cut, args.cut)
    test = split(data, None, args.cut, None)
    print(
        f"split at {args.cut}: train {test.train.nnz} user-item pairs; {len(test.targets)} test customers, "
        f"{sum(len(t) for t in test.targets.values())} new (customer, item) targets"
    )
    scorers = components(test.train, content)
    rows: list[tuple[str, tuple[float, float, float]]] = []
    for name in ("popularity", "item_cf", "user_cf", "content"):
        rows.append((name, evaluate(test, scorers[name])))
    cached = cache(test, {name: scorers[name] for name in weights if weights[name]})
    rows.append(("hybrid", evaluate(test, blended(cached, weights))))
    als = als_scorer(test.train, args.als_factors, args.als_iterations, args.als_alpha)
    if als is None:
        print("implicit is not installed: ALS skipped")
    else:
        scorer, version = als
        rows.append((f"als (implicit {version})", evaluate(test, scorer)))
    print(f"\n{'model':<24} {'Recall@10':>9} {'NDCG@10':>8} {'ms/user':>8}")
    for name, (recall, ndcg, ms) in rows:
        print(f"{name:<24} {recall:>9.4f} {ndcg:>8.4f} {ms:>8.2f}")
    print(f"\ntotal {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
