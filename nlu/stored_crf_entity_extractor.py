"""Rasa's CRF entity extractor, stored as trained instead of trained again at every start.

Rasa 3.6's ``CRFEntityExtractor`` keeps its training set in the model and fits the CRFs again each
time the model is loaded (it avoids pickling the crfsuite objects). With the training variations
(nlu/variations) that fit took 96 s of every Rasa start on these machines, and every restart of the
server after a crash paid it too. This subclass writes the crfsuite model files the fit produced
(crfsuite's own binary format, read by crfsuite itself: nothing is unpickled) and opens them at load:
the same taggers, in well under a second.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor, CRFToken

logger = logging.getLogger(__name__)

ORDER_FILE = "crf_order.json"


def tagger_file(model_dir: Path, tag_name: str) -> Path:
    """Where the CRF for one tag (entity, role or group) is stored inside the component's resource."""
    return model_dir / f"crf_{tag_name}.crfsuite"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class StoredCRFEntityExtractor(CRFEntityExtractor):
    """``CRFEntityExtractor`` whose trained taggers are part of the model."""

    @property
    def name(self) -> str:
        # Entities keep saying which kind of extractor found them (rasa test, EntityNormalizer).
        return CRFEntityExtractor.__name__

    def persist(self, dataset: list[list[CRFToken]]) -> None:
        """Stores the fitted taggers; the training set itself is not needed to load them."""
        with self._model_storage.write_to(self._resource) as model_dir:
            rasa.shared.utils.io.dump_obj_as_json_to_file(model_dir / ORDER_FILE, self.crf_order)
            for tag_name, tagger in (self.entity_taggers or {}).items():
                tagger_file(model_dir, tag_name).write_bytes(Path(tagger.modelfile.name).read_bytes())

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> StoredCRFEntityExtractor:
        try:
            with model_storage.read_from(resource) as model_dir:
                crf_order = rasa.shared.utils.io.read_json_file(model_dir / ORDER_FILE)
                taggers = OrderedDict((name, open_tagger(tagger_file(model_dir, name))) for name in crf_order)
        except ValueError:
            logger.warning("no trained CRF in the model (resource %r): entities will not be extracted", resource.name)
            return cls(config, model_storage, resource)
        extractor = cls(config, model_storage, resource, taggers)
        extractor.crf_order = crf_order
        return extractor


def open_tagger(stored: Path) -> Any:
    """A CRF reading a copy of ``stored`` in a temporary file it owns (the model directory may go away)."""
    import sklearn_crfsuite

    crf = sklearn_crfsuite.CRF()
    crf.modelfile.ensure_name()  # a temporary file, deleted with the CRF
    Path(crf.modelfile.name).write_bytes(stored.read_bytes())
    if crf.tagger_ is None:  # opens it now, so a damaged file fails the load rather than the first message
        raise RuntimeError(f"no CRF model in {stored}")
    return crf
