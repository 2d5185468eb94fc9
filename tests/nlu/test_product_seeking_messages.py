"""Every product-seeking message reaches product search, with its framing cut off.

A varied set is generated at test time: shoppers' frames ("do you have ...?", "need a ...", "got any
...", "show me ...", a bare phrase, "the ...") around product phrases read from the demo catalogue and
from real catalogues in ../shared/data (the Shopify sample and Myntra: titles, their last two words,
brands, brand + kind; the demo catalogue's SKUs as model numbers). Nothing of those catalogues is
kept in the repository. Some frames here are not in the training data.

A message counts when both hold:
- the trained model routes it to an action that sends its product phrase to the search
  (bot/data/rules.yml): `product_search` or `recommendation_request`; `inform` with a product entity,
  or with no entity at all and at most MAX_BARE_PHRASE_WORDS words (actions/products/followup.py hands
  both to the search); `product_availability` or `product_info` with a product entity (they resolve the
  name and search for it when no product has it: actions/products/base.py). Not `nlu_fallback`, not
  another intent, not a "something like this" request;
- the action's query extraction (`actions.products.query.shopper_query`, the text sent to /search and
  /resolve) gives the product phrase, give or take case and punctuation.

Needs the Rasa venv and a trained model (RASA_MODEL, else the newest in var/models/); skipped without
them or the data, unless NLU_GATE_REQUIRED=1.
"""

from __future__ import annotations

import csv
import os
import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from actions.products.query import MAX_BARE_PHRASE_WORDS, shopper_query
from benchmarks.nlu_accuracy import newest_model

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
DEMO = REPO / "catalogue_files" / "demo" / "catalogue.csv"
SHOPIFY = sorted((DATA / "shopify").glob("*.csv"))
MYNTRA = DATA / "myntra" / "myntra_products_catalog.csv"
REQUIRED = os.environ.get("NLU_GATE_REQUIRED") == "1"
FLOOR = 0.95
SEARCH_INTENTS = {"product_search", "recommendation_request"}
# They resolve the product named (the entity, else the message without its framing) and search for it
# when no product has that name (actions/products/base.py, `ask_which`).
LOOKUP_INTENTS = {"product_availability", "product_info"}

# {p} is the product phrase. The first group is framed, the last two are bare.
FRAMES = (
    "do you have {p}?",
    "do you have any {p}",
    "Do you sell {p}?",
    "do you carry {p}",
    "do you stock {p}?",
    "have you got {p}?",
    "got any {p}?",
    "any {p}?",
    "I'm looking for {p}",
    "looking for {p}",
    "im searching for {p}",
    "I need {p}",
    "need a {p}",
    "I want {p}",
    "show me {p}",
    "show me some {p} please",
    "can you find me {p}?",
    "where can I find {p}?",
    "hi, do you have {p}?",
    "hey there, I'm looking for {p}",
    "is there a {p}",
    "need {p}",
    "could you show me {p}",
    "any chance you have {p}?",
)
BARE = ("{p}", "{p}?", "the {p}")


def _skip_or_fail(reason: str) -> None:
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def _words(text: str) -> list[str]:
    return re.findall(r"[\w$/-]+", text.lower().replace("'", ""))


def _kind(title: str) -> str:
    """The last two words of a title without numbers: what a shopper might type ("Casual Shirt")."""
    words = [w for w in title.split() if w.isalpha()]
    return " ".join(words[-2:])


