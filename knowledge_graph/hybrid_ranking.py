"""How the dense (meaning) and lexical (words) result lists become one ranking.

Each side finds what the other misses: MiniLM knows that "sneakers" are shoes, BM25 that
"44in" is not "40in" and that a brand or model number is the point of the query. Reciprocal-rank
fusion adds 1/(rrf_k + rank) from each list, so neither side's score scale matters. Query
understanding then adjusts the fused list: a model number the shopper typed puts its product
first, a title holding every query word or a brand the query names moves a product up, and a title
carrying the opposite of a query word ("interior" for "exterior") moves it down.

`Ranking` holds every switch and weight so the relevance benchmark can measure each part
(benchmarks/search_relevance.py); the defaults are the ones tuned there on half of the queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

__all__ = ["DEFAULT_RANKING", "DENSE_ONLY", "Features", "Ranking", "fuse", "ranked"]


@dataclass(frozen=True)
class Ranking:
    """Which parts rank a search and how much each counts."""

    dense: bool = True
    lexical: bool = True
    depth: int = 100  # candidates taken from each side before fusing
    fusion: str = "rrf"  # "rrf" (ranks) or "scores" (scaled scores), see `fuse`
    rrf_k: float = 60.0
    dense_weight: float = 1.6
    lexical_weight: float = 1.0
    # query understanding
    measures: bool = True  # quantities and units as canonical tokens ("44 inch" -> "44in")
    typos: bool = True  # unknown query words corrected against the catalogue's words
    codes: bool = True  # a product carrying the model number typed comes first
    title_match: float = 0.1  # bonus when the title holds every query word
    head_match: float = 0.05  # bonus when the title holds the query's head word (what the thing is)
    brand_match: float = 0.3  # bonus when the query names the product's brand
    antonym_penalty: float = 0.5  # share of the score lost when the title names the opposite

    @property
    def understanding(self) -> bool:
        return (
            self.measures
            or self.typos
            or self.codes
            or bool(self.title_match)
            or bool(self.head_match)
            or bool(self.brand_match)
            or bool(self.antonym_penalty)
        )

    def without_understanding(self) -> Ranking:
        """The same fusion with every query-understanding rule off: the ablation's "fused" row."""
        return replace(
            self,
            measures=False,
            typos=False,
            codes=False,
            title_match=0.0,
            head_match=0.0,
            brand_match=0.0,
            antonym_penalty=0.0,
        )


DEFAULT_RANKING = Ranking()
DENSE_ONLY = Ranking(lexical=False)


@dataclass(frozen=True)
class Features:
    """What query understanding found out about one candidate."""

    code_match: bool = False
    title_match: bool = False
    head_match: bool = False
    brand_match: bool = False
    contradicts: bool = False


Scored = Sequence[tuple[int, float]]  # (row, score) best first


def fuse(dense: Scored, lexical: Scored, ranking: Ranking) -> dict[int, float]:
    """One score per row from two ranked (row, score) lists, best first; 1 is the most a row can get.

    "rrf": reciprocal-rank fusion, only ranks count. "scores": a weighted sum of the scores scaled
    to 0..1 in each list (cosines from the list's lowest to its highest, BM25 from 0 to its
    highest), so a product far ahead on one side keeps its lead; a row missing from a list gets 0
    from it.
    """
    weights = {"dense": ranking.dense_weight if ranking.dense else 0.0}
    weights["lexical"] = ranking.lexical_weight if ranking.lexical else 0.0
    total = sum(weights.values())
    if total <= 0:
        return {}
    fused: dict[int, float] = {}
    sides = ((dense, weights["dense"] / total, True), (lexical, weights["lexical"] / total, False))
    for pairs, weight, from_lowest in sides:
        if ranking.fusion == "rrf":
            scaled = [(row, (ranking.rrf_k + 1) / (ranking.rrf_k + rank)) for rank, (row, _) in enumerate(pairs, 1)]
        else:
            scaled = _scaled(pairs, from_lowest)
        for row, value in scaled:
            fused[row] = fused.get(row, 0.0) + weight * value
    return fused


def _scaled(pairs: Scored, from_lowest: bool) -> list[tuple[int, float]]:
    """Scores mapped to 0..1 of the best: from the list's lowest score, or from 0."""
    if not pairs:
        return []
    high = max(score for _, score in pairs)
    low = min(score for _, score in pairs) if from_lowest else 0.0
    span = high - low
    return [(row, (score - low) / span if span > 0 else 1.0) for row, score in pairs]


def adjusted(score: float, features: Features, ranking: Ranking) -> float:
    if features.title_match:
        score += ranking.title_match
    if features.head_match:
        score += ranking.head_match
    if features.brand_match:
        score += ranking.brand_match
    if features.contradicts:
        score *= 1.0 - ranking.antonym_penalty
    return score


def ranked(fused: dict[int, float], features: dict[int, Features], ranking: Ranking) -> list[tuple[int, float]]:
    """Rows best first: exact model-number matches ahead of the rest, then by adjusted fused score."""
    none = Features()

    def order(pair: tuple[int, float]) -> tuple[bool, float, int]:
        row, score = pair
        return (not (ranking.codes and features.get(row, none).code_match), -score, row)

    return sorted(((row, adjusted(score, features.get(row, none), ranking)) for row, score in fused.items()), key=order)
