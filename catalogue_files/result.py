"""What an import returns, and the bookkeeping every importer shares to build it.

Every importer (Shopify CSV, the feed formats, the demo loader) and the benchmark catalogue
generator (tools/catalogue_generator.py) build their catalogue through `CatalogueBuilder`, so
category ids, brand ids, colour/size normalisation (contracts.catalogue) and issue reporting are the
same whichever file a catalogue came from.
"""

from __future__ import annotations

import gzip
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TextIO

from contracts.catalogue import (
    Brand,
    Catalogue,
    Category,
    Policy,
    Product,
    ProductLink,
    normalise_colour,
    normalise_size,
)

# A file path (".gz" is read as gzip) or an open text stream.
TextSource = str | os.PathLike | TextIO

CATEGORY_SEPARATOR = ">"

# Option names (lowercased) that mean colour or size, in the languages shops commonly export.
COLOUR_OPTION_NAMES = frozenset(
    {"color", "colour", "colors", "colours", "farbe", "couleur", "colore", "kleur", "färg", "farve", "cor", "kolor"}
)
SIZE_OPTION_NAMES = frozenset(
    {
        "size",
        "sizes",
        "größe",
        "groesse",
        "grösse",
        "taille",
        "talla",
        "taglia",
        "maat",
        "storlek",
        "tamanho",
        "rozmiar",
    }
)


@dataclass(frozen=True)
class ImportIssue:
    """A record the import skipped or took only in part, with the line where that record starts."""

    line: int
    message: str
    source: str = ""

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


@dataclass
class ImportResult:
    """A catalogue plus everything the operator should fix in the file it came from."""

    catalogue: Catalogue
    issues: list[ImportIssue] = field(default_factory=list)
    rows_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.issues


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by "-": stable ids from names ("Apparel & Accessories" -> "apparel-accessories")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def split_category_path(text: str) -> list[str]:
    """ "Apparel & Accessories > Clothing > Shirts" -> its names, top first; blanks dropped."""
    return [part.strip() for part in text.split(CATEGORY_SEPARATOR) if part.strip()]


def colour_and_size(option_names: Sequence[str], option_values: Sequence[str]) -> tuple[str | None, str | None]:
    """The normalised colour and size among a variant's options, whichever language names them."""
    colour = size = None
    for name, value in zip(option_names, option_values, strict=False):
        lowered = name.strip().lower()
        if colour is None and lowered in COLOUR_OPTION_NAMES:
            colour = normalise_colour(value)
        elif size is None and lowered in SIZE_OPTION_NAMES:
            size = normalise_size(value)
    return colour, size


def default_variant_title(option_values: Sequence[str], product_title: str) -> str:
    """Shopify's convention ("M / Blue"), or the product's title when the variant has no options."""
    return " / ".join(option_values) if option_values else product_title


def parse_price(text: str) -> float:
    """A non-negative decimal price; ValueError with a readable reason otherwise."""
    cleaned = text.strip()
    try:
        price = float(cleaned)
    except ValueError:
        raise ValueError(f"price {text!r} is not a number") from None
    if price != price or price in (float("inf"), float("-inf")) or price < 0:
        raise ValueError(f"price {text!r} is not a valid amount")
    return price


def parse_stock(text: str) -> int:
    """A whole number of items; blank means none. ValueError with a readable reason otherwise."""
    cleaned = text.strip()
    if not cleaned:
        return 0
    try:
        number = float(cleaned)
    except ValueError:
        raise ValueError(f"stock {text!r} is not a number") from None
    if number != int(number):
        raise ValueError(f"stock {text!r} is not a whole number")
    return int(number)


