"""Recommendation algorithms on plain numpy/scipy data, independent of HTTP and storage.

Items and users are dense integer indexes; the caller maps ids. Every scorer returns a dense
float vector over all items (higher is better) so the hybrid can blend them after normalising.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

# How strongly each kind of interaction says "I like this" (implicit feedback).
EVENT_WEIGHTS: Mapping[str, float] = {"view": 1.0, "add_to_cart": 3.0, "purchase": 5.0}


def event_weight(kind: str, rating: float | None = None) -> float:
    """Ratings 1-5 map to 0-6 (a 1- or 2-star rating is no evidence of liking); others use EVENT_WEIGHTS."""
    if kind == "rating":
        return max((rating or 0.0) - 2.0, 0.0) * 2.0
    return EVENT_WEIGHTS.get(kind, 0.0)


def interaction_matrix(
    users: npt.ArrayLike, items: npt.ArrayLike, weights: npt.ArrayLike, shape: tuple[int, int]
) -> sp.csr_matrix:
    """Sums repeated events, then log-damps them so one obsessive shopper does not dominate similarity."""
    matrix = sp.csr_matrix((np.asarray(weights, dtype=np.float32), (np.asarray(users), np.asarray(items))), shape=shape)
    matrix.sum_duplicates()
    matrix.data = np.log1p(matrix.data).astype(np.float32)
    matrix.eliminate_zeros()
    return matrix


def top_n_per_row(matrix: sp.csr_matrix, n: int) -> sp.csr_matrix:
    """Keeps the n largest entries of each row: serving then multiplies a much sparser matrix."""
    matrix = matrix.tocsr()
    indptr, indices, data = [0], [], []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        values = matrix.data[start:end]
        cols = matrix.indices[start:end]
        if len(values) > n:
            keep = np.argpartition(-values, n - 1)[:n]
            values, cols = values[keep], cols[keep]
        indices.append(cols)
        data.append(values)
        indptr.append(indptr[-1] + len(values))
    flat_indices = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int32)
    flat_data = np.concatenate(data) if data else np.zeros(0, dtype=np.float32)
    return sp.csr_matrix((flat_data, flat_indices, np.asarray(indptr)), shape=matrix.shape)


def item_similarity(matrix: sp.csr_matrix, neighbours: int = 50) -> sp.csr_matrix:
    """Cosine between item columns of the user×item matrix, without the diagonal, top-N per item."""
    if matrix.nnz == 0:  # no interactions logged yet
        return sp.csr_matrix((matrix.shape[1], matrix.shape[1]), dtype=np.float32)
    columns = normalize(matrix.tocsc().astype(np.float32), axis=0)
    similarity = (columns.T @ columns).tocsr()
    similarity.setdiag(0.0)
    similarity.eliminate_zeros()
    return top_n_per_row(similarity, neighbours)


def item_cf_scores(profile: np.ndarray, similarity: sp.csr_matrix) -> np.ndarray:
    """score(i) = Σ_j profile(j) · sim(j, i): items similar to what the shopper interacted with."""
    seeds = np.flatnonzero(profile)
    if len(seeds) == 0:
        return np.zeros(similarity.shape[1], dtype=np.float32)
    rows = similarity[seeds]
    return np.asarray(rows.T @ profile[seeds], dtype=np.float32).ravel()


def strongest_seeds(profile: np.ndarray, similarity: sp.csr_matrix, items: Sequence[int]) -> dict[int, int]:
    """For each item, the shopper's item that contributed most to its item-CF score (the "because")."""
    seeds = np.flatnonzero(profile)
    if len(seeds) == 0 or len(items) == 0:
        return {}
    contributions = similarity[seeds][:, list(items)].toarray() * profile[seeds][:, None]
    best = np.argmax(contributions, axis=0)
    return {int(item): int(seeds[best[n]]) for n, item in enumerate(items) if contributions[best[n], n] > 0}


def row_norms(matrix: sp.csr_matrix) -> np.ndarray:
    return np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1), dtype=np.float32).ravel())


