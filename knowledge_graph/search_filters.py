"""Price and stock constraints pulled out of a shopper's search phrase.

"something warm for hiking under $100" is a semantic query ("something warm for hiking") plus a
hard filter (price <= 100). Embeddings are bad at numbers, so the numbers are taken out before the
phrase is encoded and applied as filters on the index instead.

A bare number after a comparator ("under 100", "max 60") is read as a price because that is what
shoppers mean in a shop's search box, unless something says it is not: a unit or other noun right
after it ("under 10 kg", "up to 4 players") or a measurement word right before it ("size under 10",
"kids over 5"). A currency sign or word ("$", "dollars", "€", "eur") always makes it a price.
"pounds"/"lbs" are read as weight, never as money (use "£" or "gbp" for sterling).

Bounds are inclusive: "under $100" keeps a $100.00 product, which a shopper does not mind and a
price stored as 99.999 would otherwise make surprising.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Filters", "parse_filters"]


@dataclass(frozen=True)
class Filters:
    """Hard constraints for a product search; None/False means "no constraint"."""

    min_price: float | None = None
    max_price: float | None = None
    in_stock_only: bool = False

    def __bool__(self) -> bool:
        return self.min_price is not None or self.max_price is not None or self.in_stock_only

    def as_search_kwargs(self) -> dict[str, object]:
        """Keyword arguments for `SemanticIndex.search`."""
        return {"min_price": self.min_price, "max_price": self.max_price, "in_stock_only": self.in_stock_only}


# --------------------------------------------------------------------------- building blocks

_PREFIX_CURRENCY = r"(?:us\s?\$|[$€£¥]|usd|eur|gbp)"
_SUFFIX_CURRENCY = r"(?:[$€£¥]|dollars?|bucks|usd|eur|euros?|gbp|quid)"
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:[.,]\d{1,2})?"

# One amount: optional currency before, the number, optional "k", optional currency after.
# Named groups get a suffix so one regex can hold two amounts.


def _amount(tag: str) -> str:
    return (
        rf"(?P<pre{tag}>{_PREFIX_CURRENCY}\s?)?"
        rf"(?P<num{tag}>{_NUMBER})(?P<k{tag}>k\b)?"
        rf"(?:\s?(?P<suf{tag}>{_SUFFIX_CURRENCY})(?![a-z]))?"
        r"(?![\w.,]?\d)(?![a-z])(?!\s?%)"
    )


_A = _amount("a")
_B = _amount("b")

# Lead-ins that belong to the price phrase and go with it ("that costs", "for", "priced", "budget of").
_LEAD = (
    r"(?:(?:that|which|and|it|items?)\s+)?"
    r"(?:(?:costs?|costing|cost|priced|selling|sells|is|are|for|at|with\s+(?:a\s+)?price|prices?"
    r"|(?:my\s+|a\s+)?budget(?:\s+(?:is|of))?|spend(?:ing)?|pay(?:ing)?)\s+)?"
)
_UPPER = (
    r"under|below|beneath|less\s+than|lower\s+than|cheaper\s+than|less\s+expensive\s+than|no\s+more\s+than"
    r"|not\s+more\s+than|not\s+over|max(?:imum)?|at\s+most|up\s+to|within|<=?|≤"
    r"|(?:my\s+|a\s+)?budget(?:\s+(?:is|of|around|about))*"
)
_LOWER = (
    r"over|above|more\s+than|greater\s+than|higher\s+than|pricier\s+than|more\s+expensive\s+than|at\s+least"
    r"|min(?:imum)?|starting\s+(?:at|from)|from|>=?|≥"
)
_UPPER_AFTER = r"or\s+(?:less|under|below|cheaper)|and\s+(?:under|below|less)|max(?:imum)?|tops|at\s+most"
_LOWER_AFTER = r"or\s+(?:more|over|above)|and\s+(?:up|over|above)|\+|plus|minimum|at\s+least"

# Comparators whose meaning is price by themselves: a bare number after them is a price even if
# a noun follows ("cheaper than 40 euros" is obvious; "cheaper than 40 for the pair" too).
_PRICE_COMPARATOR = re.compile(r"cheaper|expensive|pricier|budget|cost|priced|price|spend|pay", re.I)

# "$30 and under $100" is two bounds, not "$30 and under" followed by a stray "$100".
_NO_AMOUNT = rf"(?!\s*(?:{_PREFIX_CURRENCY}\s?)?\d)"
_RANGE = re.compile(
    rf"(?<![\w$€£¥]){_LEAD}(?P<intro>between\s+|from\s+)?{_A}\s*(?P<sep>and|&|-|–|to)\s*{_B}",
    re.I,
)
_UPPER_BOUND = re.compile(
    rf"(?<![\w$€£¥]){_LEAD}(?:(?P<cmp>{_UPPER})\s*{_A}|{_B}\s+(?P<after>{_UPPER_AFTER})\b{_NO_AMOUNT})",
    re.I,
)
_LOWER_BOUND = re.compile(
    rf"(?<![\w$€£¥]){_LEAD}(?:(?P<cmp>{_LOWER})\s*{_A}|{_B}\s*(?P<after>{_LOWER_AFTER})(?!\w){_NO_AMOUNT})",
    re.I,
)
_STOCK = re.compile(
    r"(?<![\w-])(?:(?:that\s+(?:is|are)|which\s+(?:is|are)|(?:is|are)|only|currently)\s+)?"
    r"(?:in[\s-]stock|available\s+(?:right\s+)?(?:now|today|to\s+(?:buy|order|ship))|(?:currently|now)\s+available"
    r"|ready\s+to\s+ship|not\s+(?:sold\s+out|out\s+of\s+stock))(?![\w-])",
    re.I,
)
# "back in stock", "not in stock", "no longer in stock" ask about stock; they are not a filter.
_STOCK_NEGATION = re.compile(r"(?:\b(?:back|not|no\s+longer|never|out\s+of)\s*)$", re.I)

# A word right after a bare number that still leaves it a price.
_CONNECTOR_WORDS = """for with and or that which please in on at from to the a an i my me if but so only each total
tops max maximum less per thanks thank pls budget range price"""
_CONNECTORS = frozenset(_CONNECTOR_WORDS.split())
# A word right before the comparator that makes the number a measurement or an age.
_MEASURE_WORDS_TEXT = """size sizes waist inseam length width height depth weight capacity screen age ages aged volume
battery storage memory ram kids children boys girls babies toddlers years dogs cats rated"""
_MEASURE_WORDS = frozenset(_MEASURE_WORDS_TEXT.split())
_WORD_AFTER = re.compile(r"\s*([^\W\d_]+)")
_WORD_BEFORE = re.compile(r"([^\W\d_]+)\W*$")
_EDGE_WORDS = r"and|or|but|that|which|is|are|with|for|costs?|priced|at|on|in|only|also|please"
_LEFT_ORPHANS = re.compile(
    r"\b(?:and|or|but|that|which|is|are|it|costs?|costing|priced|price[sd]?|at|for|with|only|also|a|budget"
    r"|my|of|spend(?:ing)?)\s*\x00",
    re.I,
)


# --------------------------------------------------------------------------- parsing


def _value(match: re.Match[str], tag: str) -> float:
    """The amount of group `num<tag>` as a float ("1,299.50" -> 1299.5, "99,99" -> 99.99, "1.5k")."""
    raw = match.group(f"num{tag}")
    if re.fullmatch(r"\d+,\d{1,2}", raw):
        raw = raw.replace(",", ".")
    value = float(raw.replace(",", ""))
    return value * 1000 if match.group(f"k{tag}") else value


def _has_currency(match: re.Match[str], *tags: str) -> bool:
    return any(match.group(f"pre{t}") or match.group(f"suf{t}") for t in tags)


def _looks_like_price(text: str, match: re.Match[str], *tags: str) -> bool:
    """Whether a comparator match is about money rather than size, weight, age or quantity."""
    if _has_currency(match, *tags):
        return True
    before = _WORD_BEFORE.search(text[: match.start()])
    if before and before.group(1).lower() in _MEASURE_WORDS:
        return False
    if _PRICE_COMPARATOR.search(match.group(0)):
        return True
    after = _WORD_AFTER.match(text, match.end())
    if after and after.start(1) == match.end():
        return False  # glued to a word: "10kg"
    return not after or after.group(1).lower() in _CONNECTORS


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def _price_bounds(text: str, taken: list[tuple[int, int]]) -> tuple[list[float], list[float]]:
    """Lower and upper price bounds found in `text`; their spans are appended to `taken`."""
    lows: list[float] = []
    highs: list[float] = []
    for m in _RANGE.finditer(text):
        intro, sep = (m.group("intro") or "").strip().lower(), m.group("sep").lower()
        if (intro == "between") != (sep in ("and", "&")) and not (intro == "between" and sep == "-"):
            continue  # "between 20 and 50", "from 20 to 50", "20-50"; not "20 and 50" nor "between 20 to 50"
        priced = _has_currency(m, "a", "b") or _PRICE_COMPARATOR.search(m.group(0))
        if intro != "between" and not priced:
            continue  # "10-12", "8 to 10" and "from 2019 to 2021" are not prices without a sign
        if _overlaps(m.span(), taken) or not _looks_like_price(text, m, "a", "b"):
            continue
        a, b = sorted((_value(m, "a"), _value(m, "b")))
        lows.append(a)
        highs.append(b)
        taken.append(m.span())
    for pattern, bounds in ((_UPPER_BOUND, highs), (_LOWER_BOUND, lows)):
        for m in pattern.finditer(text):
            tag = "a" if m.group("cmp") else "b"
            if _overlaps(m.span(), taken) or not _looks_like_price(text, m, tag):
                continue
            if m.group("after") in ("+", "plus") and not _has_currency(m, tag):
                continue  # "18+" is an age rating, "$18+" a price
            if (m.group("cmp") or "").lower() == "from" and not _has_currency(m, tag):
                continue  # "from 2019" is a year; "from $30" is a price
            bounds.append(_value(m, tag))
            taken.append(m.span())
    return lows, highs


def _stock_spans(text: str, taken: list[tuple[int, int]]) -> bool:
    """Whether the phrase asks for in-stock products; their spans are appended to `taken`."""
    found = False
    for m in _STOCK.finditer(text):
        if _STOCK_NEGATION.search(text[: m.start()]) or _overlaps(m.span(), taken):
            continue
        found = True
        taken.append(m.span())
    return found


def _remaining(text: str, taken: list[tuple[int, int]]) -> str:
    """`text` without the filter phrases and the connector words left dangling around them."""
    out = text
    for start, end in sorted(taken, reverse=True):
        out = f"{out[:start]} \x00 {out[end:]}"
    out = re.sub(r"\s+", " ", out)
    previous = None
    while previous != out:
        previous = out
        out = _LEFT_ORPHANS.sub("\x00", out)
        out = re.sub(r"\x00\s*[,;]?\s*\x00", "\x00", out)
    out = re.sub(r"\s*\x00\s*[,;]?\s*(?:and\s+|or\s+)?(?=\w)", " ", out)
    out = out.replace("\x00", " ")
    out = re.sub(r"\s+([,.;!?])", r"\1", re.sub(r"\s+", " ", out))
    edge = re.compile(rf"^(?:(?:{_EDGE_WORDS})\b|[,;:\-])\s*|\s*(?:[,;:\-]|\b(?:{_EDGE_WORDS}))$", re.I)
    previous = None
    while previous != out:
        previous = out
        out = edge.sub("", out.strip())
    return out.strip() if re.search(r"\w", out) else ""


def parse_filters(text: str) -> tuple[str, Filters]:
    """Split a shopper's phrase into the words to search for and the price/stock filters it states."""
    taken: list[tuple[int, int]] = []
    lows, highs = _price_bounds(text, taken)
    in_stock = _stock_spans(text, taken)
    filters = Filters(
        min_price=max(lows) if lows else None,
        max_price=min(highs) if highs else None,
        in_stock_only=in_stock,
    )
    return (_remaining(text, taken) if taken else text.strip()), filters
