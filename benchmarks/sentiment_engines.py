"""The sentiment model's three forms side by side: torch, ONNX float32, ONNX int8 (SENTIMENT_ENGINE).

For each form, in one run on the same built model:

- agreement with torch: the largest difference of any class probability and of the frustration
  head's probability, and how many labels / frustrated flags differ, over the held-out shop and tone
  messages and held-out tweets;
- accuracy: sentiment on held-out tweets and the held-out shop messages (as benchmarks/sentiment_accuracy.py),
  frustration flagged per held-out tone set (as benchmarks/frustration_accuracy.py);
- CPU per message: process CPU time of single-message scoring (1 thread), p50/p95 wall time;
- memory: peak RSS of a fresh process that loads the form and scores a few messages (what the
  sentiment service holds), measured in a subprocess per form.

    .venv-services/bin/python -m benchmarks.sentiment_engines               # model in $SENTIMENT_MODEL_DIR
    .venv-services/bin/python -m benchmarks.sentiment_engines --model /tmp/m --tweets 500
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.frustration_accuracy import held_out_sets
from benchmarks.sentiment_accuracy import metrics, percentile
from sentiment.data import Example, load_shop, load_tweets, subsample

ENGINES = ("torch", "onnx", "onnx-int8")
# VmHWM, not getrusage's ru_maxrss: Linux keeps the forking parent's peak in ru_maxrss across exec.
RSS_PROBE = """
import re, sys
from sentiment.service import Scorer
scorer = Scorer(sys.argv[1], threads=1, engine=sys.argv[2])
scorer.score(["where is my order?", "this is the third time I ask!!", "thanks, great service"])
status = open("/proc/self/status").read()
print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) // 1024)
"""


def peak_rss_mib(model_dir: Path, engine: str) -> int:
    """Peak RSS of a fresh process that loads `engine` and scores three messages."""
    done = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, str(model_dir), engine], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip().splitlines()[-1])


def cpu_per_message(scorer: Any, texts: list[str]) -> dict[str, float]:
    """Process CPU ms per single-message call, and wall p50/p95 (ms)."""
    for text in texts[:5]:
        scorer.score([text])
    walls = []
    cpu_started = time.process_time()
    for text in texts:
        started = time.perf_counter()
        scorer.score([text])
        walls.append((time.perf_counter() - started) * 1000)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / len(texts)
    return {"cpu_ms": cpu_ms, "p50_ms": percentile(walls, 50), "p95_ms": percentile(walls, 95)}


def scored(scorer: Any, texts: list[str]) -> tuple[list[dict[str, float]], list[float]]:
    probabilities: list[dict[str, float]] = []
    heads: list[float] = []
    for start in range(0, len(texts), 32):
        p, h = scorer.analyse(texts[start : start + 32])
        probabilities += p
        heads += h
    return probabilities, heads


def label(probabilities: dict[str, float]) -> str:
    return max(probabilities, key=probabilities.__getitem__)


def main(argv: list[str] | None = None) -> int:
    from sentiment.build import default_model_dir
    from sentiment.service import Scorer

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="model directory (default $SENTIMENT_MODEL_DIR)")
    parser.add_argument("--tweets", type=int, default=500, help="held-out tweets to score (stratified)")
    parser.add_argument("--latency-messages", type=int, default=200)
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args(argv)
    model_dir = args.model or default_model_dir()

    tweets: list[Example] = subsample(load_tweets()[1], args.tweets, seed=0)
    shop = load_shop("held_out")
    tone_sets = held_out_sets()
    everything = [e.text for e in tweets + shop] + [t for s in tone_sets for t in s.texts]
    latency_texts = (everything * 2)[: args.latency_messages]

    rows: dict[str, dict[str, Any]] = {}
    reference: tuple[list[dict[str, float]], list[float]] | None = None
    for engine in ENGINES:
        scorer = Scorer(model_dir, threads=1, engine=engine)
        probabilities, heads = scored(scorer, everything)
        if reference is None:
            reference = (probabilities, heads)
        row: dict[str, Any] = {"load_s": scorer.load_seconds}
        row["max_prob_diff"] = max(
            abs(p[k] - r[k]) for p, r in zip(probabilities, reference[0], strict=True) for k in p
        )
        row["max_head_diff"] = max(abs(h - r) for h, r in zip(heads, reference[1], strict=True))
        row["labels_differ"] = sum(label(p) != label(r) for p, r in zip(probabilities, reference[0], strict=True))
        flags = [r["frustration"]["frustrated"] for r in scorer.score(everything)]
        row["flags"] = dict(zip(everything, flags, strict=True))
        n_tweets = len(tweets)
        row["tweets"] = metrics([e.label for e in tweets], [label(p) for p in probabilities[:n_tweets]])
        row["shop"] = metrics(
            [e.label for e in shop], [label(p) for p in probabilities[n_tweets : n_tweets + len(shop)]]
        )
        row["tone"] = {s.name: sum(row["flags"][t] for t in s.texts) / len(s.texts) for s in tone_sets}
        row.update(cpu_per_message(scorer, latency_texts))
        del scorer
        row["peak_rss_mib"] = peak_rss_mib(model_dir, engine)
        rows[engine] = row
    torch_flags = rows["torch"]["flags"]
    for row in rows.values():
        row["flags_differ"] = sum(row["flags"][t] != torch_flags[t] for t in everything)
        del row["flags"]

    print(f"# sentiment engines, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, model {model_dir}")
    print(
        f"# {len(tweets)} held-out tweets, {len(shop)} held-out shop messages, "
        f"{sum(len(s.texts) for s in tone_sets)} held-out tone messages; 1 thread\n"
    )
    print("| | " + " | ".join(ENGINES) + " |")
    print("|---|" + "---|" * len(ENGINES))

    def line(name: str, cell: Any) -> None:
        print(f"| {name} | " + " | ".join(cell(rows[e]) for e in ENGINES) + " |")

    line("CPU per message (ms)", lambda r: f"{r['cpu_ms']:.1f}")
    line("wall p50 / p95 (ms)", lambda r: f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f}")
    line("peak RSS of a process with it (MiB)", lambda r: f"{r['peak_rss_mib']}")
    line("load (s)", lambda r: f"{r['load_s']:.1f}")
    line("tweets accuracy / macro-F1", lambda r: f"{r['tweets']['accuracy']:.3f} / {r['tweets']['macro_f1']:.3f}")
    line("shop accuracy / macro-F1", lambda r: f"{r['shop']['accuracy']:.3f} / {r['shop']['macro_f1']:.3f}")
    for tone_set in tone_sets:
        target = "" if tone_set.target is None else f" ({'>=' if tone_set.frustrated else '<='} {tone_set.target})"
        line(f"frustrated: {tone_set.name}{target}", lambda r, n=tone_set.name: f"{r['tone'][n]:.3f}")
    line("largest class-probability difference to torch", lambda r: f"{r['max_prob_diff']:.4f}")
    line("largest frustration-head difference to torch", lambda r: f"{r['max_head_diff']:.4f}")
    line(
        f"labels / frustrated flags differing from torch (of {len(everything)})",
        lambda r: f"{r['labels_differ']} / {r['flags_differ']}",
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
