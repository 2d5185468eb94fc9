"""Intent accuracy of the shipped NLU model on Bitext, side by side with a TF-IDF baseline.

The Bitext customer-service file (8,175 real-style customer messages, 27 intents) is used for
MEASURING only: nothing from it is trained on. Two systems are scored on every Bitext utterance:

1. the trained Rasa model (loaded once, messages parsed in batches through its graph);
2. a baseline: TF-IDF (word 1-2-grams + char_wb 2-5-grams) and a linear SVM, trained on the repo's
   own NLU training data (``bot/data/nlu``, entity markup stripped) and nothing else.

"accuracy" of the model counts an ``nlu_fallback`` prediction as wrong (that is what a shopper gets);
"top-1 without fallback" takes the best real intent from the ranking instead. Macro-F1 is over the
27 Bitext intents. Run in the Rasa venv:

    python benchmarks/nlu_accuracy.py                      # newest model in var/models/
    python benchmarks/nlu_accuracy.py --model var/models-nlu/nlu.tar.gz --json var/bench/nlu.json
    python benchmarks/nlu_accuracy.py --floor 0.80         # exit 1 when accuracy < 0.80
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
# The model refers to the repo's own graph components (nlu.*) by module path.
sys.path.insert(0, str(REPO_ROOT))
DEFAULT_BITEXT = REPO_ROOT.parent / "shared" / "data" / "bitext" / "customer_service_training.csv"
DEFAULT_NLU_DIR = REPO_ROOT / "bot" / "data" / "nlu"
MODEL_DIRS = (REPO_ROOT / "var" / "models", REPO_ROOT / "var" / "models-nlu")
FALLBACK_INTENT = "nlu_fallback"
HANDOFF_INTENT = "contact_human_agent"  # a wrong prediction here costs an agent's time (issue 12)

# Bitext's flag letters for the language phenomena scored one by one (the dataset's README).
PHENOMENON_FLAGS = {
    "P": "polite",
    "W": "offensive",
    "Z": "typos and noise",
    "M": "morphological variation",
    "Q": "colloquial",
    "I": "interrogative",
    "L": "lexical variation",
    "K": "keyword mode",
    "E": "expanded abbreviations",
    "C": "coordinated",
}

# The 27 Bitext intents (docs/architecture.md, "NLU contract").
BITEXT_INTENTS = (
    "cancel_order", "change_order", "change_shipping_address", "check_cancellation_fee",
    "check_invoice", "check_payment_methods", "check_refund_policy", "complaint",
    "contact_customer_service", "contact_human_agent", "create_account", "delete_account",
    "delivery_options", "delivery_period", "edit_account", "get_invoice", "get_refund",
    "newsletter_subscription", "payment_issue", "place_order", "recover_password",
    "registration_problems", "review", "set_up_shipping_address", "switch_account",
    "track_order", "track_refund",
)  # fmt: skip

# [text](entity), [text]{"entity": ...}, [text][{...}]  ->  text
_ENTITY_MARKUP = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")


# --------------------------------------------------------------------------- data


def strip_entity_markup(text: str) -> str:
    return _ENTITY_MARKUP.sub(r"\1", text)


def load_training_examples(nlu_dir: Path = DEFAULT_NLU_DIR) -> list[tuple[str, str]]:
    """(text, intent) pairs from every Rasa YAML file under ``nlu_dir``, entity markup stripped."""
    import yaml

    pairs: list[tuple[str, str]] = []
    for path in sorted(Path(nlu_dir).rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in doc.get("nlu") or []:
            if "intent" not in block:
                continue
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    pairs.append((strip_entity_markup(line[2:].strip()), block["intent"]))
    return pairs


def load_heldout(path: Path) -> list[tuple[str, str, str]]:
    """(text, intent, phenomenon) from our hand-written held-out file (tests/nlu/phenomena_heldout.yml)."""
    import yaml

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        (text, intent, phenomenon)
        for phenomenon, intents in raw.items()
        for intent, texts in intents.items()
        for text in texts
    ]


def score_heldout(model_path: Path, rows: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    """Accuracy per phenomenon and hand-off precision on our own held-out requests."""
    parsed = RasaParser(model_path).parse([text for text, _, _ in rows])
    pred = [intent_of(p, skip_fallback=False) for p in parsed]
    gold = [intent for _, intent, _ in rows]
    result = score(gold, pred)
    result["fallback_rate"] = sum(p == FALLBACK_INTENT for p in pred) / len(pred)
    result["handoff_precision"] = result["per_intent"][HANDOFF_INTENT]["precision"]
    result["phenomena"] = {}
    for phenomenon in dict.fromkeys(name for _, _, name in rows):
        hits = [g == p for g, p, (_, _, name) in zip(gold, pred, rows, strict=True) if name == phenomenon]
        result["phenomena"][phenomenon] = {"n": len(hits), "accuracy": sum(hits) / len(hits)}
    result["errors"] = [
        {"text": text, "gold": g, "predicted": p} for (text, _, _), g, p in zip(rows, gold, pred, strict=True) if g != p
    ]
    result["path"] = str(model_path)
    return result


def heldout_markdown(results: Sequence[dict[str, Any]]) -> str:
    lines = ["", "Own held-out requests by phenomenon (accuracy; one column per model):", ""]
    lines.append("| phenomenon | n | " + " | ".join(f"model {i + 1}" for i in range(len(results))) + " |")
    lines.append("|---|---|" + "---|" * len(results))
    for phenomenon, cell in results[0]["phenomena"].items():
        row = " | ".join(f"{r['phenomena'][phenomenon]['accuracy']:.3f}" for r in results)
        lines.append(f"| {phenomenon} | {cell['n']} | {row} |")
    totals = (("accuracy", "all"), ("handoff_precision", f"{HANDOFF_INTENT} precision"), ("fallback_rate", "fallback"))
    for key, label in totals:
        lines.append(f"| {label} | {results[0]['n']} | " + " | ".join(f"{r[key]:.3f}" for r in results) + " |")
    return "\n".join(lines)


def load_bitext(path: Path) -> list[tuple[str, str]]:
    return [(text, intent) for text, intent, _ in load_bitext_with_flags(path)]


def load_bitext_with_flags(path: Path) -> list[tuple[str, str, str]]:
    """(utterance, intent, flags): the flags letters mark its language phenomena (see PHENOMENON_FLAGS)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [(r["utterance"].strip(), r["intent"].strip(), r["flags"].strip()) for r in csv.DictReader(fh)]