def product_phrases(rng: random.Random) -> list[tuple[str, str]]:
    """(kind of phrase, phrase), from the demo catalogue and the real ones."""
    demo = list(_rows(DEMO))
    shopify = [row for path in SHOPIFY for row in _rows(path)]
    myntra = list(_rows(MYNTRA))
    phrases: set[tuple[str, str]] = set()
    phrases |= {("demo title", r["Title"]) for r in demo if r["Title"]}
    phrases |= {("model number", r["Variant SKU"]) for r in rng.sample(demo, 25) if r["Variant SKU"]}
    phrases |= {("brand", r["Vendor"]) for r in demo if r["Vendor"]}
    phrases |= {("shopify title", r["Title"]) for r in shopify if r["Title"]}
    for row in rng.sample(myntra, 80):
        title, brand = row["Product_Name"], row["Product_Brand"].strip()
        kind = _kind(title)
        phrases.add(("two-word phrase", kind))
        phrases.add(("brand", brand))
        phrases.add(("brand + kind", f"{brand} {kind.split()[-1]}"))
    for row in rng.sample(myntra, 15):
        phrases.add(("myntra title", row["Product_Name"]))
    return sorted(p for p in phrases if len(p[1].split()) >= 1 and len(_words(p[1])) >= 1)


def seeking_messages() -> list[tuple[str, str, str, str]]:
    """(message, phrase, kind of phrase, frame): each phrase in two frames and one bare form."""
    rng = random.Random(13)
    messages = []
    for kind, phrase in product_phrases(rng):
        for frame in (*rng.sample(FRAMES, 2), rng.choice(BARE)):
            messages.append((frame.format(p=phrase), phrase, kind, frame))
    return messages


@pytest.fixture(scope="module")
def parser():
    try:
        from benchmarks.nlu_accuracy import RasaParser
    except ImportError:
        _skip_or_fail("Rasa is not installed in this venv (run with the Rasa venv)")
    if not (MYNTRA.is_file() and SHOPIFY):
        _skip_or_fail(f"catalogue data not found under {DATA}")
    model = Path(os.environ["RASA_MODEL"]) if os.environ.get("RASA_MODEL") else newest_model()
    if model is None or not model.exists():
        _skip_or_fail("no trained model (set RASA_MODEL or train into var/models/)")
    return RasaParser(model)


def reaches_search(parsed: dict) -> bool:
    """Whether the actions send this message's product phrase to the search (see the module docstring)."""
    intent = (parsed.get("intent") or {}).get("name")
    entities = {e.get("entity") for e in parsed.get("entities") or []}
    words = len(str(parsed.get("text") or "").split())
    if "product_relation" in entities:
        return False  # "something like this": the similar-products answer, not a search
    if intent in SEARCH_INTENTS:
        return True
    if intent in LOOKUP_INTENTS:
        return "product" in entities
    if intent == "inform" and not entities & {"order_number", "email", "postcode", "city", "mention"}:
        return "product" in entities or (not entities and words <= MAX_BARE_PHRASE_WORDS)
    return False


def test_product_seeking_messages_reach_search_without_their_framing(parser):
    messages = seeking_messages()
    parsed = parser.parse([m for m, _, _, _ in messages])
    failures: list[str] = []
    by_kind: Counter[str] = Counter()
    missed_by_kind: Counter[str] = Counter()
    intents: Counter[str] = Counter()
    for (message, phrase, kind, _), result in zip(messages, parsed, strict=True):
        intent = (result.get("intent") or {}).get("name")
        intents[intent] += 1
        query = shopper_query(message).text
        routed, stripped = reaches_search(result), _words(query) == _words(phrase)
        by_kind[kind] += 1
        if not (routed and stripped):
            missed_by_kind[kind] += 1
            failures.append(f"{message!r}: intent {intent}, query {query!r}" + ("" if routed else " (not routed)"))
    rate = 1 - len(failures) / len(messages)
    print(f"\nproduct-seeking messages reaching search without framing: {rate:.3f} ({len(messages)} messages)")
    for kind in sorted(by_kind):
        print(f"  {kind}: {1 - missed_by_kind[kind] / by_kind[kind]:.3f} of {by_kind[kind]}")
    print("  intents:", dict(intents.most_common()))
    print("  misses:", *failures[:40], sep="\n    ")
    assert rate >= FLOOR, f"{rate:.3f} < {FLOOR}: {failures[:20]}"
