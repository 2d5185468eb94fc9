"""What a product text or a shopper's query says beyond its plain words: sizes, model numbers, opposites.

The lexical index (`lexical_index.py`) matches tokens, so the same measurement written two ways
must become the same token: `44"`, `44 in.`, `44-inch` and `44 inches` are all `44in`; `6 1/2 x 17`
is `6.5`, `17` and the dimension token `6.5x17`. A model number written with or without its dash
(`WR-44526`, `wr44526`) is one code token. Products get both their plain words and these canonical
tokens (so a query can match either); a query gets the canonical form instead of the loose unit
word, so "44 inch" does not reward every product that says "inch".

Everything here runs on one text at a time: product texts are tokenised once when indexed, a query
in time proportional to its length. Typos are the exception that needs the vocabulary: only words
the catalogue does not know are looked up, with rapidfuzz, against words of similar length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from rapidfuzz import fuzz, process

__all__ = [
    "ANTONYMS",
    "QueryTerms",
    "Vocabulary",
    "contradicts",
    "product_tokens",
    "query_terms",
    "stem",
    "words",
]

# canonical unit -> how shops and shoppers write it (after a number)
UNITS: dict[str, tuple[str, ...]] = {
    "in": ("in", "inch", "inches", '"', "''", "”", "″"),
    "ft": ("ft", "foot", "feet", "'", "’", "′"),
    "gal": ("gal", "gallon", "gallons"),
    "qt": ("qt", "quart", "quarts"),
    "oz": ("oz", "ounce", "ounces", "fl oz"),
    "lb": ("lb", "lbs", "pound", "pounds"),
    "gb": ("gb", "gig", "gigs", "gigabyte", "gigabytes"),
    "tb": ("tb", "terabyte", "terabytes"),
    "mb": ("mb", "megabyte", "megabytes"),
    "mm": ("mm", "millimeter", "millimeters", "millimetre", "millimetres"),
    "cm": ("cm", "centimeter", "centimeters", "centimetre", "centimetres"),
    "ml": ("ml", "milliliter", "milliliters", "millilitre", "millilitres"),
    "l": ("l", "liter", "liters", "litre", "litres"),
    "w": ("w", "watt", "watts"),
    "v": ("v", "volt", "volts"),
    "mah": ("mah",),
    "pk": ("pk", "pack", "packs", "pc", "pcs", "piece", "pieces", "count", "ct"),
}
_UNIT_OF = {alias: unit for unit, aliases in UNITS.items() for alias in aliases}
_VULGAR = {"½": "1/2", "¼": "1/4", "¾": "3/4", "⅓": "1/3", "⅔": "2/3", "⅛": "1/8", "⅜": "3/8", "⅝": "5/8", "⅞": "7/8"}

_NUMBER = r"\d+(?:\.\d+)?"
# "6 1/2", "6-1/2", "1/2", "6.5", "6"
_QUANTITY = rf"(?:\d+[\s-]+\d+/\d+|\d+/\d+|{_NUMBER})"
_UNIT_ALTERNATIVES = "|".join(sorted((re.escape(a) for a in _UNIT_OF), key=len, reverse=True))
_MEASURE = re.compile(
    rf"(?<![\w.-])(?P<q>{_QUANTITY})(?:\s*-?\s*(?P<u>{_UNIT_ALTERNATIVES})(?![a-z0-9])|(?![a-z0-9/.]))",
    re.I,
)
_DIMENSION = re.compile(r"(?<![\w.])(?P<a>\d+(?:\.\d+)?)\s*(?:x|by|\*|×)\s*(?=(?P<b>\d+(?:\.\d+)?)(?![\w.]))", re.I)
_GLUED_DIMENSION = re.compile(r"(\d)[x×*](?=\d)")  # "2x4" -> "2 x 4"
_TOKEN = re.compile(r"\d+(?:\.\d+)?[a-z]*|[a-z]+[a-z0-9]*")
# A model number or SKU: letters and digits mixed, maybe joined by - / . ("WR-44526", "i5-6200U", "Pro8200")
_CODE = re.compile(r"(?<![\w-])(?=[a-z0-9./-]*\d)(?=[a-z0-9./-]*[a-z])[a-z0-9]+(?:[-./][a-z0-9]+)*(?![\w-])", re.I)
# Where the words naming the thing end: "bike | for children", "kettle | to boil water".
_CLAUSE = re.compile(r"\b(?:for|to|with|without|that|which|from|under|in|on|by)\b")
MIN_CODE = 4  # characters of a code token ("x5" or "4k" are words, not model numbers)

_STOP_WORDS_TEXT = """a an and the of for with in on to by at or from is are it its this that my me i you your we our
do does have has any some like want need looking please show find get buy new x"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