def newest_model(dirs: Iterable[Path] = MODEL_DIRS) -> Path | None:
    candidates = [p for d in dirs if d.is_dir() for p in d.glob("*.tar.gz")]
    return max(candidates, key=lambda p: p.stat().st_mtime) if candidates else None


# --------------------------------------------------------------------------- metrics


def score(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] = BITEXT_INTENTS) -> dict[str, Any]:
    """Accuracy, macro-F1 over ``labels`` and per-label precision/recall/F1 (no sklearn needed)."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for g, p in zip(gold, pred, strict=True):
        if g == p:
            tp[g] += 1
        else:
            fn[g] += 1
            fp[p] += 1
    per_label = {}
    for label in labels:
        prec = tp[label] / (tp[label] + fp[label]) if tp[label] + fp[label] else 0.0
        rec = tp[label] / (tp[label] + fn[label]) if tp[label] + fn[label] else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_label[label] = {"precision": prec, "recall": rec, "f1": f1, "support": tp[label] + fn[label]}
    return {
        "n": len(gold),
        "accuracy": sum(tp.values()) / len(gold) if gold else 0.0,
        "macro_f1": sum(v["f1"] for v in per_label.values()) / len(labels),
        "per_intent": per_label,
    }


def top_confusions(gold: Sequence[str], pred: Sequence[str], n: int = 15) -> list[dict[str, Any]]:
    pairs = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    return [{"gold": g, "predicted": p, "count": c} for (g, p), c in pairs.most_common(n)]


# --------------------------------------------------------------------------- systems


def predict_baseline(train: Sequence[tuple[str, str]], texts: Sequence[str]) -> list[str]:
    """TF-IDF word + char n-grams with a linear SVM, trained on the repo's own examples."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True)),
        ]
    )
    clf = make_pipeline(features, LinearSVC(C=0.5))
    clf.fit([t for t, _ in train], [i for _, i in train])
    return list(clf.predict(list(texts)))


