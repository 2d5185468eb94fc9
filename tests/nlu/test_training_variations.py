"""The training variations (nlu/variations): entity spans survive, frames fit the intent, runs repeat."""

from __future__ import annotations

from pathlib import Path
from random import Random

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from nlu.variations.component import DEFAULT_SKIP_INTENTS, TrainingVariations, variants
from nlu.variations.example import Example
from nlu.variations.phenomena import PERSON_INTENTS, PHENOMENA, gerund, indirect, request_core, typos

NLU_DIR = Path(__file__).resolve().parents[2] / "bot" / "data" / "nlu"


@pytest.fixture(scope="module")
def training_data():
    return load_data(str(NLU_DIR))


@pytest.fixture(scope="module")
def examples(training_data) -> list[Example]:
    return [
        Example.from_annotated(m.get("text"), m.get("intent"), m.get("entities") or [])
        for m in training_data.intent_examples
    ]


def test_every_variant_keeps_each_entity_text_and_annotation(examples):
    checked = 0
    for example in examples:
        original = [(e["entity"], example.text[e["start"] : e["end"]], e.get("value")) for e in example.entities()]
        for name, phenomenon in PHENOMENA.items():
            for seed in range(3):
                variant = phenomenon(example, Random(seed))
                if variant is None:
                    continue
                kept = [(e["entity"], variant.text[e["start"] : e["end"]], e.get("value")) for e in variant.entities()]
                assert kept == original, (name, example.text, variant.text)
                assert variant.intent == example.intent
                checked += 1
    assert checked > len(examples) * 6  # most phenomena apply to most examples


def test_request_core_drops_the_opening_and_the_tail():
    assert request_core(Example.from_annotated("I'd like to cancel my order, please.", "cancel_order")).text == (
        "cancel my order"
    )
    assert request_core(Example.from_annotated("How do I get my invoice?", "get_invoice")).text == "get my invoice"
    assert request_core(Example.from_annotated("where is my package", "track_order")) is None


def test_request_core_keeps_an_entity_span():
    text = "please cancel order 104532"
    example = Example.from_annotated(text, "cancel_order", [{"start": 20, "end": 26, "entity": "order_number"}])
    core = request_core(example)
    assert core is not None and core.text == "cancel order 104532"
    assert core.entities() == [{"entity": "order_number", "start": 13, "end": 19}]


def test_indirect_frames_never_name_a_person_for_the_intents_that_ask_for_one(examples):
    person_words = ("agent", "someone", "person")
    for example in (e for e in examples if e.intent in PERSON_INTENTS):
        for seed in range(10):
            variant = indirect(example, Random(seed))
            if variant is None:
                continue
            frame = variant.text.replace(example.text, "")
            assert not any(word in frame.lower() for word in person_words if word not in example.text.lower())


def test_indirect_frame_can_name_an_agent_for_an_ordinary_request():
    example = Example.from_annotated("get my invoice", "get_invoice")
    frames = {indirect(example, Random(seed)).text for seed in range(200)}
    assert any("agent" in frame and frame.endswith(("get my invoice", "get my invoice?")) for frame in frames)


def test_typos_change_a_word_but_never_an_entity():
    text = "cancel order 104532 immediately"
    example = Example.from_annotated(text, "cancel_order", [{"start": 13, "end": 19, "entity": "order_number"}])
    for seed in range(50):
        variant = typos(example, Random(seed))
        assert variant is not None and variant.text != text
        assert "104532" in variant.text


def test_gerund_spelling():
    assert [gerund(v) for v in ("cancel", "track", "change", "reset", "see")] == [
        "cancelling",
        "tracking",
        "changing",
        "resetting",
        "seeing",
    ]


def test_variants_repeat_for_the_same_example_and_differ_from_it():
    example = Example.from_annotated("I want to track my order", "track_order")
    first = [v.text for v in variants(example, list(PHENOMENA), 3, seed=7)]
    again = [v.text for v in variants(example, list(PHENOMENA), 3, seed=7)]
    assert first == again and len(first) == 3
    assert example.text not in first


def test_component_adds_variants_only_for_request_intents(training_data):
    component = TrainingVariations({**TrainingVariations.get_default_config(), "variants_per_example": 2})
    varied = component.process_training_data(training_data)
    before = {m.get("text").lower(): m.get("intent") for m in training_data.intent_examples}
    added = [m for m in varied.intent_examples if m.get("text").lower() not in before]
    assert len(added) > len(training_data.intent_examples)  # about two per request example
    assert not {m.get("intent") for m in added} & set(DEFAULT_SKIP_INTENTS)
    assert len({m.get("text").lower() for m in added}) == len(added)
    assert varied.entity_synonyms == training_data.entity_synonyms
    assert varied.regex_features == training_data.regex_features


def test_component_with_no_phenomena_changes_nothing(training_data):
    component = TrainingVariations({**TrainingVariations.get_default_config(), "phenomena": []})
    assert component.process_training_data(training_data) is training_data


def test_component_refuses_an_unknown_phenomenon():
    with pytest.raises(ValueError, match="unknown phenomena"):
        TrainingVariations({**TrainingVariations.get_default_config(), "phenomena": ["sarcasm"]})
