"""The stored CRF extractor loads the taggers it trained instead of fitting them again (Rasa venv)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("rasa")

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.stored_crf_entity_extractor import StoredCRFEntityExtractor

COLOURS = ["red", "blue", "green", "black", "white", "yellow"]
TEMPLATES = ["do you have it in {}", "show me the {} one", "I want a {} shirt", "is the {} jacket in stock"]
CONFIG = {**StoredCRFEntityExtractor.get_default_config(), "features": [["low"], ["bias", "low", "suffix3"], ["low"]]}


def example(template: str, colour: str) -> Message:
    text = template.format(colour)
    start = text.index(colour)
    entity = {"entity": "colour", "value": colour, "start": start, "end": start + len(colour)}
    return Message.build(text=text, intent="inform", entities=[entity])


def tokenized(messages: list[Message]) -> list[Message]:
    """Tokens, plus a placeholder feature: the extractor only looks at messages a featurizer saw."""
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    tokenizer.process_training_data(TrainingData(messages))
    for message in messages:
        message.add_features(Features(np.ones((1, 1)), FEATURE_TYPE_SENTENCE, TEXT, "placeholder"))
    return messages


def predicted(extractor: CRFEntityExtractor, text: str) -> list[tuple[str, str, str]]:
    (message,) = tokenized([Message.build(text=text)])
    extractor.process([message])
    return [(e["entity"], e["value"], e["extractor"]) for e in message.get("entities", [])]


@pytest.fixture
def trained(tmp_path: Path) -> tuple[LocalModelStorage, Resource]:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("crf")
    context = ExecutionContext(GraphSchema({}), "test")
    extractor = StoredCRFEntityExtractor.create(CONFIG, storage, resource, context)
    data = tokenized([example(t, c) for t in TEMPLATES for c in COLOURS])
    extractor.train(TrainingData(data))
    return storage, resource


def test_loading_opens_the_stored_taggers_without_fitting_again(
    trained: tuple[LocalModelStorage, Resource], monkeypatch: pytest.MonkeyPatch
) -> None:
    storage, resource = trained

    def no_fit(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the CRF was fitted again at load")

    monkeypatch.setattr(CRFEntityExtractor, "train_model", classmethod(no_fit))
    loaded = StoredCRFEntityExtractor.load(CONFIG, storage, resource, ExecutionContext(GraphSchema({}), "test"))
    assert predicted(loaded, "I want a blue shirt") == [("colour", "blue", "CRFEntityExtractor")]
    assert predicted(loaded, "where is my parcel") == []


def test_the_model_keeps_taggers_not_the_training_set(trained: tuple[LocalModelStorage, Resource]) -> None:
    storage, resource = trained
    with storage.read_from(resource) as model_dir:
        stored = sorted(path.name for path in model_dir.iterdir())
    assert stored == ["crf_entity.crfsuite", "crf_order.json"]
