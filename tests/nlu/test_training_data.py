"""The NLU training data covers exactly the contract's intents and entities, with enough examples.

The contract is docs/architecture.md, section "NLU contract"; the lists are parsed from it so the two
cannot drift apart. Runs in any venv with PyYAML (no Rasa needed).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from benchmarks.nlu_accuracy import BITEXT_INTENTS, load_training_examples, strip_entity_markup

ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = ROOT / "bot" / "data" / "nlu"
TEST_FILE = ROOT / "tests" / "nlu" / "test_nlu.yml"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

MIN_CUSTOMER_SERVICE = 55  # each of the 27 Bitext customer-service intents
MIN_OTHER = 20  # basics and shopping intents
MIN_HELD_OUT = 8


def _contract_section() -> str:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    start = text.index("## NLU contract")
    end = text.find("\n## ", start + 3)
    return text[start : end if end != -1 else None]


def contract_intents() -> dict[str, list[str]]:
    """{"Bitext customer service": [...], "Basics": [...], "Shopping": [...]} from the contract."""
    groups: dict[str, list[str]] = {}
    for item in re.split(r"\n- ", _contract_section())[1:]:
        head, _, body = item.partition(":")
        body = re.sub(r"\([^)]*\)", "", body)  # drop explanations in brackets
        body = body.split(".", 1)[0] if head.strip().startswith("Shopping") else body
        names = re.findall(r"\b[a-z]+(?:_[a-z]+)*\b", body.replace("\n", " "))
        groups[head.strip()] = [n for n in names if n not in {"the", "first", "are", "s"}]
    return groups


def contract_entities() -> list[str]:
    match = re.search(r"Entities: ([a-z_, ]+)\.", _contract_section())
    assert match, "entity list not found in docs/architecture.md"
    return [e.strip() for e in match.group(1).split(",")]


def _yaml_blocks(path: Path):
    for file in sorted(path.rglob("*.yml")) if path.is_dir() else [path]:
        yield from (yaml.safe_load(file.read_text(encoding="utf-8")) or {}).get("nlu") or []


def test_contract_parses_as_expected():
    groups = contract_intents()
    bitext = next(v for k, v in groups.items() if k.startswith("Bitext"))
    assert tuple(sorted(bitext)) == tuple(sorted(BITEXT_INTENTS))
    basics = next(v for k, v in groups.items() if k.startswith("Basics"))
    assert {"greet", "inform", "stop", "out_of_scope"} <= set(basics)
    assert len(contract_entities()) == 13


def test_training_data_covers_exactly_the_contract_intents():
    expected = {name for names in contract_intents().values() for name in names}
    found = {intent for _, intent in load_training_examples(NLU_DIR)}
    assert found == expected, f"missing {sorted(expected - found)}, unexpected {sorted(found - expected)}"


def test_every_intent_has_enough_examples():
    counts = Counter(intent for _, intent in load_training_examples(NLU_DIR))
    too_few = {
        intent: n
        for intent, n in counts.items()
        if n < (MIN_CUSTOMER_SERVICE if intent in BITEXT_INTENTS else MIN_OTHER)
    }
    assert not too_few, f"intents with too few examples: {too_few}"


def test_no_duplicate_or_conflicting_examples():
    seen: dict[str, str] = {}
    clashes = []
    for text, intent in load_training_examples(NLU_DIR):
        key = " ".join(text.lower().split())
        if key in seen:
            clashes.append((text, seen[key], intent))
        seen[key] = intent
    assert not clashes, f"duplicate examples (text, first intent, second intent): {clashes[:20]}"


def keyword_entities() -> set[str]:
    """Entities with fixed values, found by regexes named <entity>:<value> (nlu/keyword_entity_extractor.py)."""
    names = [str(b["regex"]) for b in _yaml_blocks(NLU_DIR) if "regex" in b]
    return {name.split(":", 1)[0] for name in names if ":" in name}


def test_only_contract_entities_are_annotated():
    allowed = set(contract_entities())
    used = Counter()
    for block in _yaml_blocks(NLU_DIR):
        for line in str(block.get("examples", "")).splitlines():
            used.update(re.findall(r"\]\(([a-z_]+)\)", line))
            used.update(re.findall(r'"entity":\s*"([a-z_]+)"', line))
    assert set(used) <= allowed, f"unknown entities: {set(used) - allowed}"
    found = set(used) | keyword_entities()
    assert allowed <= found, f"entities neither annotated nor found by keywords: {allowed - found}"
    assert keyword_entities() == {"product_relation", "policy_topic"}


def test_regexes_and_lookups_name_contract_entities():
    allowed = set(contract_entities())
    names = [b.get("regex") or b.get("lookup") for b in _yaml_blocks(NLU_DIR) if "regex" in b or "lookup" in b]
    assert names and {str(name).split(":", 1)[0] for name in names} <= allowed


@pytest.mark.parametrize(
    "text",
    ["104532", "#104532", "order no. 104532", "no, the other order, 118204"],
)
def test_order_number_regex(text):
    block = next(b for b in _yaml_blocks(NLU_DIR) if b.get("regex") == "order_number")
    pattern = str(block["examples"]).strip()[2:]
    assert [m.group(0) for m in re.finditer(pattern, text)] in (["104532"], ["118204"])
    assert not re.search(pattern, "call 5551234567 or zip 94107")


def test_held_out_file_is_separate_and_complete():
    train = {" ".join(t.lower().split()) for t, _ in load_training_examples(NLU_DIR)}
    held_out = load_training_examples(TEST_FILE.parent)
    held_out = [(t, i) for t, i in held_out if t]  # only tests/nlu/*.yml
    overlap = [t for t, _ in held_out if " ".join(t.lower().split()) in train]
    assert not overlap, f"held-out examples also in training data: {overlap}"
    counts = Counter(i for _, i in held_out)
    expected = {name for names in contract_intents().values() for name in names}
    assert set(counts) == expected
    assert min(counts.values()) >= MIN_HELD_OUT


def test_markup_stripping():
    assert strip_entity_markup("track [#104532](order_number) now") == "track #104532 now"
    assert strip_entity_markup('a [tee]{"entity": "product", "value": "t-shirt"}') == "a tee"
