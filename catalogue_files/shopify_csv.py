"""Shopify's product CSV (the export/import format every Shopify shop can produce) -> catalogue records.

The format: one row per variant, rows grouped by `Handle`. The first row of a handle carries the
product (Title, Body (HTML), Vendor, Type, Tags, Product Category, option names); later rows carry
only variant fields, or only an image (those are not variants). `Option1..3 Name/Value` hold the
options; the name "Title" with value "Default Title" means the product has no real options.

What becomes what:
  Vendor -> Brand; Product Category (a taxonomy path "A > B > C"), else Google Shopping's product
  category when it is a path, else Type -> the category tree (slug-path ids); Tags -> tags;
  Body (HTML) -> plain text; options -> option_names/option_values plus normalised colour and size;
  Variant Inventory Qty -> stock (blank -> 0); Variant Compare At Price -> compare_at_price (only
  when above the price); a blank SKU -> handle + option values; a repeated SKU -> suffixed, reported.
  Attributes (option-independent facts): type, gender/age group (Google Shopping columns, else
  men/women/unisex/kids tags), material (tags naming a material), "name:value" tags, and any
  product metafield column ("Fabric (product.metafields.shopify.fabric)" -> fabric).

Rows of one handle must be together, as Shopify exports them (products stream out as each handle
ends). A bad record (a price that is not a number, a variant row for a handle with no product row,
...) becomes an `ImportIssue` with the physical line where the record starts; the rest still imports.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TextIO

from catalogue_files.result import (
    CatalogueBuilder,
    ImportResult,
    TextSource,
    colour_and_size,
    default_variant_title,
    open_text,
    parse_price,
    parse_stock,
    slugify,
    split_category_path,
)
from contracts.catalogue import Attribute, Product, Variant

# Tags that name a material; such a tag also becomes a `material` attribute.
MATERIAL_WORDS = frozenset(
    {
        "acrylic",
        "alpaca",
        "aluminium",
        "aluminum",
        "bamboo",
        "brass",
        "canvas",
        "cardboard",
        "cashmere",
        "cast iron",
        "ceramic",
        "clay",
        "concrete",
        "copper",
        "cork",
        "corduroy",
        "cotton",
        "denim",
        "down",
        "fleece",
        "glass",
        "gold",
        "jute",
        "leather",
        "linen",
        "marble",
        "merino",
        "merino wool",
        "metal",
        "nylon",
        "organic cotton",
        "polyester",
        "porcelain",
        "rattan",
        "recycled polyester",
        "rubber",
        "silicone",
        "silk",
        "silver",
        "stainless steel",
        "steel",
        "sterling silver",
        "suede",
        "velvet",
        "wicker",
        "wood",
        "wool",
    }
)
GENDER_TAGS = {"men": "men", "mens": "men", "women": "women", "womens": "women", "unisex": "unisex", "kids": "kids"}
# Google Shopping's gender values, in the words the tags use.
GOOGLE_GENDERS = {"male": "men", "female": "women", "unisex": "unisex"}
# Columns whose value is a fact about the whole product, as (column, attribute name).
GOOGLE_ATTRIBUTE_COLUMNS = (("google shopping / gender", "gender"), ("google shopping / age group", "age_group"))
# Any of these filled in makes a row a variant row (image-only rows have none of them).
VARIANT_COLUMNS = (
    "option1 value",
    "option2 value",
    "option3 value",
    "variant sku",
    "variant price",
    "variant inventory qty",
    "variant compare at price",
    "variant barcode",
)
# Columns read from a product's first row.
PRODUCT_COLUMNS = (
    "body (html)",
    "vendor",
    "type",
    "tags",
    "product category",
    "google shopping / google product category",
    *(column for column, _ in GOOGLE_ATTRIBUTE_COLUMNS),
)
NO_OPTION_NAME, NO_OPTION_VALUE = "title", "default title"
_METAFIELD_COLUMN = re.compile(r"^(?P<label>.*?)\s*\(product\.metafields\.[^.)]+\.(?P<key>[^)]+)\)\s*$", re.IGNORECASE)
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "ul", "ol", "li", "tr", "table", "section", "article", "blockquote", "pre", "hr"}
    | {f"h{level}" for level in range(1, 7)}
)


class _TextExtractor(HTMLParser):
    """Collects an HTML fragment's text: block tags become line breaks, list items "- ", scripts vanish."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden_depth += 1
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden_depth = max(self._hidden_depth - 1, 0)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(" ".join(data.split()) if data.strip() else " ")


def html_to_text(html: str) -> str:
    """Plain text of a product body: what a chat answer can quote (one line per paragraph or list item)."""
    if not html.strip():
        return ""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).split("\n"))
    return "\n".join(line for line in lines if line and line != "-")


def split_tags(text: str) -> tuple[str, ...]:
    """Shopify's comma-separated tags, trimmed, without case-insensitive repeats."""
    tags: list[str] = []
    seen: set[str] = set()
    for tag in text.split(","):
        cleaned = " ".join(tag.split())
        if cleaned and cleaned.lower() not in seen:
            seen.add(cleaned.lower())
            tags.append(cleaned)
    return tuple(tags)


