"""Clean up the entities of a parsed message after all extractors have run.

DIET and RegexEntityExtractor both extract order numbers, emails and ZIP codes, and DIET keeps the
characters a shopper typed ("#104532"). This component, listed after the extractors, makes the
values what the actions expect and keeps one entity per span:

- order_number: digits only, six digits 100000-999999 (else dropped);
- email: lower-cased, must contain "@" (else dropped);
- postcode: five-digit US ZIP, optionally ZIP+4 (else dropped);
- overlapping entities: the regex extractor wins for order_number/email/postcode, otherwise the
  first (DIET) one is kept.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

REGEX_TYPES = {"order_number", "email", "postcode"}
REGEX_EXTRACTOR = "RegexEntityExtractor"
_ORDER = re.compile(r"^[1-9]\d{5}$")
_ZIP = re.compile(r"^\d{5}(?:-\d{4})?$")


def normalize_value(entity_type: str, value: Any) -> Any | None:
    """The cleaned value, or None when the entity should be dropped."""
    if entity_type == "order_number":
        digits = re.sub(r"\D", "", str(value))
        return digits if _ORDER.match(digits) else None
    if entity_type == "email":
        text = str(value).strip().strip(".,;:!?<>()[]\"'").lower()
        return text if "@" in text and "." in text.split("@")[-1] else None
    if entity_type == "postcode":
        text = str(value).strip()
        return text if _ZIP.match(text) else None
    return value


def _priority(entity: dict[str, Any]) -> int:
    return 0 if entity.get(ENTITY_ATTRIBUTE_TYPE) in REGEX_TYPES and entity.get(EXTRACTOR) == REGEX_EXTRACTOR else 1


def normalize_entities(entities: list[dict[str, Any]], name: str = "EntityNormalizer") -> list[dict[str, Any]]:
    cleaned = []
    for entity in entities:
        value = normalize_value(entity.get(ENTITY_ATTRIBUTE_TYPE, ""), entity.get(ENTITY_ATTRIBUTE_VALUE))
        if value is None:
            continue
        if value != entity.get(ENTITY_ATTRIBUTE_VALUE):
            entity = {**entity, ENTITY_ATTRIBUTE_VALUE: value}
            entity["processors"] = [*entity.get("processors", []), name]
        cleaned.append(entity)
    kept: list[dict[str, Any]] = []
    # stable: regex entities of the regex types first, then the rest in their original order
    for entity in sorted(cleaned, key=_priority):
        start, end = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
        overlaps = any(
            start is not None
            and other.get(ENTITY_ATTRIBUTE_START) is not None
            and start < other[ENTITY_ATTRIBUTE_END]
            and other[ENTITY_ATTRIBUTE_START] < end
            and (
                other[ENTITY_ATTRIBUTE_TYPE] == entity[ENTITY_ATTRIBUTE_TYPE]
                or other[ENTITY_ATTRIBUTE_TYPE] in REGEX_TYPES
            )
            for other in kept
        )
        if not overlaps:
            kept.append(entity)
    kept.sort(key=lambda e: (e.get(ENTITY_ATTRIBUTE_START) or 0, e.get(ENTITY_ATTRIBUTE_END) or 0))
    return kept


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class EntityNormalizer(GraphComponent):
    """Normalizes and de-duplicates extracted entities (see module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, name: str) -> None:
        self._name = name

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EntityNormalizer:
        return cls(execution_context.node_name)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entities = message.get(ENTITIES)
            if entities:
                message.set(ENTITIES, normalize_entities(entities, "EntityNormalizer"), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
