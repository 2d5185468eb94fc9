"""Masks personal data in free text before it is written anywhere (log lines first).

What a shopper types into a chat reaches many log lines (a message that failed, a slot value, a
backend's error text). Masked here: e-mail addresses, card numbers (13 to 19 digits passing the Luhn
check, so order numbers and prices stay readable), phone numbers, postal addresses (a street line
with a house number and a street word, a PO box, a US state + ZIP, a UK postcode) and the answers of
the order ownership proof (an e-mail or a ZIP code, also when it follows `zip`, `postcode` or `proof`).

Rules, not a model: they run on every log record in both venvs (standard library only) and their
recall and precision are measured by `benchmarks/redaction_recall.py` (docs/benchmarks.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

KINDS = ("card", "email", "phone", "address", "postcode", "proof")

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
PHONE = re.compile(
    r"(?<![\w+.:/-])(?:(?:\+|00)\d{1,3}[ .-]?(?:\d[ .-])?|1[ .-](?=\d{3}[ .-]))?(?:\(\d{2,5}\)[ .-]?)?"
    r"(?:\d{2,6}(?:[ .-]\d{2,6}){1,4}|\d{10,15})(?![\w:]|[.-]\d)"
)
# A bare run of digits longer than this is a product code (EAN-13, SKU), not a phone number, unless it
# starts with a country code (+ or 00).
MAX_BARE_PHONE_DIGITS = 12
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
STREET_WORDS = (
    "street|st|road|rd|avenue|ave|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|way|terrace|ter|"
    "parkway|pkwy|circle|cir|highway|hwy|square|sq|alley|row|crescent|close|loop|plaza|mews|"
    "gardens|grove|walk|heights|wharf|quay|"
    # USPS street suffixes (Publication 28, appendix C1) that are neither everyday words after a count
    # ("2 points", "3 views") nor common in product titles ("2 Blue Mountain jackets", "V Neck", "Corner
    # Shelf": measured on 9,708 real product titles, docs/benchmarks.md "Log redaction").
    "bypass|causeway|coves?|crossing|crossroads?|dale|divide|estates?|expressway|extensions?|ferry|"
    "forks?|fort|freeway|haven|inlet|junctions?|knolls?|landing|manors?|motorway|orchard|pass|pike|"
    "radial|ranch|rapids|route|shoals?|skyway|spurs?|stravenue|throughway|trace|trafficway|tunnel|"
    "turnpike|underpass|viaduct|villages?|ville|wells"
)
# A flat or unit before the house number ("Unit 2, 8 Harbour Road", "Apt 4B 12 Main St").
UNIT_BEFORE = r"(?:(?:apt|apartment|unit|flat|suite|ste)\.?\s*#?[\w-]{1,5},?\s+)?"
# Street names may be ordinals ("250 West 57th Street").
STREET_NAME = r"(?:[A-Za-z][\w'.-]*|\d{1,3}(?:st|nd|rd|th))"
STREET = re.compile(
    r"(?<![\w.-])"
    + UNIT_BEFORE
    + r"\d{1,6}[A-Za-z]?(?P<names>(?:\s+"
    + STREET_NAME
    + r"){1,4}?)\s+(?:"
    + STREET_WORDS
    + r")\b\.?(?!\s+(?:"  # the last street word of the line: "700 W Pine Blvd.", "16 Lower Mill Close"
    + STREET_WORDS
    + r")\b)"
    r"(?:\s+(?-i:[NS][EW]|[NSEW])\b)?"  # a quarter: "Pennsylvania Ave NW"
    r"(?:,?\s*(?:apt|apartment|suite|ste|unit|#)\.?\s*[\w-]+)?"
    r"(?:,\s*[A-Za-z][A-Za-z.'-]*(?:\s[A-Za-z][A-Za-z.'-]*){0,3})?"  # the town
    r"(?:,\s*(?-i:[A-Z]{2})\b)?(?:\s+\d{5}(?:-\d{4})?)?(?!\w)",  # state and ZIP
    re.IGNORECASE,
)
# Small words that occur between a count and a street word in ordinary sentences ("3 items on the way").
NOT_STREET_NAMES = frozenset(
    [
        "a",
        "an",
        "the",
        "on",
        "in",
        "of",
        "to",
        "my",
        "your",
        "our",
        "for",
        "and",
        "or",
        "is",
        "are",
        "by",
        "at",
        "it",
        "this",
        "that",
        "items",
    ]
)
CONTINENTAL_STREET_WORDS = (
    "rua|rue|calle|carrer|via|viale|avenida|avenue|av\\.|piazza|praça|largo|boulevard|chemin|allée"
)
STREET_WORD_FIRST = re.compile(
    r"(?<![\w.-])(?:\d{1,5}[a-z]?,?\s+)?(?:" + CONTINENTAL_STREET_WORDS + r")"
    r"(?:\s+(?:d[aeo]s?|de\s+la|del|di|du|des|l'|la|le)?\s*[A-ZÀ-Ý][\w'À-ÿ-]*){1,3}(?:,?\s+\d{1,5}[a-z]?\b)?",
    re.IGNORECASE,
)
COMPOUND_STREET = re.compile(
    r"\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|allee|platz|gasse|damm|ring|ufer|chaussee|"
    r"laan|straat|gracht|plein|gade|vej|gatan|vägen)\s+\d{1,5}[a-z]?\b"
)
# A whole address line ending in a ZIP code, whatever the street is called: a house number and
# capitalised words, maybe a unit, a comma, a town and maybe a state ("47510 Howell Port Apt. 183,
# West Justin 35315"; "141 Hodges Mountains, Kramerville, NM 87101").
ADDRESS_WITH_ZIP = re.compile(
    r"(?<![\w.-])\d{1,6}[A-Za-z]?(?:\s+[A-Z][\w'.-]*){1,4}(?:\s+(?:Apt|Apartment|Suite|Ste|Unit)\.?\s*#?[\w-]+)?"
    r",\s*[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*){0,3},?\s+(?:[A-Z]{2}\s+)?\d{5}(?:-\d{4})?(?!\w)"
)
PO_BOX = re.compile(r"\bP\.?\s?O\.?\s+Box\s+\d{1,6}\b", re.IGNORECASE)
STATE_ZIP = re.compile(r"(?<=\b[A-Z]{2}\s)\d{5}(?:-\d{4})?\b")
ZIP_PLUS_4 = re.compile(r"(?<![\w-])\d{5}-\d{4}(?![\w-])")
UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b")
CA_POSTCODE = re.compile(r"\b[ABCEGHJ-NPRSTVXY]\d[A-Z] ?\d[A-Z]\d\b")
POSTCODE_BEFORE_TOWN = re.compile(r"(?<=,\s)\d{5}(?=\s+[A-ZÄÖÜ][a-zäöüß]+\b)")
# A ZIP code said on its own: the answer to "what's the ZIP code?" ("94107", "it's 94107").
BARE_ZIP = re.compile(
    r"^\s*(?:(?:it'?s|it\s+is|that'?s|sure,?|ok,?|yes,?)\s+)?(?P<value>\d{5}(?:-\d{4})?)\s*[.!]?\s*$", re.I
)
PROOF = re.compile(
    r"\b(?:zip(?:\s*code)?|post(?:al)?\s*code|postcode|order_proof|proof)\b"
    r"(?:\s*(?:is|was|:|=)\s*|\s+(?:[a-z]+\s+){1,4}?(?:is|was)\s+|\s+)['\"]?"
    r"(?P<value>[^\s'\",;)]*[\d@][^\s'\",;)]*)",  # a ZIP/postcode or an e-mail: it has a digit or an @
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _cards(text: str) -> Iterator[tuple[int, int]]:
    for match in CARD.finditer(text):
        digits = _digits(match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            yield match.span()


def _phones(text: str) -> Iterator[tuple[int, int]]:
    for match in PHONE.finditer(text):
        candidate = match.group()
        digits = _digits(candidate)
        if not 7 <= len(digits) <= 15 or ISO_DATE.match(candidate) or IPV4.fullmatch(candidate):
            continue
        if candidate.isdigit() and len(digits) > MAX_BARE_PHONE_DIGITS:
            continue
        # Fewer than 10 digits without a country code or area code in brackets: a phone number only
        # in the local shape 555-0134 (spaces or dots between short numbers are more often quantities).
        if candidate[0] in "+(" or candidate.startswith("00") or len(digits) >= 10 or "-" in candidate:
            yield match.span()


def _streets(text: str) -> Iterator[tuple[int, int]]:
    for match in STREET.finditer(text):
        names = match.group("names").lower().split()
        if not any(name in NOT_STREET_NAMES for name in names):
            yield match.span()


def _plain(pattern: re.Pattern[str]) -> Callable[[str], Iterator[tuple[int, int]]]:
    return lambda text: (match.span() for match in pattern.finditer(text))


def _proof_values(text: str) -> Iterator[tuple[int, int]]:
    return (match.span("value") for match in PROOF.finditer(text))


def _bare_zip(text: str) -> Iterator[tuple[int, int]]:
    return (match.span("value") for match in BARE_ZIP.finditer(text))


# In order of precedence: a span found earlier wins over an overlapping later one.
FINDERS: tuple[tuple[str, Callable[[str], Iterator[tuple[int, int]]]], ...] = (
    ("email", _plain(EMAIL)),
    ("card", _cards),
    ("address", _plain(ADDRESS_WITH_ZIP)),
    ("address", _streets),
    ("address", _plain(STREET_WORD_FIRST)),
    ("address", _plain(COMPOUND_STREET)),
    ("address", _plain(PO_BOX)),
    ("postcode", _plain(ZIP_PLUS_4)),
    ("postcode", _plain(STATE_ZIP)),
    ("postcode", _plain(UK_POSTCODE)),
    ("postcode", _plain(CA_POSTCODE)),
    ("postcode", _plain(POSTCODE_BEFORE_TOWN)),
    ("phone", _phones),
    ("proof", _proof_values),
    ("proof", _bare_zip),
)


def find_personal_data(text: str) -> list[Span]:
    """The spans to mask, sorted and not overlapping."""
    spans: list[Span] = []
    for kind, finder in FINDERS:
        for start, end in finder(text):
            if all(end <= other.start or start >= other.end for other in spans):
                spans.append(Span(kind, start, end))
    return sorted(spans, key=lambda span: span.start)


def redact(text: str) -> str:
    """`text` with every personal datum replaced by `[kind]`, e.g. "write to [email]"."""
    if not text:
        return text
    pieces: list[str] = []
    position = 0
    for span in find_personal_data(text):
        pieces.append(text[position : span.start])
        pieces.append(f"[{span.kind}]")
        position = span.end
    pieces.append(text[position:])
    return "".join(pieces)
