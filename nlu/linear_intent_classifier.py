"""Fast linear intent classifier: TF-IDF word + char n-grams and dense sentence features.

A multinomial logistic regression over three L2-normalised blocks:

- TF-IDF of word 1-2-grams of the lower-cased text;
- TF-IDF of char_wb 2-5-grams (robust to typos, missing apostrophes, run-together words);
- the message's dense sentence features from earlier featurizers (e.g. the Universal Sentence
  Encoder in ``nlu.use_featurizer``), if there are any.

It trains in seconds (DIET needs minutes on 2 cores) and gives calibrated-enough probabilities for
the FallbackClassifier. Persisted as JSON + NumPy arrays (no pickle).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)


def _vectorizers(config: dict[str, Any]) -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    word = TfidfVectorizer(
        lowercase=True, ngram_range=tuple(config["word_ngrams"]), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"
    )
    char = TfidfVectorizer(
        lowercase=True, analyzer="char_wb", ngram_range=tuple(config["char_ngrams"]), sublinear_tf=True
    )
    return word, char


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    """Logistic regression on TF-IDF (word + char) and dense sentence features."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 20.0,  # inverse regularisation strength
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "dense_weight": 1.0,  # scale of the dense block relative to the TF-IDF blocks
            "max_iter": 3000,
            "ranking_length": 10,
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, name: str) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._name = name
        self.word, self.char = _vectorizers(self.config)
        self.coef: np.ndarray | None = None
        self.intercept: np.ndarray | None = None
        self.classes: list[str] = []
        self.dense_dim = 0

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource, execution_context.node_name)

    # ------------------------------------------------------------------ features

    def _dense(self, messages: list[Message]) -> np.ndarray | None:
        if not self.dense_dim:
            return None
        rows = []
        for message in messages:
            _, sentence = message.get_dense_features(TEXT)
            rows.append(
                sentence.features.reshape(-1)[: self.dense_dim] if sentence is not None else np.zeros(self.dense_dim)
            )
        return np.asarray(rows, dtype=np.float32) * float(self.config["dense_weight"])

    def _matrix(self, messages: list[Message]) -> sp.csr_matrix:
        texts = [m.get(TEXT) or "" for m in messages]
        blocks = [self.word.transform(texts), self.char.transform(texts)]
        dense = self._dense(messages)
        if dense is not None:
            blocks.append(sp.csr_matrix(dense))
        return sp.hstack(blocks).tocsr()

    # ------------------------------------------------------------------ training

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug("LinearIntentClassifier: no intent examples, nothing to train.")
            return self._resource
        texts = [e.get(TEXT) for e in examples]
        self.word.fit(texts)
        self.char.fit(texts)
        _, sentence = examples[0].get_dense_features(TEXT)
        self.dense_dim = int(sentence.features.shape[-1]) if sentence is not None else 0
        clf = LogisticRegression(C=float(self.config["C"]), max_iter=int(self.config["max_iter"]), random_state=42)
        clf.fit(self._matrix(examples), [e.get(INTENT) for e in examples])
        self.coef = clf.coef_.astype(np.float32)
        self.intercept = clf.intercept_.astype(np.float32)
        self.classes = [str(c) for c in clf.classes_]
        self.persist()
        return self._resource

    # ------------------------------------------------------------------ inference

    def predict_proba(self, messages: list[Message]) -> np.ndarray:
        coef, intercept = self._weights()
        scores = self._matrix(messages) @ coef.T + intercept
        scores = np.asarray(scores) - np.max(scores, axis=1, keepdims=True)
        probs = np.exp(scores)
        return probs / probs.sum(axis=1, keepdims=True)

    def process(self, messages: list[Message]) -> list[Message]:
        if self.coef is None:
            return messages
        todo = [m for m in messages if m.get(TEXT)]
        if not todo:
            return messages
        probs = self.predict_proba(todo)
        length = int(self.config["ranking_length"])
        for message, row in zip(todo, probs, strict=True):
            order = np.argsort(-row)
            ranking = [{"name": self.classes[i], "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[:length] if length > 0 else ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def _weights(self) -> tuple[np.ndarray, np.ndarray]:
        """The trained weights; asking an untrained classifier is a bug of the caller, not a zero answer."""
        if self.coef is None or self.intercept is None:
            raise RuntimeError("the linear intent classifier is not trained")
        return self.coef, self.intercept

    # ------------------------------------------------------------------ persistence

    def persist(self) -> None:
        coef, intercept = self._weights()
        with self._model_storage.write_to(self._resource) as directory:
            meta = {
                "classes": self.classes,
                "dense_dim": self.dense_dim,
                "word_vocabulary": {k: int(v) for k, v in self.word.vocabulary_.items()},
                "char_vocabulary": {k: int(v) for k, v in self.char.vocabulary_.items()},
            }
            (directory / "linear_intent_classifier.json").write_text(json.dumps(meta), encoding="utf-8")
            np.savez_compressed(
                directory / "linear_intent_classifier.npz",
                coef=coef,
                intercept=intercept,
                word_idf=self.word.idf_,
                char_idf=self.char.idf_,
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        component = cls(config, model_storage, resource, execution_context.node_name)
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / "linear_intent_classifier.json").read_text(encoding="utf-8"))
                with np.load(directory / "linear_intent_classifier.npz", allow_pickle=False) as arrays:
                    coef, intercept = arrays["coef"], arrays["intercept"]
                    word_idf, char_idf = arrays["word_idf"], arrays["char_idf"]
        except (ValueError, FileNotFoundError):
            logger.warning("LinearIntentClassifier: no trained model found in storage, it will not predict.")
            return component
        component.word.vocabulary_ = meta["word_vocabulary"]
        component.word.idf_ = word_idf
        component.char.vocabulary_ = meta["char_vocabulary"]
        component.char.idf_ = char_idf
        component.coef, component.intercept = coef, intercept
        component.classes, component.dense_dim = meta["classes"], int(meta["dense_dim"])
        return component
