"""Unanswered questions grouped into topics: agglomerative clustering of the fallback messages.

Two ways to turn a message into a vector, compared on labelled Bitext messages by
`benchmarks/analytics_topics.py` (docs/analytics.md has the numbers): TF-IDF over words and
character n-grams (scikit-learn), and all-MiniLM-L6-v2 sentence embeddings (the packaged encoder of
knowledge_graph/product_encoder.py). Both are clustered the same way: average linkage on cosine
distance, cut at a distance, so the number of topics follows the data. A topic is named by the
words that set it apart (its TF-IDF centroid's top terms) and shown with the messages nearest its
centre."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

Embedding = Literal["tfidf", "minilm"]
Embedder = Callable[[Sequence[str]], np.ndarray]
# Cosine distances at which two groups stop merging, per embedding (tuned on Bitext, see the benchmark).
CUT = {"tfidf": 0.8, "minilm": 0.55}
EXAMPLES = 3
LABEL_WORDS = 3


@dataclass(frozen=True)
class Topic:
    """Messages the bot could not answer that say much the same thing; `count` counts repeats too."""

    label: str
    count: int
    examples: list[str]
    messages: list[str]


def tfidf_vectors(texts: Sequence[str]) -> np.ndarray:
    """Words and in-word character n-grams (typos, plurals), L2-normalised rows."""
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1)
    return vectorizer.fit_transform(texts).toarray().astype(np.float32)


def minilm_vectors(texts: Sequence[str]) -> np.ndarray:
    """all-MiniLM-L6-v2 from its package (loads torch-free ONNX; seconds on first use)."""
    from knowledge_graph.product_encoder import get_encoder  # heavy: only when asked for

    return np.asarray(get_encoder().encode(list(texts)), dtype=np.float32)


EMBEDDERS: dict[Embedding, Embedder] = {"tfidf": tfidf_vectors, "minilm": minilm_vectors}


def cluster(vectors: np.ndarray, cut: float) -> np.ndarray:
    """A cluster number per row; a single row is its own cluster."""
    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=int)
    model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average", distance_threshold=cut)
    return np.asarray(model.fit_predict(vectors))


def group(
    texts: Sequence[str], counts: Sequence[int] | None = None, embedding: Embedding = "tfidf", cut: float | None = None
) -> list[Topic]:
    """Distinct `texts` (with how often each was asked) into topics, the most asked first."""
    if not texts:
        return []
    counts = list(counts) if counts is not None else [1] * len(texts)
    vectors = EMBEDDERS[embedding](texts)
    labels = cluster(vectors, CUT[embedding] if cut is None else cut)
    names = _label_words(texts, labels)
    topics = []
    for label in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == label)
        centre = vectors[members].mean(axis=0)
        nearest = members[np.argsort(-(vectors[members] @ centre), kind="stable")]
        topics.append(
            Topic(
                label=names[label],
                count=sum(counts[i] for i in members),
                examples=[texts[i] for i in nearest[:EXAMPLES]],
                messages=[texts[i] for i in nearest],
            )
        )
    return sorted(topics, key=lambda topic: (-topic.count, topic.label))


def _label_words(texts: Sequence[str], labels: np.ndarray) -> dict[int, str]:
    """Each cluster's most distinctive words (its mean TF-IDF over words, English stop words left out)."""
    try:
        vectorizer = TfidfVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # nothing but stop words and numbers
        return {int(label): texts[int(np.flatnonzero(labels == label)[0])][:40] for label in set(labels.tolist())}
    words = np.asarray(vectorizer.get_feature_names_out())
    names = {}
    for label in set(labels.tolist()):
        weights = np.asarray(matrix[labels == label].mean(axis=0)).ravel()
        top = [words[i] for i in np.argsort(-weights, kind="stable")[:LABEL_WORDS] if weights[i] > 0]
        names[int(label)] = " / ".join(top) or texts[int(np.flatnonzero(labels == label)[0])][:40]
    return names
