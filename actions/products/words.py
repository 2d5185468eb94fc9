"""What shoppers say about products, read without any I/O: sizes, colours, attributes, topics.

Kept apart from the actions so the vocabulary can grow (or be translated) without touching the
dialogue logic, and so every rule here is a plain function that is easy to test.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from actions.products.texts import option_label
from contracts.catalogue import Attribute, ProductDetails, ProductSummary, Variant, normalise_colour, normalise_size

DEMONSTRATIVE_BEFORE = re.compile(r"\b(?:this|that|these|those|same)\s*$")
PRONOUN = re.compile(r"\b(?:it|its|this|that|this one|that one|them|they)\b")
BOTH = re.compile(r"\b(?:these two|those two|the two|both|them|these|those|the two of them)\b")
ACCESSORIES = re.compile(r"\baccessor(?:y|ies)\b")
FIT_PHRASE = re.compile(
    r"\b(?:fits?|fit (?:on|in|into)|works? (?:with|on|in)|compatible with|go(?:es)? with|suitable for|for)\s+"
    r"(?:an?\s+|the\s+|my\s+|our\s+)?(?P<target>[^?.!,;]+)"
)
LIST_QUESTION = re.compile(r"\b(?:which|what|any|show|list|find|got|options|recommend|do you (?:have|sell|carry))\b")
GENERIC_KINDS = {"product", "products", "thing", "things", "stuff", "item", "items", "accessory", "accessories"}

# Spoken/typed size forms beyond what the importer normalises ("L", "large" -> "L").
SIZE_ALIASES = {
    "lg": "L",
    "lrg": "L",
    "sm": "S",
    "sml": "S",
    "med": "M",
    "md": "M",
    "x large": "XL",
    "xlarge": "XL",
    "x small": "XS",
    "xsmall": "XS",
    "xx large": "XXL",
    "xxlarge": "XXL",
    "2x": "XXL",
    "3x": "XXXL",
}
SIZE_WORD = re.compile(
    r"\b(xxxl|xxl|xxs|xl|xs|2xl|3xl|extra[- ]small|extra[- ]large|x[- ]?large|x[- ]?small|xx[- ]?large"
    r"|small|medium|large|lrg|lg|med)\b"
)
SIZE_AFTER_WORD = re.compile(r"\b(?:size|in)\s+(?:size\s+)?(\d{1,3}(?:\.5)?|xxs|xs|s|m|l|xl|xxl|xxxl|2xl|3xl)(?![\w'])")

# Words that ask about an attribute, by the attribute names shops use (matched to the product's own).
ATTRIBUTE_WORDS: dict[str, tuple[str, ...]] = {
    "material": ("made of", "made from", "material", "fabric", "cotton", "wool", "leather", "linen", "polyester"),
    "waterproof": ("waterproof", "water resistant", "water-resistant", "water proof"),
    "warmth": ("warm", "warmth", "insulat"),
    "weight": ("heavy", "weigh", "weight"),
    "dimensions": ("dimension", "how big", "how large", "how tall", "how wide", "measure"),
    "capacity": ("capacity", "how much does it hold", "volume", "litre", "liter"),
    "battery": ("battery",),
    "origin": ("made in", "where is it made", "where's it made", "country of origin", "origin"),
    "fit": ("fit", "run small", "runs small", "run large", "runs large", "true to size"),
    "care": ("wash", "care", "clean", "iron", "dry"),
    "warranty": ("warranty", "guarantee"),
}
# Attributes that describe what a product is rather than answer a question about it.
DESCRIPTIVE_ATTRIBUTES = {"type", "product_type", "gender", "age_group"}


def singular(word: str) -> str:
    word = word.lower().strip()
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def refers_back(phrase: str) -> bool:
    """'it', 'this phone', 'that one': the product already in the conversation."""
    first = phrase.split()[0] if phrase.split() else ""
    return first in {"it", "this", "that", "these", "those", "them"}


def kind_matches(product: ProductSummary, kind: str | None) -> bool:
    """'case' matches 'Slim Case for Phone X' or type 'Phone Cases'; 'phone' matches type 'Smartphone'."""
    if not kind:
        return True
    haystack = " ".join([product.title, product.product_type, *product.category_path]).lower()
    return singular(kind.split()[-1]) in haystack


def kind_word(names: Sequence[str]) -> str | None:
    kinds = [n for n in names if singular(n.split()[-1]) not in {singular(g) for g in GENERIC_KINDS}]
    return singular(kinds[0]) if kinds else None


def is_cheaper(product: ProductSummary, limit: float | None) -> bool:
    return limit is None or (product.min_price is not None and product.min_price < limit)


def asked_attributes(question: str, attributes: Iterable[Attribute]) -> list[Attribute]:
    """The product's attributes the question asks about, by name, by a word for it, or by value."""
    lowered = question.lower()
    asked = []
    for attribute in attributes:
        name = attribute.name.lower()
        if name in DESCRIPTIVE_ATTRIBUTES:
            continue
        words = {name, name.replace("_", " "), *ATTRIBUTE_WORDS.get(name, ())}
        if any(re.search(rf"\b{re.escape(word)}", lowered) for word in words):
            asked.append(attribute)
    if asked:
        return asked
    yes_no = re.match(r"\s*(?:is|are|does|do|has|have|can)\b", lowered)
    if yes_no:
        return [
            a
            for a in attributes
            if a.name.lower() not in DESCRIPTIVE_ATTRIBUTES
            and len(a.value) > 2
            and re.search(rf"\b{re.escape(a.value.lower())}\b", lowered)
        ]
    return []


