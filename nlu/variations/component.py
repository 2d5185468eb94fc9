"""Rasa graph component that adds phenomenon variants of the training examples while a model trains.

Why a component and not generated YAML: the variants are derived data, so they are made from the one
source (bot/data/nlu) every time a model trains, with a fixed seed, and nothing derived is stored in the
repository. At parse time the component does nothing. Listed first in config.yml's pipeline so the
tokenizer and featurizers see the variants like any other example.

Config (config.yml):
    phenomena: which rewrites to use (default: all of nlu.variations.phenomena.PHENOMENA);
    variants_per_example: how many variants to try for each example (default 2);
    skip_intents: intents left as written (greetings, yes/no... whose wording is not a request);
    seed: the base of every example's random generator.
"""

from __future__ import annotations

from random import Random
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.variations.example import Example
from nlu.variations.phenomena import PHENOMENA

DEFAULT_SKIP_INTENTS = (
    "greet", "goodbye", "thank", "affirm", "deny", "inform", "stop", "bot_challenge", "chitchat",
    "out_of_scope", "nlu_fallback",
)  # fmt: skip


def variants(example: Example, phenomena: list[str], count: int, seed: int) -> list[Example]:
    """Up to `count` distinct variants of one example; the same example always gets the same ones."""
    rng = Random(f"{seed}:{example.intent}:{example.text}")
    found: dict[str, Example] = {}
    for _ in range(count * 3):  # a phenomenon may not apply: try others a few times
        if len(found) >= count:
            break
        variant = PHENOMENA[rng.choice(phenomena)](example, rng)
        if variant is not None and variant.text.strip() and variant.text != example.text:
            found.setdefault(variant.text, variant)
    return list(found.values())


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class TrainingVariations(GraphComponent):
    """Adds phenomenon variants (indirect, polite, offensive, typos, inflection, colloquial) at training time."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "phenomena": list(PHENOMENA),
            "variants_per_example": 2,
            "skip_intents": list(DEFAULT_SKIP_INTENTS),
            "seed": 7,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        unknown = set(config["phenomena"]) - set(PHENOMENA)
        if unknown:
            raise ValueError(f"unknown phenomena {sorted(unknown)}; known: {sorted(PHENOMENA)}")
        self._phenomena = list(config["phenomena"])
        self._count = int(config["variants_per_example"])
        self._skip = set(config["skip_intents"])
        self._seed = int(config["seed"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TrainingVariations:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        if not self._phenomena or self._count <= 0:
            return training_data
        known = {message.get(TEXT, "").lower(): message.get(INTENT) for message in training_data.training_examples}
        added: list[Message] = []
        for message in training_data.intent_examples:
            intent = message.get(INTENT)
            if intent in self._skip or not message.get(TEXT):
                continue
            try:
                example = Example.from_annotated(message.get(TEXT), intent, message.get(ENTITIES) or [])
            except ValueError:
                continue
            for variant in variants(example, self._phenomena, self._count, self._seed):
                key = variant.text.lower()
                if key in known:  # never teach a second intent for a sentence we already have
                    continue
                known[key] = intent
                added.append(Message.build(text=variant.text, intent=intent, entities=variant.entities()))
        return training_data.merge(TrainingData(training_examples=added))

    def process(self, messages: list[Message]) -> list[Message]:
        return messages
