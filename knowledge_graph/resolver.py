"""Which product a shopper means: exact names first, then fuzzy spelling, then meaning.

"does the ocean blue shirt come in large" names a product verbatim; "the oceen blu shirt" needs
fuzzy matching (rapidfuzz); "that warm hiking fleece" needs the semantic index. When two products
match about equally well ("the shirt"), the answer is ambiguous and the assistant asks which one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from knowledge_graph.semantic_search import SemanticIndex

FUZZY_ACCEPT = 0.86  # a fuzzy score this high names the product
SEMANTIC_ACCEPT = 0.55  # cosine similarity of MiniLM vectors that still names one product
AMBIGUITY_MARGIN = 0.04  # candidates this close to the best are as likely as the best
MIN_CANDIDATE = 0.6


@dataclass(frozen=True)
class Match:
    product_id: str
    score: float
    how: str = "fuzzy"  # verbatim | fuzzy | semantic: each has its own bar for "this is the one"
    # Every word the shopper used is in this title ("trailblazer boots" in "Trailblazer 2 Hiking Boots").
    contains_query: bool = False
    words: int = 0  # how many words the shopper's query had (one word alone is weak evidence)

    @property
    def accepted(self) -> bool:
        bar = SEMANTIC_ACCEPT if self.how == "semantic" else FUZZY_ACCEPT
        return self.score >= bar


@dataclass(frozen=True)
class NameMatch:
    best: str | None
    candidates: list[Match]
    ambiguous: bool


class ProductResolver:
    """Holds every product title in memory (50k titles are a few MB) for fast matching."""

    def __init__(self, names: list[tuple[str, str, str | None]], index: SemanticIndex | None = None) -> None:
        self._ids = [product_id for product_id, _, _ in names]
        self._titles = [utils.default_process(title) for _, title, _ in names]
        self._index = index

    def __len__(self) -> int:
        return len(self._ids)

    def resolve(self, text: str, limit: int = 5) -> NameMatch:
        cleaned = utils.default_process(text)
        if not cleaned or not self._ids:
            return NameMatch(None, [], False)
        verbatim = self._verbatim(cleaned)
        if verbatim is not None:
            return NameMatch(verbatim, [Match(verbatim, 1.0, "verbatim")], False)
        matches = {m.product_id: m for m in self._fuzzy(cleaned, limit)}
        if not any(m.accepted for m in matches.values()):
            for match in self._semantic(text, limit):
                if match.score > matches.get(match.product_id, Match("", 0.0)).score:
                    matches[match.product_id] = match
        ranked = sorted((m for m in matches.values() if m.score >= MIN_CANDIDATE), key=_rank)[:limit]
        return _decide(ranked)

    def _verbatim(self, cleaned: str) -> str | None:
        """The longest title that appears whole in the text ("ocean blue shirt" beats "shirt")."""
        padded = f" {cleaned} "
        found = [(len(title), i) for i, title in enumerate(self._titles) if title and f" {title} " in padded]
        if not found:
            return None
        longest = max(length for length, _ in found)
        winners = [i for length, i in found if length == longest]
        return self._ids[winners[0]] if len(winners) == 1 else None

    def _fuzzy(self, cleaned: str, limit: int) -> list[Match]:
        """Best of two views: whole-string similarity (spelling) and shared words (a partial name).

        "oceen blu shirt" is close as a string; "the case for the orbit x" shares most words of
        "Slim Case for Orbit X". Shared words count for more the more of the title they cover.
        """
        query = _without_filler(cleaned)
        if not query:
            return []
        scores: dict[int, float] = {}
        for _, score, i in process.extract(query, self._titles, scorer=fuzz.WRatio, processor=None, limit=limit * 2):
            scores[i] = score / 100.0
        query_words = set(query.split())
        containing: set[int] = set()
        for _, score, i in process.extract(
            query, self._titles, scorer=fuzz.token_set_ratio, processor=None, limit=limit * 4
        ):
            title_words = set(_without_filler(self._titles[i]).split()) or {""}
            coverage = len(query_words & title_words) / len(title_words)
            scores[i] = max(scores.get(i, 0.0), score / 100.0 * (0.7 + 0.3 * coverage))
            if query_words <= title_words:
                containing.add(i)
        words = len(query_words)
        return [Match(self._ids[i], score, "fuzzy", i in containing, words) for i, score in scores.items()]

    def _semantic(self, text: str, limit: int) -> list[Match]:
        if self._index is None or len(self._index) == 0:
            return []
        return [Match(hit.product_id, float(hit.score), "semantic") for hit in self._index.search(text, limit)]


FILLER = re.compile(
    r"\b(does|do|is|are|the|a|an|it|this|that|one|come|comes|in|have|has|you|your|of|for|me|about|"
    r"tell|what|whats|how|much|price|cost|stock|available|please|can|i|get|show)\b"
)


def _without_filler(cleaned: str) -> str:
    """Question words dilute a fuzzy score; the product's words are what is compared."""
    return " ".join(FILLER.sub(" ", cleaned).split())


def _rank(match: Match) -> tuple[float, str]:
    return (-match.score, match.product_id)


def _decide(ranked: list[Match]) -> NameMatch:
    if not ranked:
        return NameMatch(None, [], False)
    # Titles holding every word the shopper used decide first: one is the product, several are a choice.
    containing = [m for m in ranked if m.contains_query]
    if len(containing) == 1 and (containing[0].accepted or containing[0].words > 1):
        chosen = containing[0]
        return NameMatch(chosen.product_id, [chosen, *(m for m in ranked if m is not chosen)], False)
    if len(containing) > 1:
        return NameMatch(None, containing, True)
    top = ranked[0]
    if not top.accepted:
        return NameMatch(None, ranked, False)
    if any(top.score - m.score <= AMBIGUITY_MARGIN for m in ranked[1:]):
        return NameMatch(None, ranked, True)
    return NameMatch(top.product_id, ranked, False)
