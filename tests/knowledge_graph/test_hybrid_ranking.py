"""Fusion of the dense and lexical lists, and the query-understanding adjustments on top."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from knowledge_graph.hybrid_ranking import Features, Ranking, fuse, ranked
from knowledge_graph.semantic_search import IndexItem, SemanticIndex
from tests.knowledge_graph.word_encoder import WordEncoder

PLAIN = Ranking(dense_weight=1.0).without_understanding()


def order(pairs: list[tuple[int, float]]) -> list[int]:
    return [row for row, _ in pairs]


def scored(*rows: int) -> list[tuple[int, float]]:
    """Rows best first with made-up, falling scores."""
    return [(row, 10.0 - i) for i, row in enumerate(rows)]


def test_rrf_rewards_agreement_and_ignores_score_scales() -> None:
    fused = fuse(scored(1, 2, 3), scored(3, 4), PLAIN)
    assert fused[3] > fused[1] > fused[4]  # in both lists beats first in one
    assert fuse([(7, 0.2)], [(7, 55.0)], PLAIN) == {7: pytest.approx(1.0)}  # first in both: 1
    assert fuse([(1, 0.9)], [(2, 3.0)], PLAIN) == fuse([(1, 0.1)], [(2, 300.0)], PLAIN)  # only ranks count
    heavier = fuse(scored(1), scored(2), dataclasses.replace(PLAIN, dense_weight=2.0))
    assert heavier[1] > heavier[2]
    assert set(fuse(scored(1), scored(2), dataclasses.replace(PLAIN, lexical=False))) == {1, 2}
    assert fuse(scored(1), scored(2), dataclasses.replace(PLAIN, dense=False, lexical=False)) == {}


def test_score_fusion_keeps_a_clear_lead() -> None:
    by_scores = dataclasses.replace(PLAIN, fusion="scores")
    # Row 1 is far ahead in words and last of two in meaning; row 2 is the reverse by a hair.
    dense, lexical = [(2, 0.62), (1, 0.61), (3, 0.20)], [(1, 30.0), (2, 3.0)]
    fused = fuse(dense, lexical, by_scores)
    assert fused[1] > fused[2] > fused[3]
    assert fused[3] == pytest.approx(0.0)  # the lowest cosine and no words
    assert max(fuse([(5, 0.7)], [(5, 12.0)], by_scores).values()) == pytest.approx(1.0)
    by_ranks = fuse(dense, lexical, PLAIN)
    assert by_ranks[1] == pytest.approx(by_ranks[2])  # ranks alone cannot tell them apart


def test_a_model_number_match_goes_first_whatever_its_score() -> None:
    fused = {1: 0.9, 2: 0.2, 3: 0.5}
    features = {2: Features(code_match=True)}
    assert order(ranked(fused, features, Ranking())) == [2, 1, 3]
    assert order(ranked(fused, features, dataclasses.replace(Ranking(), codes=False))) == [1, 3, 2]


def test_opposites_lose_and_brands_and_whole_titles_gain() -> None:
    fused = {1: 0.9, 2: 0.6}
    assert order(ranked(fused, {1: Features(contradicts=True)}, Ranking(antonym_penalty=0.5))) == [2, 1]
    assert order(ranked(fused, {2: Features(brand_match=True)}, Ranking(brand_match=0.4))) == [2, 1]
    assert order(ranked(fused, {2: Features(title_match=True)}, Ranking(title_match=0.4))) == [2, 1]
    assert order(ranked(fused, {2: Features(title_match=True)}, Ranking(title_match=0.1))) == [1, 2]
    assert order(ranked(fused, {2: Features(head_match=True)}, Ranking(head_match=0.4))) == [2, 1]


# --------------------------------------------------------------------------- through the index


def product(pid: str, title: str, rest: str = "", **values: Any) -> IndexItem:
    return IndexItem(pid, f"{title}. {rest}".strip(". "), title=title, **values)


CATALOGUE = [
    product("interior", "Interior Wood Stain", "stain for wood furniture, stain and seal, wood stain"),
    product("exterior", "Exterior Stain", "for decks and fences"),
    product("stripper", "Paint Stripper", "also removes old stain"),
    product("drill-12", "Bosch Drill Driver GSR12V-300", "compact drill driver, drill"),
    product("drill-18", "Bosch Drill Driver GSR18V-400", "cordless drill driver"),
    product("northpeak-jacket", "Summit Jacket", "insulated hooded jacket for cold days, warm", brand="NorthPeak"),
    product("other-jacket", "Warm Winter Jacket", "warm jacket for winter", brand="Coastline"),
]


@pytest.fixture(scope="module")
def index() -> SemanticIndex:
    built = SemanticIndex(WordEncoder())
    built.upsert(CATALOGUE)
    return built


def ids(hits) -> list[str]:
    return [h.product_id for h in hits]


def test_exterior_stain_does_not_start_with_the_interior_one(index: SemanticIndex) -> None:
    found = ids(index.search("exterior stain", 7))
    assert found[0] == "exterior"
    assert found.index("interior") > found.index("stripper")  # the opposite comes after a mere neighbour
    without_rule = ids(index.search("exterior stain", 7, ranking=dataclasses.replace(Ranking(), antonym_penalty=0)))
    assert without_rule.index("interior") < without_rule.index("stripper")


def test_an_exact_model_number_ranks_its_product_first(index: SemanticIndex) -> None:
    for query in ("GSR18V-400", "gsr18v400", "bosch drill gsr18v-400"):
        assert ids(index.search(query, 3))[0] == "drill-18", query
    assert ids(index.search("GSR12V-300 drill", 3))[0] == "drill-12"


def test_a_brand_the_query_names_moves_its_products_up(index: SemanticIndex) -> None:
    assert ids(index.search("warm jacket", 2, ranking=dataclasses.replace(Ranking(), brand_match=0)))[0] == (
        "other-jacket"
    )
    assert ids(index.search("northpeak warm jacket", 2))[0] == "northpeak-jacket"
    assert ids(index.search("North Peak warm jacket", 2))[0] == "northpeak-jacket"


def test_hits_carry_cosine_similarities_even_when_words_ranked_them(index: SemanticIndex) -> None:
    encoder = WordEncoder()
    query = encoder.encode(["gsr18v400"])[0]
    hits = index.search("gsr18v400", 7)
    vectors = dict(zip([p.product_id for p in CATALOGUE], encoder.encode([p.text for p in CATALOGUE]), strict=True))
    for hit in hits:
        assert hit.score == pytest.approx(float(vectors[hit.product_id] @ query), abs=1e-5)


def test_k_beyond_the_candidate_depth_still_returns_everything_that_matches(index: SemanticIndex) -> None:
    shallow = dataclasses.replace(Ranking(), depth=2)
    assert len(index.search("anything at all", 7, ranking=shallow)) == 7