class _Row:
    """One CSV record read by (lowercased) column name; missing columns read as ""."""

    __slots__ = ("cells", "columns", "line")

    def __init__(self, columns: dict[str, int], cells: list[str], line: int) -> None:
        self.columns = columns
        self.cells = cells
        self.line = line

    def get(self, column: str) -> str:
        index = self.columns.get(column)
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index].strip()

    def is_variant(self) -> bool:
        return any(self.get(column) for column in VARIANT_COLUMNS)


@dataclass
class _ProductDraft:
    """A product whose rows are still being read."""

    handle: str
    line: int
    title: str
    fields: dict[str, str]
    option_names: list[str]
    image_url: str = ""
    variants: list[Variant] = field(default_factory=list)


def csv_records(text: TextIO, on_error: Callable[[int, str], None]) -> Iterator[tuple[int, list[str]]]:
    """Non-blank CSV records with the physical line each starts on (quoted fields may span lines).

    A record the csv module cannot read ends the file: `on_error` hears where and why.
    """
    reader = csv.reader(text)
    next_line = 1
    while True:
        line = next_line
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            on_error(line, f"unreadable CSV, the rest of the file is skipped: {error}")
            return
        next_line = reader.line_num + 1
        if any(cell.strip() for cell in cells):
            yield line, cells