@contextmanager
def open_text(source: TextSource, mode: Literal["r", "w"] = "r") -> Iterator[tuple[TextIO, str]]:
    """Open a path (gzip when it ends in .gz; BOM skipped) or pass a stream through, with a name for issues."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        encoding = "utf-8-sig" if mode == "r" else "utf-8"
        if path.suffix == ".gz":
            with gzip.open(path, "rt" if mode == "r" else "wt", encoding=encoding, newline="") as handle:
                yield handle, str(path)
        else:
            with open(path, mode, encoding=encoding, newline="") as handle:
                yield handle, str(path)
    else:
        yield source, str(getattr(source, "name", "<stream>"))


class CatalogueBuilder:
    """Collects one import's records, de-duplicating categories and brands and recording issues.

    Products can be kept (the usual case) or only counted (`keep_products=False`) when a caller
    streams them elsewhere; links are checked against every product id seen either way.
    """

    def __init__(self, *, source: str = "", keep_products: bool = True) -> None:
        self._source = source
        self._file_number = 0  # which file (in reading order) issues belong to, for sorting them
        self.keep_products = keep_products
        self._issues: list[tuple[int, ImportIssue]] = []
        self.rows_read = 0
        self._categories: dict[str, Category] = {}
        self._brands: dict[str, Brand] = {}
        self._products: list[Product] = []
        self._product_ids: set[str] = set()
        self._skus: set[str] = set()
        self._links: list[tuple[ProductLink, int, str, int]] = []
        self._policies: dict[str, Policy] = {}

    @property
    def source(self) -> str:
        """The file being read: issues name it, and are listed file by file in reading order."""
        return self._source

    @source.setter
    def source(self, name: str) -> None:
        self._source = name
        self._file_number += 1

    @property
    def issues(self) -> list[ImportIssue]:
        return [issue for _, issue in self._issues]

    def issue(self, line: int, message: str) -> None:
        self._issues.append((self._file_number, ImportIssue(line=line, message=message, source=self.source)))

    def category_id(self, path: Sequence[str]) -> str | None:
        """The leaf id for a path of category names, adding the path's nodes (parents first) when new."""
        parent_id: str | None = None
        for name in path:
            slug = slugify(name)
            if not slug:
                continue
            category_id = f"{parent_id}/{slug}" if parent_id else slug
            if category_id not in self._categories:
                self._categories[category_id] = Category(id=category_id, name=name.strip(), parent_id=parent_id)
            parent_id = category_id
        return parent_id

    def brand_id(self, name: str) -> str | None:
        """The brand's id for a vendor/brand name, adding the brand when new; None for a blank name."""
        cleaned = " ".join(name.split())
        brand_id = slugify(cleaned)
        if not brand_id:
            return None
        if brand_id not in self._brands:
            self._brands[brand_id] = Brand(id=brand_id, name=cleaned)
        return brand_id

    def unique_sku(self, sku: str, line: int) -> str:
        """`sku`, or a suffixed copy (reported) when another variant already has it: stores key variants by SKU."""
        if sku not in self._skus:
            self._skus.add(sku)
            return sku
        number = 2
        while f"{sku}-{number}" in self._skus:
            number += 1
        renamed = f"{sku}-{number}"
        self.issue(line, f"duplicate SKU {sku!r}; imported as {renamed!r}")
        self._skus.add(renamed)
        return renamed

    def has_product(self, product_id: str) -> bool:
        return product_id in self._product_ids

    def add_product(self, product: Product, line: int) -> bool:
        """Keep `product` unless its id was seen before (reported)."""
        if product.id in self._product_ids:
            self.issue(line, f"product {product.id!r} appears again; the later one is skipped")
            return False
        self._product_ids.add(product.id)
        if self.keep_products:
            self._products.append(product)
        return True

    def add_link(self, link: ProductLink, line: int) -> None:
        """Links are checked in `finish`, once every product is known (a feed may list them first)."""
        self._links.append((link, line, self.source, self._file_number))

    def add_policy(self, policy: Policy, line: int) -> None:
        if policy.id in self._policies:
            self.issue(line, f"policy {policy.id!r} appears again; the later one is skipped")
            return
        self._policies[policy.id] = policy

    def add_issues(self, issues: Iterable[ImportIssue]) -> None:
        self._issues.extend((self._file_number, issue) for issue in issues)

    def finish(self) -> ImportResult:
        """The result: links whose ends are unknown, self-links and duplicate links are reported and dropped.

        Issues come sorted by file (in reading order) and line.
        """
        links: list[ProductLink] = []
        seen: set[tuple[str, str, str]] = set()
        for link, line, source, file_number in self._links:
            key = (link.kind, link.source_id, link.target_id)
            missing = [end for end in (link.source_id, link.target_id) if end not in self._product_ids]
            if missing:
                reason = f"{link.kind} link refers to unknown product {missing[0]!r}"
            elif link.source_id == link.target_id:
                reason = f"{link.kind} link from {link.source_id!r} to itself"
            elif key in seen:
                reason = f"duplicate {link.kind} link {link.source_id!r} -> {link.target_id!r}"
            else:
                seen.add(key)
                links.append(link)
                continue
            self._issues.append((file_number, ImportIssue(line=line, message=reason, source=source)))
        self._issues.sort(key=lambda numbered: (numbered[0], numbered[1].line))
        catalogue = Catalogue(
            products=self._products,
            categories=list(self._categories.values()),
            brands=list(self._brands.values()),
            links=links,
            policies=list(self._policies.values()),
        )
        return ImportResult(catalogue=catalogue, issues=self.issues, rows_read=self.rows_read)
