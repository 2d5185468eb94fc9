"""product_relation and policy_topic come from the shop's words in the NLU data (Rasa venv)."""

from __future__ import annotations

import pytest

pytest.importorskip("rasa")

from rasa.shared.nlu.training_data.message import Message

from nlu.entity_normalizer import normalize_entities
from nlu.keyword_entity_extractor import KeywordEntityExtractor, split_name
from tests.nlu.shop_trained import trained_and_loaded


@pytest.fixture(scope="module")
def extractor(tmp_path_factory: pytest.TempPathFactory) -> KeywordEntityExtractor:
    return trained_and_loaded(KeywordEntityExtractor, tmp_path_factory.mktemp("keywords"))


def found(extractor: KeywordEntityExtractor, text: str) -> list[tuple[str, str]]:
    message = Message.build(text=text)
    extractor.process([message])
    return [(e["entity"], e["value"]) for e in normalize_entities(message.get("entities", []))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("something like this but cheaper", [("product_relation", "similar"), ("product_relation", "cheaper")]),
        ("Anything LESS EXPENSIVE?", [("product_relation", "cheaper")]),
        ("what replaced the Trailblazer Hiking Boots", [("product_relation", "successor")]),
        ("is there a replacement for it", [("product_relation", "successor")]),
        ("what goes well with this jacket", [("product_relation", "goes_with")]),
        ("how long is the warranty", [("policy_topic", "warranty")]),
        ("does it run true to size", [("policy_topic", "sizing")]),
        ("can I put it in the dishwasher", [("policy_topic", "care")]),
        # overlapping words: the regex listed first in keywords.yml wins (prices before shipping)
        ("does the price include shipping", [("policy_topic", "prices")]),
        ("where is my order", []),
        ("I'd like the blue one", []),
    ],
)
def test_the_message_gets_the_fixed_values(extractor: KeywordEntityExtractor, text: str, expected: list) -> None:
    assert found(extractor, text) == expected


def test_only_regexes_named_entity_and_value_are_used(extractor: KeywordEntityExtractor) -> None:
    names = {pattern["name"] for pattern in extractor.patterns}
    assert names and all(split_name(name) for name in names)
    assert split_name("order_number") is None and split_name("policy_topic:") is None
    assert {split_name(name)[0] for name in names} == {"product_relation", "policy_topic"}  # type: ignore[index]