def asked_concepts(question: str) -> list[str]:
    """Attribute words in the question, for products that don't have that attribute."""
    lowered = question.lower()
    return [
        name
        for name, words in ATTRIBUTE_WORDS.items()
        if any(re.search(rf"\b{re.escape(word)}", lowered) for word in words)
    ]


@dataclass(frozen=True)
class Options:
    """The size and/or colour the shopper asked about (normalised like the catalogue's variants)."""

    size: str | None = None
    colour: str | None = None

    def __bool__(self) -> bool:
        return bool(self.size or self.colour)

    @property
    def label(self) -> str:
        return option_label(self.size, self.colour)


def normalise_size_value(value: str) -> str | None:
    """'large', 'lg', 'L' -> 'L'; '32' stays '32' (the catalogue's variants are normalised the same way)."""
    cleaned = " ".join(str(value).lower().replace("-", " ").split())
    return normalise_size(SIZE_ALIASES.get(cleaned, cleaned))


def same_size(variant: Variant, size: str) -> bool:
    if not variant.size:
        return False
    return (normalise_size_value(variant.size) or "").lower() == size.lower()


def same_colour(variant: Variant, colour: str) -> bool:
    """'blue' matches 'ocean blue'; 'gray' matches 'grey'."""
    if not variant.colour:
        return False
    have = set(_colour_words(variant.colour))
    want = set(_colour_words(colour))
    return bool(want) and want <= have


def _colour_words(colour: str) -> list[str]:
    return [{"gray": "grey"}.get(w, w) for w in (normalise_colour(colour) or "").split()]


def requested_options(
    text: str, size_entities: Sequence[str], colour_entities: Sequence[str], details: ProductDetails
) -> Options:
    """Size and colour from the entities, else from the words; words of the product's title don't count."""
    text = text.lower()
    title = details.title.lower()
    sizes = list(size_entities)
    if not sizes and any(v.size for v in details.variants):
        sizes = [m.group(1) for m in SIZE_AFTER_WORD.finditer(text)] + [m.group(1) for m in SIZE_WORD.finditer(text)]
        sizes += [v.size for v in details.variants if v.size and len(v.size) > 1 and _said(v.size, text)]
    size = next((normalise_size_value(s) for s in sizes if not _said(s, title)), None)
    colours = list(colour_entities)
    offered = sorted({v.colour for v in details.variants if v.colour}, key=len, reverse=True)
    colours += [c for c in offered if re.search(rf"\b{re.escape(c.lower())}\b", text)]
    colour = next((c.lower() for c in colours if not _in_title_only(c, title, details.variants)), None)
    return Options(size=size, colour=colour)


def _said(word: str, text: str) -> bool:
    """The word on its own in the text (not inside another word, not a price like '$32')."""
    return re.search(rf"(?<![\w$]){re.escape(word.lower())}(?!\w)", text) is not None


def _in_title_only(colour: str, title: str, variants: Sequence[Variant]) -> bool:
    """'Ocean Blue Shirt' names the shirt; 'blue' there is not a colour choice unless a variant is blue."""
    in_title = re.search(rf"\b{re.escape(colour.lower())}\b", title) is not None
    return in_title and not any(same_colour(v, colour) for v in variants)


def matching(variants: Iterable[Variant], options: Options) -> list[Variant]:
    return [
        v
        for v in variants
        if (not options.size or same_size(v, options.size)) and (not options.colour or same_colour(v, options.colour))
    ]


def offered_values(variants: Sequence[Variant], options: Options) -> tuple[str, list[str]]:
    """What the product comes in instead, for the option that isn't offered: ("size", [...]) or ("colour", [...])."""
    if options.size and not any(same_size(v, options.size) for v in variants):
        return "size", list(dict.fromkeys(v.size for v in variants if v.size))
    return "colour", list(dict.fromkeys(v.colour for v in variants if v.colour))


VAGUE_WORDS = re.compile(
    r"\b(?:what|whats|what's|do|you|u|recommend|recommendations?|suggest|suggestions?|any|anything|something|me"
    r"|can|could|please|good|popular|best|sellers?|trending|i|should|buy|get|pick|would|think|help|choose|ideas?"
    r"|top|rated|products?|now|right|your|are|is|the|a|have|give|some|to|decide|cant|can't)\b"
)


def is_vague_request(text: str) -> bool:
    """'what do you recommend?', 'any suggestions': nothing said about what is wanted."""
    words = re.sub(r"[^\w\s$€£'-]", " ", text.lower())
    return not VAGUE_WORDS.sub(" ", words).split()