class RasaParser:
    """Loads a trained Rasa model once and parses messages in batches through its graph."""

    def __init__(self, model_path: Path) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import logging

        from rasa.core.agent import Agent

        logging.getLogger("rasa").setLevel(logging.WARNING)
        self.agent = Agent.load(str(model_path))
        self.processor = self.agent.processor

    def parse(self, texts: Sequence[str], batch_size: int = 128) -> list[dict[str, Any]]:
        from rasa.core.channels.channel import UserMessage
        from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
        from rasa.shared.core.trackers import DialogueStateTracker
        from rasa.shared.nlu.constants import TEXT

        target = self.processor.model_metadata.nlu_target
        tracker = DialogueStateTracker.from_events("nlu-benchmark", [])
        out: list[dict[str, Any]] = []
        for start in range(0, len(texts), batch_size):
            batch = [UserMessage(t, sender_id="nlu-benchmark") for t in texts[start : start + batch_size]]
            results = self.processor.graph_runner.run(
                inputs={PLACEHOLDER_MESSAGE: batch, PLACEHOLDER_TRACKER: tracker}, targets=[target]
            )
            for message in results[target]:
                parsed = message.as_dict(only_output_properties=True)
                parsed.setdefault(TEXT, "")
                out.append(parsed)
        return out


def intent_of(parsed: dict[str, Any], skip_fallback: bool) -> str:
    name = (parsed.get("intent") or {}).get("name") or "None"
    if skip_fallback and name == FALLBACK_INTENT:
        for entry in parsed.get("intent_ranking") or []:
            if entry.get("name") != FALLBACK_INTENT:
                return entry["name"]
    return name


# --------------------------------------------------------------------------- report


