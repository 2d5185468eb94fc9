"""Frustration (tone, not topic): our frustration score against VADER and the sentiment model's
negative label, on messages none of them was trained on.

For each set it prints the share of messages each classifier calls frustrated:

- the `held_out` section of sentiment/data/tone_messages.yml (hand-written, never trained on), by
  phenomenon: offensive (swearing, insults) and shouting should all be frustrated (target >= 0.95),
  polite messages, polite problem reports included, none (target <= 0.05); sarcasm, exasperation
  and plain questions/reports are reported beside them;
- Bitext customer-service messages from ../shared/data (measured only, never trained on), by their
  tone flags: W (offensive language) should be frustrated, P (politeness, without W) should not.

Classifiers: "ours" (sentiment/frustration.py: the head plus swearing and shouting cues), "our head
alone", "cues alone" (a swear word or shouting), the sentiment model's label `negative` (what the
hand-off policy used before) and VADER's compound <= -0.05. Latency: one message through the
service's scorer (both heads, one encoder pass), 1 torch thread.

    .venv-services/bin/python benchmarks/frustration_accuracy.py                # model in $SENTIMENT_MODEL_DIR
    .venv-services/bin/python benchmarks/frustration_accuracy.py --model /tmp/m --errors
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.sentiment_accuracy import latency_ms  # noqa: E402
from contracts.frustration import shouting, swearing  # noqa: E402
from sentiment.data import ToneExample, load_tone  # noqa: E402

DEFAULT_BITEXT = REPO_ROOT.parent / "shared" / "data" / "bitext" / "customer_service_training.csv"
Flagger = Callable[[list[str]], list[bool]]


@dataclass(frozen=True)
class ToneSet:
    name: str
    texts: list[str]
    frustrated: bool  # what every message in the set should be
    target: float | None = None  # share flagged frustrated: at least (frustrated) or at most (calm)

    def meets(self, share: float) -> bool:
        if self.target is None:
            return True
        return share >= self.target if self.frustrated else share <= self.target


# Groups of tone_messages.yml per reported set; the targets are issue 12's.
HELD_OUT_SETS = (
    ("offensive, insulting, shouting", ("swearing", "insults", "shouting"), True, 0.95),
    ("polite (incl. polite problem reports)", ("polite_requests", "polite_problem_reports"), False, 0.05),
    ("sarcasm", ("sarcasm",), True, None),
    ("exasperation", ("exasperation",), True, None),
    ("plain questions and reports", ("plain_questions", "plain_reports"), False, None),
    # Not an issue target, but a calm product question read as upset hands shopping to a person.
    ("product questions", ("product_questions",), False, 0.05),
)


def held_out_sets(examples: list[ToneExample] | None = None) -> list[ToneSet]:
    examples = examples if examples is not None else load_tone("held_out")
    sets = []
    for name, groups, frustrated, target in HELD_OUT_SETS:
        texts = [e.text for e in examples if e.group in groups and (e.label == "frustrated") == frustrated]
        sets.append(ToneSet(f"own held-out: {name}", texts, frustrated, target))
    return sets


def bitext_sets(path: Path = DEFAULT_BITEXT) -> list[ToneSet]:
    """Bitext messages flagged W (offensive) and P (polite, not W); empty when the file is missing."""
    if not path.is_file():
        return []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    offensive = [r["utterance"] for r in rows if "W" in r["flags"]]
    polite = [r["utterance"] for r in rows if "P" in r["flags"] and "W" not in r["flags"]]
    return [
        ToneSet("Bitext W (offensive)", offensive, True, 0.95),
        ToneSet("Bitext P (polite)", polite, False, 0.05),
    ]


def share_flagged(flag: Flagger, texts: list[str]) -> float:
    return sum(flag(texts)) / len(texts)


def vader_flagger() -> Flagger:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return lambda texts: [analyzer.polarity_scores(t)["compound"] <= -0.05 for t in texts]


def cue_flagger() -> Flagger:
    return lambda texts: [bool(swearing(t) or shouting(t)) for t in texts]


def model_flaggers(scorer: Any) -> dict[str, Flagger]:
    """Ours, our head alone and the sentiment label `negative`, from one sentiment.service.Scorer;
    each text is scored once."""
    cache: dict[str, dict[str, Any]] = {}

    def results(texts: list[str]) -> list[dict[str, Any]]:
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        for start in range(0, len(missing), 32):
            batch = missing[start : start + 32]
            _, heads = scorer.analyse(batch)
            for text, scored, head in zip(batch, scorer.score(batch), heads, strict=True):
                cache[text] = {**scored, "head": head}
        return [cache[t] for t in texts]

    return {
        "ours": lambda texts: [r["frustration"]["frustrated"] for r in results(texts)],
        "our head alone": lambda texts: [r["head"] >= 0.5 for r in results(texts)],
        "sentiment `negative`": lambda texts: [r["label"] == "negative" for r in results(texts)],
    }


def main(argv: list[str] | None = None) -> int:
    from sentiment.build import default_model_dir
    from sentiment.service import Scorer

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="model directory (default $SENTIMENT_MODEL_DIR)")
    parser.add_argument("--bitext", type=Path, default=DEFAULT_BITEXT)
    parser.add_argument("--errors", action="store_true", help="list the held-out messages ours gets wrong")
    args = parser.parse_args(argv)
    model_dir = args.model or default_model_dir()

    scorer = Scorer(model_dir, threads=1)
    flaggers = {**model_flaggers(scorer), "cues alone": cue_flagger(), "VADER": vader_flagger()}
    sets = held_out_sets() + bitext_sets(args.bitext)
    names = list(flaggers)
    print("Share of messages called frustrated (target: >= for upset sets, <= for calm sets)")
    print()
    print("| set | n | target | " + " | ".join(names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    failed = []
    for tone_set in sets:
        shares = {name: share_flagged(flag, tone_set.texts) for name, flag in flaggers.items()}
        target = "" if tone_set.target is None else f"{'>=' if tone_set.frustrated else '<='} {tone_set.target}"
        cells = " | ".join(f"{shares[n]:.3f}" for n in names)
        print(f"| {tone_set.name} | {len(tone_set.texts)} | {target} | {cells} |")
        if not tone_set.meets(shares["ours"]):
            failed.append(tone_set.name)
        if args.errors and tone_set.name.startswith("own"):
            for text, flagged in zip(tone_set.texts, flaggers["ours"](tone_set.texts), strict=True):
                if flagged != tone_set.frustrated:
                    print(
                        f"    ours wrong ({'calm' if tone_set.frustrated else 'frustrated'}): {text}", file=sys.stderr
                    )

    texts = [t for s in sets[:2] for t in s.texts][:100]
    timing = latency_ms(lambda t: scorer.score([t]), texts)
    print()
    print(
        f"| latency per message, scorer (both heads), 1 thread | {timing['n']} | p50 {timing['p50']:.1f} ms | "
        f"p95 {timing['p95']:.1f} ms |"
    )
    print()
    print("targets missed by ours: " + (", ".join(failed) if failed else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