# Words whose opposite in a title means the other product ("exterior stain" is not an interior one).
ANTONYM_PAIRS = (
    ("interior", "exterior"),
    ("indoor", "outdoor"),
    ("men", "women"),
    ("boy", "girl"),
    ("male", "female"),
    ("left", "right"),
    ("wired", "wireless"),
    ("cordless", "corded"),
    ("inside", "outside"),
    ("waterproof", "water-resistant"),
    ("hot", "cold"),
    ("heated", "cooled"),
    ("gas", "electric"),
    ("manual", "automatic"),
    ("short", "long"),
)
ANTONYMS: dict[str, frozenset[str]] = {}
for _a, _b in ANTONYM_PAIRS:
    ANTONYMS.setdefault(_a, frozenset())
    ANTONYMS.setdefault(_b, frozenset())
    ANTONYMS[_a] |= {_b}
    ANTONYMS[_b] |= {_a}


def stem(word: str) -> str:
    """A light plural stemmer: "dresses" -> "dress", "batteries" -> "battery", "shoes" -> "shoe".

    Only plurals, because shoppers and titles differ mostly in number; a full stemmer also merges
    words that a shop keeps apart ("organic"/"organ"). Codes and numbers stay as they are.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _quantity(text: str) -> str:
    """ "6 1/2" -> "6.5", "1/2" -> "0.5", "6.50" -> "6.5", "06" -> "6"."""
    text = text.strip()
    mixed = re.fullmatch(r"(\d+)[\s-]+(\d+)/(\d+)", text)
    if mixed:
        value = int(mixed.group(1)) + (Fraction(int(mixed.group(2)), int(mixed.group(3))) if int(mixed.group(3)) else 0)
    elif "/" in text:
        top, bottom = text.split("/")
        value = Fraction(int(top), int(bottom)) if int(bottom) else Fraction(int(top))
    else:
        return f"{float(text):g}" if "." in text else str(int(text))
    return f"{float(value):.4g}"


def _prepared(text: str) -> str:
    lowered = text.casefold()
    for glyph, fraction in _VULGAR.items():
        lowered = lowered.replace(glyph, f" {fraction}")
    return _GLUED_DIMENSION.sub(r"\1 x ", lowered)


def words(text: str) -> list[str]:
    """Plain word tokens, stemmed, without stop words: what a plain BM25 sees."""
    return [stem(t) for t in _TOKEN.findall(_prepared(text)) if t not in STOP_WORDS]


def _codes(text: str) -> list[str]:
    """Model numbers with their separators dropped: "WR-44526" -> "wr44526"."""
    found = []
    for m in _CODE.finditer(text):
        joined = re.sub(r"[-./]", "", m.group(0))
        if len(joined) >= MIN_CODE and not re.fullmatch(r"\d+(?:\.\d+)?[a-z]*", joined):
            found.append(joined)
    return found


def _canonical(text: str) -> tuple[list[str], str]:
    """Canonical quantity, dimension and code tokens of a prepared text, and the text without its quantities.

    A quantity gives its number ("6 1/2" -> "6.5") and, with a unit, the number and unit ("6.5in"),
    so a query with or without the unit matches a title with it.
    """
    tokens: list[str] = []
    numbers_only: list[str] = []
    rest: list[str] = []
    last = 0
    for m in _MEASURE.finditer(text):
        quantity = _quantity(m.group("q"))
        unit = _UNIT_OF.get((m.group("u") or "").lower(), "")
        tokens.append(quantity)
        if unit:
            tokens.append(quantity + unit)
        numbers_only += [text[last : m.start()], f" {quantity} "]
        rest += [text[last : m.start()], " "]
        last = m.end()
    numbers_only.append(text[last:])
    rest.append(text[last:])
    tokens += [f"{m.group('a')}x{m.group('b')}" for m in _DIMENSION.finditer("".join(numbers_only))]
    tokens += [code for code in _codes(text) if code not in tokens]
    return tokens, "".join(rest)


def product_tokens(text: str) -> list[str]:
    """A product text's tokens: its plain words plus the canonical quantity and code tokens."""
    plain = words(text)
    known = set(plain)
    canonical, _ = _canonical(_prepared(text))
    return plain + [t for t in canonical if t not in known]