def run_benchmark(
    model_path: Path | Sequence[Path] | None,
    bitext_path: Path = DEFAULT_BITEXT,
    nlu_dir: Path = DEFAULT_NLU_DIR,
    baseline: bool = True,
    limit: int | None = None,
    n_confusions: int = 15,
) -> dict[str, Any]:
    data = load_bitext_with_flags(bitext_path)
    if limit:
        data = data[:: max(1, len(data) // limit)][:limit]
    texts = [t for t, _, _ in data]
    gold = [i for _, i, _ in data]
    flags = [f for _, _, f in data]
    result: dict[str, Any] = {"bitext": str(bitext_path), "n": len(data), "intents": list(BITEXT_INTENTS)}

    paths = [model_path] if isinstance(model_path, Path) else list(model_path or [])
    result["models"] = [score_model(path, texts, gold, flags, n_confusions) for path in paths]
    if result["models"]:
        result["model"] = result["models"][0]

    if baseline:
        train = load_training_examples(nlu_dir)
        t0 = time.perf_counter()
        pred_b = predict_baseline(train, texts)
        base = score(gold, pred_b)
        base["seconds"] = round(time.perf_counter() - t0, 2)
        base["train_examples"] = len(train)
        base["confusions"] = top_confusions(gold, pred_b, n_confusions)
        result["baseline"] = base
    return result


def score_model(
    model_path: Path, texts: Sequence[str], gold: Sequence[str], flags: Sequence[str], n_confusions: int
) -> dict[str, Any]:
    t0 = time.perf_counter()
    parser = RasaParser(model_path)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    parsed = parser.parse(texts)
    t_parse = time.perf_counter() - t0
    pred = [intent_of(p, skip_fallback=False) for p in parsed]
    pred_raw = [intent_of(p, skip_fallback=True) for p in parsed]
    model = score(gold, pred)
    model["top1_without_fallback"] = score(gold, pred_raw)["accuracy"]
    model["fallback_rate"] = sum(p == FALLBACK_INTENT for p in pred) / len(pred)
    model["handoff_precision"] = model["per_intent"][HANDOFF_INTENT]["precision"]
    model["phenomena"] = accuracy_by_flag(gold, pred, flags)
    model["confusions"] = top_confusions(gold, pred_raw, n_confusions)
    model["load_seconds"] = round(t_load, 2)
    model["parse_seconds"] = round(t_parse, 2)
    model["messages_per_second"] = round(len(texts) / t_parse, 1) if t_parse else None
    model["path"] = str(model_path)
    return model


def accuracy_by_flag(gold: Sequence[str], pred: Sequence[str], flags: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Accuracy on the utterances carrying each phenomenon flag (an utterance may carry several)."""
    by_flag: dict[str, dict[str, Any]] = {}
    for flag, name in PHENOMENON_FLAGS.items():
        hits = [g == p for g, p, f in zip(gold, pred, flags, strict=True) if flag in f]
        if hits:
            by_flag[flag] = {"name": name, "n": len(hits), "accuracy": sum(hits) / len(hits)}
    return by_flag


def markdown(result: dict[str, Any]) -> str:
    model, base = result.get("model"), result.get("baseline")
    lines = [f"Bitext: {result['n']} utterances, {len(result['intents'])} intents", ""]
    lines += ["| system | accuracy | macro-F1 | notes |", "|---|---|---|---|"]
    for each in result.get("models", []):
        lines.append(
            f"| Rasa model `{each['path']}` | {each['accuracy']:.3f} | {each['macro_f1']:.3f} | top-1 without "
            f"fallback {each['top1_without_fallback']:.3f}, fallback rate {each['fallback_rate']:.3f}, "
            f"{HANDOFF_INTENT} precision {each['handoff_precision']:.3f}, parse {each['parse_seconds']} s "
            f"({each['messages_per_second']} msg/s), load {each['load_seconds']} s |"
        )
    if base:
        lines.append(
            f"| TF-IDF + LinearSVC baseline | {base['accuracy']:.3f} | {base['macro_f1']:.3f} | "
            f"trained on {base['train_examples']} repo examples in {base['seconds']} s |"
        )
    lines += ["", "| intent | model F1 | baseline F1 | support |", "|---|---|---|---|"]
    for intent in result["intents"]:
        m = f"{model['per_intent'][intent]['f1']:.3f}" if model else "-"
        b = f"{base['per_intent'][intent]['f1']:.3f}" if base else "-"
        support = (model or base)["per_intent"][intent]["support"]
        lines.append(f"| {intent} | {m} | {b} | {support} |")
    if result.get("models"):
        lines += ["", "Accuracy by phenomenon (Bitext flags):", ""]
        lines.append("| phenomenon | n | " + " | ".join(f"model {i + 1}" for i in range(len(result["models"]))) + " |")
        lines.append("|---|---|" + "---|" * len(result["models"]))
        for flag, name in PHENOMENON_FLAGS.items():
            cells = [m["phenomena"].get(flag) for m in result["models"]]
            if cells[0]:
                accuracies = " | ".join(f"{c['accuracy']:.3f}" for c in cells if c)
                lines.append(f"| {name} ({flag}) | {cells[0]['n']} | {accuracies} |")
    for name, system in (("model (best non-fallback intent)", model), ("baseline", base)):
        if system and system["confusions"]:
            lines += ["", f"Top confusions, {name}:", "", "| gold | predicted | count |", "|---|---|---|"]
            lines += [f"| {c['gold']} | {c['predicted']} | {c['count']} |" for c in system["confusions"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--model",
        type=Path,
        action="append",
        help="trained model (.tar.gz); repeat to score several side by side; default: newest in var/models/",
    )
    ap.add_argument("--bitext", type=Path, default=DEFAULT_BITEXT, help="Bitext CSV (default: %(default)s)")
    ap.add_argument("--nlu", type=Path, default=DEFAULT_NLU_DIR, help="repo NLU data for the baseline")
    ap.add_argument("--json", type=Path, help="also write the full result as JSON here")
    ap.add_argument("--floor", type=float, help="exit 1 when the model's accuracy is below this")
    ap.add_argument("--no-model", action="store_true", help="baseline only")
    ap.add_argument("--no-baseline", action="store_true", help="model only")
    ap.add_argument("--limit", type=int, help="evaluate an even sample of this many utterances")
    ap.add_argument("--confusions", type=int, default=15, help="how many top confusions to list")
    ap.add_argument("--heldout", type=Path, help="also score our own held-out phenomenon file (YAML)")
    args = ap.parse_args(argv)

    if not args.bitext.is_file():
        print(f"Bitext file not found: {args.bitext}", file=sys.stderr)
        return 2
    model_paths: list[Path] = []
    if not args.no_model:
        newest = newest_model()
        model_paths = args.model or ([newest] if newest else [])
        missing = [p for p in model_paths if not Path(p).exists()]
        if not model_paths or missing:
            print(f"no trained model found {missing or ''} (train one or pass --model)", file=sys.stderr)
            return 2

    result = run_benchmark(model_paths, args.bitext, args.nlu, not args.no_baseline, args.limit, args.confusions)
    if args.heldout and model_paths:
        rows = load_heldout(args.heldout)
        result["heldout"] = [score_heldout(path, rows) for path in model_paths]
    print(markdown(result))
    if result.get("heldout"):
        print(heldout_markdown(result["heldout"]))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    if args.floor is not None and "model" in result:
        acc = result["model"]["accuracy"]
        if acc < args.floor:
            print(f"\nFAIL: model accuracy {acc:.4f} is below the floor {args.floor:.4f}", file=sys.stderr)
            return 1
        print(f"\nOK: model accuracy {acc:.4f} >= floor {args.floor:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
