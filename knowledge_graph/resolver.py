"""Which product a shopper means: exact names first, then fuzzy spelling, then meaning.

"does the ocean blue shirt come in large" names a product verbatim; "aero 12 clear cases" or "yellow
wateing can" name one near-exactly (every word of its title is in the text, give or take a plural or
one typo); "the oceen blu shirt" needs fuzzy matching (rapidfuzz); "that warm hiking fleece" needs the
semantic index. An exact or near-exact title always wins, however many products the catalogue has:
fuzzy and semantic matches are only asked when no title is in the text. When two products match about
equally well ("the shirt"), the answer is ambiguous and the assistant asks which one.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils
from rapidfuzz.distance import Levenshtein

from knowledge_graph.semantic_search import SemanticIndex

FUZZY_ACCEPT = 0.86  # a fuzzy score this high names the product
SEMANTIC_ACCEPT = 0.55  # cosine similarity of MiniLM vectors that still names one product
AMBIGUITY_MARGIN = 0.04  # candidates this close to the best are as likely as the best
MIN_CANDIDATE = 0.6
NEAR_EXACT = 0.97  # every word of the title is in the text, some in another number or with a typo
# A title word this long may be typed with one letter wrong, missing or extra ("wateing", "clar" for
# "clear": the typed word may be one letter shorter); shorter title words may not ("case" is not "cash").
TYPO_MIN_LENGTH = 5


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
        self._titles_by_word = TitleWords(self._titles)
        self._index = index

    def __len__(self) -> int:
        return len(self._ids)

    def resolve(self, text: str, limit: int = 5) -> NameMatch:
        cleaned = utils.default_process(text)
        if not cleaned or not self._ids:
            return NameMatch(None, [], False)
        named = self._titles_in(cleaned)
        if named:
            ranked = sorted(named, key=_rank)
            return NameMatch(ranked[0].product_id if len(ranked) == 1 else None, ranked, len(ranked) > 1)
        matches = {m.product_id: m for m in self._fuzzy(cleaned, limit)}
        if not any(m.accepted for m in matches.values()):
            for match in self._semantic(text, limit):
                if match.score > matches.get(match.product_id, Match("", 0.0)).score:
                    matches[match.product_id] = match
        ranked = sorted((m for m in matches.values() if m.score >= MIN_CANDIDATE), key=_rank)[:limit]
        return _decide(ranked)

    def _titles_in(self, cleaned: str) -> list[Match]:
        """The longest titles whose every word is in the text: verbatim, else near-exact.

        A one-word title ("Boots") only names a product when it is all the text says: inside "the
        trailblazer boots" it is a word of the description, not a name."""
        content = set(_without_filler(cleaned).split())
        found = self._titles_by_word.covered_by(cleaned.split())
        found = {i: typos for i, typos in found.items() if len(self._words(i)) > 1 or len(content) <= 1}
        if not found:
            return []
        longest = max(len(self._words(i)) for i in found)
        best = [(typos, i) for i, typos in found.items() if len(self._words(i)) == longest]
        fewest = min(typos for typos, _ in best)
        return [
            Match(self._ids[i], 1.0 if typos == 0 else NEAR_EXACT, "verbatim" if typos == 0 else "near-exact")
            for typos, i in best
            if typos == fewest
        ]

    def _words(self, i: int) -> set[str]:
        return set(self._titles[i].split())

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


class TitleWords:
    """Which titles a text holds every word of, allowing a plural or one typo per long word."""

    def __init__(self, titles: list[str]) -> None:
        self._titles: dict[str, set[int]] = defaultdict(set)
        self._word_counts = [len(set(title.split())) for title in titles]
        for i, title in enumerate(titles):
            for word in set(title.split()):
                self._titles[word].add(i)
        self._long_words = [w for w in self._titles if len(w) >= TYPO_MIN_LENGTH and not w.isdigit()]

    def covered_by(self, words: list[str]) -> dict[int, int]:
        """Title index -> how many of its words were matched only with a typo or plural."""
        matched: dict[str, int] = {}  # title word -> 0 exact, 1 near
        for word in set(words):
            for title_word, typo in self._near(word):
                matched[title_word] = min(typo, matched.get(title_word, 1))
        hits: Counter[int] = Counter()
        typos: Counter[int] = Counter()
        for title_word, typo in matched.items():
            for i in self._titles[title_word]:
                hits[i] += 1
                typos[i] += typo
        return {i: typos[i] for i, count in hits.items() if count == self._word_counts[i]}

    def _near(self, word: str) -> list[tuple[str, int]]:
        """Title words this word stands for: itself (0), its other number or a one-letter typo (1)."""
        found = [(word, 0)] if word in self._titles else []
        for other in (
            word + "s",
            word + "es",
            word[:-1] if word.endswith("s") else "",
            word[:-2] if word.endswith("es") else "",
        ):
            if len(other) >= 3 and other in self._titles:
                found.append((other, 1))
        if len(word) >= TYPO_MIN_LENGTH - 1 and not word.isdigit():
            for other, _, _ in process.extract(
                word, self._long_words, scorer=Levenshtein.distance, score_cutoff=1, limit=None
            ):
                if other != word:
                    found.append((other, 1))
        return found


FILLER = re.compile(
    r"\b(does|do|is|are|the|a|an|it|this|that|one|come|comes|in|have|has|you|your|of|for|me|about|"
    r"tell|what|whats|how|much|price|cost|stock|available|please|can|i|get|show)\b"
)


def _without_filler(cleaned: str) -> str:
    """Question words dilute a fuzzy score; the product's words are what is compared."""
    return " ".join(FILLER.sub(" ", cleaned).split())


def _rank(match: Match) -> tuple[bool, float, str]:
    """Titles holding every word the shopper used first: in a big catalogue many titles share one word
    with the query and score as high, and must not push the real candidates out of the list."""
    return (not match.contains_query, -match.score, match.product_id)


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