def _header_columns(cells: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(cells):
        key = name.lstrip("\ufeff").strip().lower()
        if key and key not in columns:
            columns[key] = index
    return columns


class ShopifyCsvReader:
    """Streams products from a Shopify product CSV; categories, brands and issues collect in `builder`.

    Products come out as soon as their last row is read, so a large export is never held twice.
    """

    def __init__(self, source: TextSource, *, currency: str = "USD", builder: CatalogueBuilder | None = None) -> None:
        self.source = source
        self.currency = currency
        self.builder = builder or CatalogueBuilder()
        self._metafield_columns: list[tuple[str, str]] = []
        self._finished_handles: dict[str, int] = {}

    def products(self) -> Iterator[Product]:
        with open_text(self.source) as (text, name):
            self.builder.source = name
            records = csv_records(text, self.builder.issue)
            header = next(records, None)
            if header is None:
                self.builder.issue(1, "the file is empty: no header row")
                return
            columns = _header_columns(header[1])
            if "handle" not in columns:
                self.builder.issue(header[0], "no Handle column: this is not a Shopify product CSV")
                return
            self._metafield_columns = self._find_metafield_columns(columns)
            yield from self._products_from(records, columns)

    def _products_from(self, records: Iterator[tuple[int, list[str]]], columns: dict[str, int]) -> Iterator[Product]:
        draft: _ProductDraft | None = None
        skipped_handle: str | None = None
        for line, cells in records:
            self.builder.rows_read += 1
            row = _Row(columns, cells, line)
            handle = row.get("handle")
            if not handle:
                self.builder.issue(line, "row has no Handle; skipped")
                continue
            if draft is not None and handle == draft.handle:
                self._add_row(draft, row)
                continue
            if handle == skipped_handle:
                continue
            if draft is not None:
                yield from self._finish(draft)
                draft = None
            draft = self._start(row, handle)
            skipped_handle = None if draft else handle
        if draft is not None:
            yield from self._finish(draft)

    def _start(self, row: _Row, handle: str) -> _ProductDraft | None:
        if handle in self._finished_handles:
            self.builder.issue(
                row.line,
                f"rows for handle {handle!r} must be together (its product starts on line "
                f"{self._finished_handles[handle]}); this row and the next ones for it are skipped",
            )
            return None
        title = row.get("title")
        if not title:
            kind = "variant row" if row.is_variant() else "row"
            self.builder.issue(row.line, f"{kind} for unknown product {handle!r} (no Title); skipped")
            return None
        fields = {column: row.get(column) for column in PRODUCT_COLUMNS}
        for column, _ in self._metafield_columns:
            fields[column] = row.get(column)
        option_names = [row.get(f"option{number} name") for number in (1, 2, 3)]
        draft = _ProductDraft(handle=handle, line=row.line, title=title, fields=fields, option_names=option_names)
        self._add_row(draft, row)
        return draft

    def _add_row(self, draft: _ProductDraft, row: _Row) -> None:
        for index in range(3):
            if not draft.option_names[index]:
                draft.option_names[index] = row.get(f"option{index + 1} name")
        if not draft.image_url:
            draft.image_url = row.get("image src")
        if row.is_variant():
            variant = self._variant(draft, row)
            if variant is not None:
                draft.variants.append(variant)

    def _variant(self, draft: _ProductDraft, row: _Row) -> Variant | None:
        names: list[str] = []
        values: list[str] = []
        for index, option_name in enumerate(draft.option_names):
            value = row.get(f"option{index + 1} value")
            if not value or (option_name.lower() == NO_OPTION_NAME and value.lower() == NO_OPTION_VALUE):
                continue
            names.append(option_name or f"Option{index + 1}")
            values.append(value)
        try:
            price = parse_price(row.get("variant price"))
        except ValueError as error:
            self.builder.issue(row.line, f"variant of {draft.handle!r} skipped: {error}")
            return None
        compare_at = self._compare_at_price(row, price)
        try:
            stock = parse_stock(row.get("variant inventory qty"))
        except ValueError as error:
            self.builder.issue(row.line, f"{error}; counted as 0")
            stock = 0
        sku = row.get("variant sku") or slugify("-".join([draft.handle, *values])) or draft.handle
        colour, size = colour_and_size(names, values)
        return Variant(
            sku=self.builder.unique_sku(sku, row.line),
            product_id=draft.handle,
            title=default_variant_title(values, draft.title),
            price=price,
            stock=stock,
            compare_at_price=compare_at,
            colour=colour,
            size=size,
            option_names=tuple(names),
            option_values=tuple(values),
        )

    def _compare_at_price(self, row: _Row, price: float) -> float | None:
        """The "was" price, kept only when it is above the price (Shopify shows no sale otherwise)."""
        text = row.get("variant compare at price")
        if not text:
            return None
        try:
            compare_at = parse_price(text)
        except ValueError as error:
            self.builder.issue(row.line, f"compare-at {error}; ignored")
            return None
        return compare_at if compare_at > price else None

    def _finish(self, draft: _ProductDraft) -> Iterator[Product]:
        self._finished_handles[draft.handle] = draft.line
        fields = draft.fields
        tags = split_tags(fields["tags"])
        product = Product(
            id=draft.handle,
            title=draft.title,
            description=html_to_text(fields["body (html)"]),
            product_type=fields["type"],
            brand_id=self.builder.brand_id(fields["vendor"]),
            category_id=self.builder.category_id(self._category_path(fields)),
            tags=tags,
            image_url=draft.image_url,
            currency=self.currency,
            attributes=self._attributes(fields, tags),
            variants=tuple(draft.variants),
        )
        if self.builder.add_product(product, draft.line):
            yield product

    @staticmethod
    def _category_path(fields: dict[str, str]) -> list[str]:
        """Product Category when given, else Google's category when it is a path (not a numeric id), else Type."""
        google = fields["google shopping / google product category"]
        for text in (fields["product category"], "" if google.isdigit() else google):
            path = split_category_path(text)
            if path:
                return path
        return [fields["type"]] if fields["type"] else []

    def _attributes(self, fields: dict[str, str], tags: tuple[str, ...]) -> tuple[Attribute, ...]:
        found: dict[str, Attribute] = {}

        def add(name: str, value: str) -> None:
            cleaned = " ".join(value.split())
            if cleaned:
                attribute = Attribute(name=name, value=cleaned)
                found.setdefault(attribute.id, attribute)

        if fields["type"]:
            add("type", fields["type"])
        for column, name in GOOGLE_ATTRIBUTE_COLUMNS:
            value = fields[column].lower()
            add(name, GOOGLE_GENDERS.get(value, value) if name == "gender" else value)
        for tag in tags:
            lowered = tag.lower()
            key, _, value = lowered.partition(":")
            if value.strip() and key.strip() and " " not in key.strip():
                add(key.strip(), value)
            elif lowered in MATERIAL_WORDS:
                add("material", lowered)
            elif lowered in GENDER_TAGS and not fields["google shopping / gender"]:
                add("gender", GENDER_TAGS[lowered])
        for column, name in self._metafield_columns:
            for value in fields[column].split(";"):
                add(name, value)
        return tuple(found.values())

    @staticmethod
    def _find_metafield_columns(columns: dict[str, int]) -> list[tuple[str, str]]:
        """Product metafield columns as (column, attribute name): "Fabric (product.metafields...)" -> fabric."""
        found: list[tuple[str, str]] = []
        for column in columns:
            match = _METAFIELD_COLUMN.match(column)
            if match:
                name = slugify(match["label"]) or slugify(match["key"])
                found.append((column, name.replace("-", "_")))
        return found


def iter_shopify_products(
    source: TextSource, *, currency: str = "USD", builder: CatalogueBuilder | None = None
) -> Iterator[Product]:
    """Stream products from a Shopify CSV; pass a `builder(keep_products=False)` to collect the rest."""
    return ShopifyCsvReader(source, currency=currency, builder=builder).products()


def parse_shopify_csv(
    source: TextSource, *, currency: str = "USD", builder: CatalogueBuilder | None = None
) -> ImportResult:
    """Read a whole Shopify product CSV (a path or an open text stream) into a catalogue plus issues."""
    builder = builder or CatalogueBuilder()
    for _ in ShopifyCsvReader(source, currency=currency, builder=builder).products():
        pass
    return builder.finish()