@dataclass(frozen=True)
class QueryTerms:
    """A query as the ranking uses it.

    `tokens` are what BM25 scores (canonical measurements instead of loose unit words, corrected
    spellings); `content` the query's own words for title checks; `codes` its model numbers;
    `head` the last word, before a clause such as "for ..." or "to ...", that is not a number or
    unit: in English usually what the thing is ("iphone otterbox case", "case for my iphone").
    """

    tokens: tuple[str, ...]
    content: frozenset[str] = frozenset()
    codes: tuple[str, ...] = ()
    corrections: dict[str, str] = field(default_factory=dict)
    head: str | None = None


def query_terms(text: str, *, measures: bool = True, vocabulary: Vocabulary | None = None) -> QueryTerms:
    """Tokens of a shopper's query; `measures` False gives the plain words (the ablation's baseline)."""
    plain = words(text)
    codes = _codes(_prepared(text))
    if measures:
        # Quantities and their unit words become canonical tokens ("44 inch" -> "44", "44in").
        canonical, rest = _canonical(_prepared(text))
        tokens = words(rest)
        tokens += [t for t in canonical if t not in tokens]
    else:
        tokens = plain
    corrections: dict[str, str] = {}
    if vocabulary is not None:
        corrected = []
        for token in tokens:
            fixed = vocabulary.correct(token)
            if fixed != token:
                corrections[token] = fixed
            corrected.append(fixed)
        tokens = corrected
    named = words(_CLAUSE.split(_prepared(text), 1)[0])  # "kettle to boil water" names a kettle
    head = _last_noun(named) or _last_noun(plain)
    head = corrections.get(head, head) if head else None
    return QueryTerms(tuple(tokens), frozenset(plain), tuple(codes), corrections, head)


def _last_noun(tokens: Sequence[str]) -> str | None:
    return next((w for w in reversed(tokens) if w.isalpha() and w not in _UNIT_OF), None)


def contradicts(query_words: Iterable[str], title_words: frozenset[str]) -> bool:
    """The title names the opposite of a query word and not the word itself ("interior" for "exterior")."""
    for word in query_words:
        opposite = ANTONYMS.get(word)
        if opposite and word not in title_words and opposite & title_words:
            return True
    return False


MIN_TYPO_LENGTH = 4  # shorter words are too often real words the catalogue lacks
TYPO_SIMILARITY = 80  # rapidfuzz ratio (0-100) a correction must reach


class Vocabulary:
    """The catalogue's words by length, for correcting a query word the catalogue does not know."""

    def __init__(self, counts: dict[str, int]) -> None:
        self._known = counts
        self._by_length: dict[int, list[str]] = {}
        for word in counts:
            if word.isalpha():
                self._by_length.setdefault(len(word), []).append(word)

    def __contains__(self, word: object) -> bool:
        return word in self._known

    def correct(self, word: str) -> str:
        """The most frequent known word close in spelling to an unknown `word`; known words stay."""
        if word in self._known or len(word) < MIN_TYPO_LENGTH or not word.isalpha():
            return word
        pool = [w for n in range(len(word) - 2, len(word) + 3) for w in self._by_length.get(n, ())]
        found = process.extract(word, pool, scorer=fuzz.ratio, score_cutoff=TYPO_SIMILARITY, limit=5)
        if not found:
            return word
        best = max(found, key=lambda hit: (hit[1], self._known.get(hit[0], 0)))
        return best[0]
