"""Each algorithm on a tiny hand-made matrix whose answers can be worked out on paper."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backends.recommendations import algorithms as algo

# users × items, one purchase each (log1p(1) after damping; cosine ignores the scale):
#   u0: i0 i1     u1: i0 i1     u2: i1 i2
ROWS, COLS = [0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 1, 2]
A = math.log1p(1.0)


@pytest.fixture
def matrix():
    return algo.interaction_matrix(ROWS, COLS, [1.0] * 6, (3, 3))


def test_interaction_matrix_sums_repeats_then_log_damps() -> None:
    matrix = algo.interaction_matrix([0, 0, 1], [0, 0, 1], [5.0, 5.0, 1.0], (2, 2))
    assert matrix.toarray() == pytest.approx(np.array([[math.log1p(10), 0], [0, math.log1p(1)]]))


def test_event_weights() -> None:
    assert algo.event_weight("purchase") > algo.event_weight("add_to_cart") > algo.event_weight("view") > 0
    assert algo.event_weight("rating", 5) == 6.0 and algo.event_weight("rating", 2) == 0.0
    assert algo.event_weight("unknown") == 0.0


def test_item_similarity_is_cosine_without_diagonal(matrix) -> None:
    similarity = algo.item_similarity(matrix, neighbours=10).toarray()
    expected = np.array([[0, 2 / math.sqrt(6), 0], [2 / math.sqrt(6), 0, 1 / math.sqrt(3)], [0, 1 / math.sqrt(3), 0]])
    assert similarity == pytest.approx(expected, abs=1e-6)


def test_top_n_keeps_the_strongest_neighbours(matrix) -> None:
    similarity = algo.item_similarity(matrix, neighbours=1).toarray()
    assert similarity[1] == pytest.approx([2 / math.sqrt(6), 0, 0], abs=1e-6)


def test_item_cf_scores(matrix) -> None:
    similarity = algo.item_similarity(matrix)
    assert algo.item_cf_scores(np.array([0, 1, 0], dtype=np.float32), similarity) == pytest.approx(
        [2 / math.sqrt(6), 0, 1 / math.sqrt(3)], abs=1e-6
    )
    assert not algo.item_cf_scores(np.zeros(3, dtype=np.float32), similarity).any()
    assert algo.strongest_seeds(np.array([1, 1, 0], dtype=np.float32), similarity, [2, 1]) == {2: 1, 1: 0}


def test_user_cf_scores(matrix) -> None:
    # A new shopper who bought i0 resembles u0 and u1 (cosine 1/√2 each), not u2.
    scores = algo.user_cf_scores(np.array([1, 0, 0], dtype=np.float32), matrix, neighbours=2)
    assert scores == pytest.approx([2 * A / math.sqrt(2)] * 2 + [0], abs=1e-6)
    # u2 is left out of its own neighbours: u0/u1 (via the shared i1) give i0 and i1, nothing gives i2.
    own = algo.user_cf_scores(matrix[2].toarray().ravel(), matrix, neighbours=1, exclude_user=2)
    assert own[0] > 0 and own[1] > 0 and own[2] == 0


def test_content_scores_follow_the_text() -> None:
    vectors = algo.content_vectors(["red wool sweater", "blue wool sweater", "usb charger cable"])
    scores = algo.content_scores(np.array([1, 0, 0], dtype=np.float32), vectors)
    assert scores[0] == pytest.approx(1.0) and 0 < scores[1] < 1 and scores[2] == 0
    neighbours = algo.item_content_neighbours(vectors, [1])
    assert neighbours[1] == 0 and neighbours[0] > neighbours[2] == 0


def test_popularity_counts_distinct_shoppers(matrix) -> None:
    assert algo.popularity(matrix) == pytest.approx([2, 3, 1])


def test_blend_normalises_before_weighting() -> None:
    blended = algo.blend(
        {"a": np.array([10.0, 5.0, 0.0]), "b": np.array([0.0, 0.1, 0.2])}, {"a": 0.5, "b": 0.5, "missing": 1.0}
    )
    assert blended == pytest.approx([0.5, 0.5, 0.5])
    assert not algo.normalise(np.zeros(3)).any()


def test_top_k_orders_excludes_and_drops_zero_scores() -> None:
    scores = np.array([0.2, 0.9, 0.0, 0.5, 0.7])
    assert algo.top_k(scores, 3) == [1, 4, 3]
    assert algo.top_k(scores, 10, exclude=np.array([False, True, False, False, False])) == [4, 3, 0]
    assert algo.top_k(np.zeros(3), 2) == []
