"""A graph component trained on the shop's NLU data, stored, and loaded back as the Rasa server does."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data

NLU_DATA = Path(__file__).resolve().parents[2] / "bot" / "data" / "nlu"
Component = TypeVar("Component", bound=GraphComponent)


def trained_and_loaded(component: type[Component], directory: Path, config: dict[str, Any] | None = None) -> Component:
    storage = LocalModelStorage(directory)
    resource = Resource(component.__name__)
    context = ExecutionContext(GraphSchema({}), "test")
    settings = {**component.get_default_config(), **(config or {})}
    component.create(settings, storage, resource, context).train(load_data(str(NLU_DATA)))  # type: ignore[attr-defined]
    return component.load(settings, storage, resource, context)  # type: ignore[return-value]
