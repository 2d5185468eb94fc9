"""Entities whose value is a fixed name, found by the shop's own words: `product_relation`, `policy_topic`.

"Anything cheaper?", "something like this", "what replaced it" ask for a product *relative to* one in
the conversation (product_relation: similar, cheaper, successor, goes_with); "does it run true to
size", "how long is the warranty" ask a general question the shop's FAQ answers (policy_topic:
sizing, warranty, care, discounts, prices, returns, shipping). The actions only read these entities,
so the meaning of a message is decided here, once, and the words live in the NLU data
(`bot/data/nlu/entities/keywords.yml`) where an operator edits them, one file per language.

The words are Rasa regexes named ``<entity>:<value>``: Rasa's ``RegexEntityExtractor`` would use the
matched text as the value ("less expensive"); this one gives the name after the colon ("cheaper").
Where two regexes of one entity match overlapping text, the one listed first wins (EntityNormalizer
keeps one entity per span): "does the price include shipping" is about prices, not shipping.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.regex_entity_extractor import RegexEntityExtractor
from rasa.nlu.utils import pattern_utils
from rasa.shared.nlu.constants import ENTITY_ATTRIBUTE_TYPE, ENTITY_ATTRIBUTE_VALUE
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

SEPARATOR = ":"


def split_name(name: str) -> tuple[str, str] | None:
    """('product_relation', 'cheaper') for 'product_relation:cheaper'; None for an ordinary regex name."""
    entity, separator, value = name.partition(SEPARATOR)
    return (entity, value) if separator and entity and value else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class KeywordEntityExtractor(RegexEntityExtractor):
    """Regexes named ``<entity>:<value>`` give that entity with that value (see module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**RegexEntityExtractor.get_default_config(), "use_lookup_tables": False}

    def train(self, training_data: TrainingData) -> Resource:
        patterns = pattern_utils.extract_patterns(training_data, use_lookup_tables=False, use_regexes=True)
        self.patterns = [pattern for pattern in patterns if split_name(pattern["name"])]
        self.persist()
        return self._resource

    def _extract_entities(self, message: Message) -> list[dict[str, Any]]:
        entities = []
        for entity in super()._extract_entities(message):
            named = split_name(entity[ENTITY_ATTRIBUTE_TYPE])
            if named is not None:
                entity_type, value = named
                entities.append({**entity, ENTITY_ATTRIBUTE_TYPE: entity_type, ENTITY_ATTRIBUTE_VALUE: value})
        return entities
