"""US postal addresses in what a shopper typed: the street, city, state and ZIP code they wrote, in one message.

Shoppers write an address the way they would on an envelope ("12 Oak Street, Springfield, IL 62704"), in a
sentence ("please send order 104532 to 500 Main St, Austin TX 78701 instead"), part by part, or with the
parts in another order ("Springfield IL 62704, 12 Oak Street"). The labelling is usaddress's (a conditional
random field trained on US addresses); this module only decides which labelled words make which part and
checks each part, so a part is either plausible or `None`. Parsing never raises: any text is a fair input.

The shop ships chat address changes within the US (the form asks for a 5-digit ZIP code).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace

import usaddress

MAX_CITY_WORDS = 4  # "Lake Havasu City"; a longer run of words is a sentence, not a place
MAX_TEXT_CHARS = 300  # longer messages are not an address; the CRF's cost grows with the length
# Words that lead into an address or a part of it ("my new zip is …"); never part of a city's name.
LEAD_IN_WORDS = frozenset(
    {"it", "it's", "its", "is", "my", "our", "the", "a", "i", "i'm", "we", "to", "at", "in", "and", "of", "for"}
    | {"zip", "zipcode", "code", "postcode", "postal", "city", "town", "street", "address", "shipping", "order"}
    | {"change", "please", "send", "ship", "deliver", "moved", "live", "now", "instead"}
)
# Words before a number that make it an order number, not a house number ("order 104532", "#104532").
ORDER_WORDS = frozenset({"order", "order#", "#", "number", "no", "no.", "nr", "nr."})
HOUSE_NUMBER = re.compile(r"\d{1,6}(?:-?[A-Za-z]|-\d{1,6}|/\d)?")
ZIP_CODE = re.compile(r"(?<!\d)(\d{5})(?:-\d{4})?(?!\d)")  # ZIP or ZIP+4; group 1 is the 5-digit ZIP
PLACE_NAME = re.compile(r"[^\W\d_]+(?:[ .'-]+[^\W\d_]+)*\.?")
STREET_LABELS = frozenset(
    {
        "AddressNumberPrefix",
        "AddressNumber",
        "AddressNumberSuffix",
        "StreetNamePreModifier",
        "StreetNamePreDirectional",
        "StreetNamePreType",
        "StreetName",
        "StreetNamePostType",
        "StreetNamePostDirectional",
        "OccupancyType",
        "OccupancyIdentifier",
        "SubaddressType",
        "SubaddressIdentifier",
        "USPSBoxType",
        "USPSBoxID",
    }
)
STREET_STARTS = frozenset({"AddressNumber", "USPSBoxType"})
# The states, districts and territories the USPS delivers to, by their two-letter code.
US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico", "GU": "Guam",
    "VI": "Virgin Islands", "AS": "American Samoa", "MP": "Northern Mariana Islands",
}  # fmt: skip
STATE_CODES = {name.lower(): code for code, name in US_STATES.items()} | {code.lower(): code for code in US_STATES}

Token = tuple[str, str]  # a word as written (punctuation stripped) and usaddress's label for it


@dataclass(frozen=True)
class PostalAddress:
    """The parts of an address found in a text; a part not found (or not plausible) is None."""

    street: str | None = None  # house number and street, as written ("12 Oak Street", "PO Box 7")
    city: str | None = None
    state: str | None = None  # two-letter code ("IL")
    postcode: str | None = None  # the 5-digit ZIP code

    def filled_in(self, other: PostalAddress) -> PostalAddress:
        """This address with the parts it lacks taken from `other`."""
        missing = {f.name: getattr(other, f.name) for f in fields(self) if getattr(self, f.name) is None}
        return replace(self, **missing)

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    @property
    def is_complete(self) -> bool:
        """Enough to ship to: street, city and ZIP code (the ZIP code names the state)."""
        return None not in (self.street, self.city, self.postcode)


def parse_address(text: str, ignore: Iterable[str] = ()) -> PostalAddress:
    """The address parts in `text`, in any order; words in `ignore` (the order number) are skipped.

    The whole text is labelled first; unless that gives a complete address, each comma-separated piece
    is labelled on its own (a piece is usually one part), so parts written out of the usual order are
    still found, and the whole text's labels fill what the pieces lack.
    """
    if len(text) > MAX_TEXT_CHARS:
        return PostalAddress()
    words = " ".join(_address_words(text, set(ignore)))
    pieces = [" ".join(_without_lead_in(piece.split())) for piece in re.split(r"[,;\n]+", words)]
    pieces = [piece for piece in pieces if piece]
    if not pieces:
        return PostalAddress()
    whole = _parts(_label(", ".join(pieces)))
    if whole.is_complete or len(pieces) == 1:
        return whole
    found = PostalAddress()
    for piece in pieces:
        found = found.filled_in(_parts(_label(piece)))
    found = found.filled_in(whole)
    if found.city is None and (found.street or found.postcode):
        bare_names = (clean_city(piece) for piece in pieces if _only_words(piece) and not clean_state(piece))
        found = replace(found, city=next(filter(None, bare_names), None))
    return found


def clean_street(text: str) -> str | None:
    """A street line as typed, if it has a house number (or PO box number) and a name."""
    street = " ".join(text.split()).strip(" ,;")
    plausible = 4 <= len(street) <= 120 and any(c.isdigit() for c in street) and any(c.isalpha() for c in street)
    return street if plausible else None


def clean_city(text: str) -> str | None:
    """A city name without the words that led into it ("the city is …"), capitalised if typed in lower case."""
    city = " ".join(_without_lead_in(text.replace(",", " ").split())).strip(" .,;:")
    plausible = 2 <= len(city) <= 60 and len(city.split()) <= MAX_CITY_WORDS and PLACE_NAME.fullmatch(city)
    if not plausible or city.lower() in LEAD_IN_WORDS:
        return None
    return city.title() if city.islower() else city


def clean_postcode(text: str) -> str | None:
    """The 5-digit ZIP code in `text` ("62704-1234" gives "62704")."""
    match = ZIP_CODE.search(text)
    return match.group(1) if match else None


def clean_state(text: str) -> str | None:
    return STATE_CODES.get(" ".join(text.replace(".", "").split()).lower())


def _address_words(text: str, ignore: set[str]) -> list[str]:
    """The words of `text` that may belong to an address: not emails, order numbers or ignored words."""
    kept: list[str] = []
    previous = ""
    for word in text.split():
        bare = word.strip(" ,;:.!?()")
        is_order_number = bare.lstrip("#").isdigit() and (bare.startswith("#") or previous in ORDER_WORDS)
        if "@" not in word and bare not in ignore and bare.lstrip("#") not in ignore and not is_order_number:
            kept.append(word)
        previous = bare.lower()
    return kept


def _without_lead_in(words: list[str]) -> list[str]:
    start = 0
    while start < len(words) and words[start].lower().strip(".:!") in LEAD_IN_WORDS:
        start += 1
    return words[start:]


def _label(text: str) -> list[Token]:
    return [(word.strip(" ,;"), label) for word, label in usaddress.parse(text)]


def _parts(tokens: Sequence[Token]) -> PostalAddress:
    postcode = next(filter(None, (clean_postcode(w) for w, label in tokens if label == "ZipCode")), None)
    return PostalAddress(
        street=_street(tokens),
        city=clean_city(" ".join(_place(tokens))),
        state=clean_state(" ".join(_run(tokens, "StateName"))),
        postcode=postcode,
    )


def _street(tokens: Sequence[Token]) -> str | None:
    """The street words from the house number (or PO box) on, as long as they are street labels."""
    start = next((i for i, (word, label) in enumerate(tokens) if label in STREET_STARTS), None)
    if start is None:
        return None
    run: list[Token] = []
    for token in tokens[start:]:
        if token[1] not in STREET_LABELS:
            break
        run.append(token)
    numbers = [word for word, label in run if label == "AddressNumber"]
    has_name = any(label in ("StreetName", "USPSBoxID") for _, label in run)
    if not has_name or (numbers and not HOUSE_NUMBER.fullmatch(numbers[0])):
        return None
    return clean_street(" ".join(word for word, _ in run))


def _place(tokens: Sequence[Token]) -> list[str]:
    """The city's words; a "state" right after them that is no state belongs to the city ("Saint Louis")."""
    labels = [label for _, label in tokens]
    if "PlaceName" not in labels:
        return []
    start = labels.index("PlaceName")
    place = _run(tokens[start:], "PlaceName")
    after = _run(tokens[start + len(place) :], "StateName")
    if after and labels[start + len(place)] == "StateName" and clean_state(" ".join(after)) is None:
        place += after
    return place


def _run(tokens: Sequence[Token], wanted: str) -> list[str]:
    """The words of the first run of tokens labelled `wanted`."""
    words: list[str] = []
    for word, label in tokens:
        if label == wanted:
            words.append(word)
        elif words:
            break
    return words


def _only_words(text: str) -> bool:
    return bool(PLACE_NAME.fullmatch(text.strip(" .")))