def user_cf_scores(
    profile: np.ndarray,
    matrix: sp.csr_matrix,
    neighbours: int = 50,
    exclude_user: int | None = None,
    norms: np.ndarray | None = None,
) -> np.ndarray:
    """Items of the `neighbours` most similar shoppers (cosine on profiles), weighted by similarity.

    The profile is folded in at request time, so a new shopper's fresh interactions count at once.
    """
    norm = float(np.linalg.norm(profile))
    if norm == 0 or matrix.shape[0] == 0:
        return np.zeros(matrix.shape[1], dtype=np.float32)
    norms = row_norms(matrix) if norms is None else norms
    similarities = np.asarray(matrix @ profile, dtype=np.float32).ravel() / (np.maximum(norms, 1e-12) * norm)
    if exclude_user is not None:
        similarities[exclude_user] = 0.0
    k = min(neighbours, len(similarities))
    top = np.argpartition(-similarities, k - 1)[:k]
    top = top[similarities[top] > 0]
    if len(top) == 0:
        return np.zeros(matrix.shape[1], dtype=np.float32)
    return np.asarray(matrix[top].T @ similarities[top], dtype=np.float32).ravel()


def content_vectors(texts: Sequence[str]) -> sp.csr_matrix:
    """TF-IDF over each item's title, type, category, brand, tags and attributes; rows L2-normalised.

    Chosen over the MiniLM embeddings because it needs no model load and is exact on category/brand.
    """
    if not any(t.strip() for t in texts):
        return sp.csr_matrix((len(texts), 1), dtype=np.float32)
    vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=1, token_pattern=r"(?u)\b[\w=/-]{2,}\b", dtype=np.float32)
    return normalize(vectorizer.fit_transform(texts)).tocsr()


def content_scores(profile: np.ndarray, vectors: sp.csr_matrix) -> np.ndarray:
    """Cosine-like similarity of each item to the weighted mean of the shopper's items."""
    seeds = np.flatnonzero(profile)
    if len(seeds) == 0:
        return np.zeros(vectors.shape[0], dtype=np.float32)
    taste = vectors[seeds].T @ profile[seeds]
    norm = float(np.linalg.norm(taste))
    if norm == 0:
        return np.zeros(vectors.shape[0], dtype=np.float32)
    return np.asarray(vectors @ (taste / norm), dtype=np.float32).ravel()


def item_content_neighbours(vectors: sp.csr_matrix, items: Sequence[int]) -> np.ndarray:
    """Each item's best similarity to any of `items`: the cold-start answer for an item nobody has touched."""
    if len(items) == 0:
        return np.zeros(vectors.shape[0], dtype=np.float32)
    scores = np.asarray(vectors @ vectors[list(items)].T.toarray(), dtype=np.float32).max(axis=1)
    scores[list(items)] = 0.0
    return scores


def popularity(matrix: sp.csr_matrix) -> np.ndarray:
    """How many distinct shoppers engaged with each item (robust to one heavy user)."""
    binary = matrix.copy()
    binary.data = np.ones_like(binary.data)
    return np.asarray(binary.sum(axis=0), dtype=np.float32).ravel()


def normalise(scores: np.ndarray) -> np.ndarray:
    """Scales to [0, 1] by the maximum so scorers with different ranges can be blended."""
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else np.zeros_like(scores)


def blend(components: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Hybrid score: Σ weight · normalise(component); components with no signal contribute nothing."""
    size = len(next(iter(components.values())))
    total = np.zeros(size, dtype=np.float32)
    for name, weight in weights.items():
        if weight and name in components:
            total += np.float32(weight) * normalise(components[name])
    return total


def top_k(scores: np.ndarray, k: int, exclude: np.ndarray | None = None) -> list[int]:
    """Indexes of the k best positive scores, best first; `exclude` is a boolean mask of banned items."""
    scores = scores.copy()
    if exclude is not None:
        scores[exclude] = 0.0
    positive = int((scores > 0).sum())
    k = min(k, positive)
    if k <= 0:
        return []
    candidates = np.argpartition(-scores, k - 1)[:k]
    return [int(i) for i in candidates[np.argsort(-scores[candidates], kind="stable")]]
