"""Marks keyboard noise ("asdkjh qwe", "zzzz"): a message none of whose words the assistant knows.

Three messages in a row the NLU could not understand hand the conversation to a person
(nlu/handoff_policy.py, contracts/frustration.py). That is right for real requests the assistant
cannot serve, wrong for noise: three lines of keyboard mash or a script cost an agent's time. A
message is noise when it has words and none of them occurs in the training data: the examples (but
out_of_scope's, which include noise on purpose), the variants nlu/variations adds (so "ordr" and
other typos of real words are known), lookup tables and synonyms. Digits, e-mails and punctuation
are not words here: "104532" is never noise.

Sets ``noise: {"noise": bool, "words": n, "known_words": k}`` on every message; it is in
/model/parse and in the tracker's parse data, where the hand-off policy reads it, only for a message
the NLU did not understand (the sentence encoder is multilingual: "quiero devolver mi pedido" has no
known word and is still read as get_refund).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from contracts.frustration import NOISE_KEY

logger = logging.getLogger(__name__)

VOCABULARY_FILE = "vocabulary.json"
# out_of_scope's examples include keyboard noise on purpose ("asdfgh", "blorp fnarg"), to teach the
# intent classifier what noise looks like: their words are not vocabulary.
NOT_VOCABULARY_INTENTS = frozenset({"out_of_scope"})
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def words_of(text: str) -> list[str]:
    return WORD.findall(text.lower())


def training_vocabulary(training_data: TrainingData) -> set[str]:
    """Every word the assistant was trained on, in examples, lookup tables and synonyms."""
    vocabulary: set[str] = set()
    for example in training_data.training_examples:
        if example.get(INTENT) not in NOT_VOCABULARY_INTENTS:
            vocabulary.update(words_of(str(example.get(TEXT) or "")))
    for table in training_data.lookup_tables:
        for element in table.get("elements") or []:
            vocabulary.update(words_of(str(element)))
    for said, value in training_data.entity_synonyms.items():
        vocabulary.update(words_of(f"{said} {value}"))
    return vocabulary


def noise_verdict(text: str, vocabulary: set[str] | frozenset[str]) -> dict[str, Any]:
    words = words_of(text)
    known = sum(1 for word in words if word in vocabulary)
    return {"noise": bool(words) and known == 0, "words": len(words), "known_words": known}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class NoiseDetector(GraphComponent):
    """Marks messages with no known word as noise (see module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, model_storage: ModelStorage, resource: Resource, vocabulary: frozenset[str]) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> NoiseDetector:
        return cls(model_storage, resource, frozenset())

    def train(self, training_data: TrainingData) -> Resource:
        self.vocabulary = frozenset(training_vocabulary(training_data))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(sorted(self.vocabulary)), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> NoiseDetector:
        try:
            with model_storage.read_from(resource) as directory:
                words = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("NoiseDetector has no vocabulary in the model: no message is marked as noise")
            words = []
        return cls(model_storage, resource, frozenset(words))

    def process(self, messages: list[Message]) -> list[Message]:
        if not self.vocabulary:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and text.strip():
                message.set(NOISE_KEY, noise_verdict(text, self.vocabulary), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
