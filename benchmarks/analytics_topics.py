"""Which embedding groups unanswered questions better: TF-IDF or MiniLM (analytics/topics.py).

Real customer messages with known intents stand in for a shop's unanswered questions: a seeded
sample of the Bitext customer-service set (../shared/data/bitext, read in place), `--per-intent`
messages of each of `--intents` intents. Each embedding is clustered the way the report does it
(average linkage on cosine distance) at several cut distances; printed per cut: the number of
topics, the adjusted Rand index and the normalised mutual information against the intents (1.0 =
the intents exactly), and the time. The cut marked * is the one analytics/topics.py uses.

    .venv-services/bin/python -m benchmarks.analytics_topics
    .venv-services/bin/python -m benchmarks.analytics_topics --intents 27 --per-intent 40
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path

from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from analytics.topics import CUT, EMBEDDERS, cluster  # noqa: E402

BITEXT = REPO_ROOT.parent / "shared" / "data" / "bitext" / "customer_service_training.csv"
CUTS = {"tfidf": (0.7, 0.8, 0.85, 0.9, 0.95), "minilm": (0.4, 0.5, 0.55, 0.6, 0.7)}


def sample(path: Path, intents: int, per_intent: int, seed: int) -> tuple[list[str], list[str]]:
    by_intent: dict[str, list[str]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_intent.setdefault(row["intent"], []).append(row["utterance"])
    chooser = random.Random(seed)
    texts, labels = [], []
    for intent in chooser.sample(sorted(by_intent), min(intents, len(by_intent))):
        for text in chooser.sample(by_intent[intent], min(per_intent, len(by_intent[intent]))):
            texts.append(text)
            labels.append(intent)
    return texts, labels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--intents", type=int, default=15)
    parser.add_argument("--per-intent", type=int, default=20)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    if not BITEXT.exists():
        print(f"{BITEXT} is missing (../shared/data beside the checkout)", file=sys.stderr)
        return 1
    texts, labels = sample(BITEXT, args.intents, args.per_intent, args.seed)
    print(f"{len(texts)} Bitext messages, {len(set(labels))} intents (seed {args.seed})")
    print(f"{'embedding':<9} {'cut':>5} {'topics':>6} {'ARI':>6} {'NMI':>6} {'embed s':>8} {'cluster s':>9}")
    for name, embed in EMBEDDERS.items():
        started = time.perf_counter()
        vectors = embed(texts)
        embed_s = time.perf_counter() - started
        for cut in CUTS[name]:
            started = time.perf_counter()
            found = cluster(vectors, cut)
            cluster_s = time.perf_counter() - started
            ari = adjusted_rand_score(labels, found)
            nmi = normalized_mutual_info_score(labels, found)
            mark = "*" if cut == CUT[name] else " "
            print(
                f"{name:<9} {cut:>4}{mark} {len(set(found.tolist())):>6} {ari:>6.3f} {nmi:>6.3f} "
                f"{embed_s:>8.2f} {cluster_s:>9.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
