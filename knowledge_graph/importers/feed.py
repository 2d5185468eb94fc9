"""The shop's own catalogue feed: JSON lines or CSV, for catalogues too large or too rich for Shopify's CSV.

JSON lines (`.jsonl`, or `.jsonl.gz`): one JSON object per line; blank lines are ignored. What a
line is depends on its keys:

  product   has "id":
            {"id": "trail-jacket", "title": "Trail Jacket", "description": "...", "product_type": "Jacket",
             "brand": "Northpeak", "category_path": "Outdoor > Clothing > Jackets", "tags": ["hiking"],
             "image_url": "", "currency": "USD",
             "attributes": {"material": "nylon", "warmth": "warm"},        (a value may be a list)
             "variants": [{"sku": "TJ-1", "title": "M / Red", "price": 129.0, "compare_at_price": 149.0,
                           "stock": 4, "colour": "red", "size": "M", "options": {"Size": "M", "Colour": "Red"}}]}
            Only id and title are required; a variant needs a price (a blank sku is made from the
            product id and option values). colour/size, when absent, come from the options; title,
            when absent, is the option values joined by " / " (the product title without options).
  link      {"link": "COMPATIBLE_WITH", "source": "case-id", "target": "phone-id", "score": 1.0}
            kinds: COMPATIBLE_WITH, SIMILAR_TO, ACCESSORY_OF, REPLACED_BY; score is optional (1.0).
  policy    {"policy": "warranty", "title": "Warranty", "answer": "...", "topics": ["warranty", "repair"]}
  category  {"category": "Outdoor > Clothing > Jackets"}   declares a category (and its parents),
            so categories without products survive and the tree keeps its order. Optional.
  brand     {"brand": "Northpeak"}   declares a brand; optional, like categories.

Ids: a category's id is the slug path of its names ("outdoor/clothing/jackets"), a brand's the slug
of its name, as every importer makes them. Links may come before the products they join; they
are checked when the file has been read.

CSV (a directory): `products.csv` with one row per variant and the product columns repeated (or
left blank) on each of its rows, rows of one product together:
  product_id, title, description, product_type, brand, category_path, tags, image_url, currency,
  attributes, sku, variant_title, price, compare_at_price, stock, colour, size, options
  tags "a|b"; attributes "material=cotton|warmth=warm"; options "Size=M|Colour=Red" (in order).
  A "|" or "\\" inside a value is written "\\|" / "\\\\". A row with no sku and no price is a
  product without variants. Optional `links.csv` (link, source, target, score) and `policies.csv`
  (id, title, answer, topics as "a|b"). Categories and brands come from the product rows.

Every bad record becomes an ImportIssue with its line number (the physical line where a CSV
record starts); the rest still imports.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from catalogue_files.result import (
    CATEGORY_SEPARATOR,
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
from catalogue_files.shopify_csv import csv_records
from contracts.catalogue import (
    Attribute,
    Catalogue,
    Category,
    Policy,
    Product,
    ProductLink,
    Variant,
    normalise_colour,
    normalise_size,
)

PRODUCT_COLUMNS = (
    "product_id",
    "title",
    "description",
    "product_type",
    "brand",
    "category_path",
    "tags",
    "image_url",
    "currency",
    "attributes",
)
VARIANT_COLUMNS = ("sku", "variant_title", "price", "compare_at_price", "stock", "colour", "size", "options")
PRODUCTS_CSV_COLUMNS = PRODUCT_COLUMNS + VARIANT_COLUMNS
LINKS_CSV_COLUMNS = ("link", "source", "target", "score")
POLICIES_CSV_COLUMNS = ("id", "title", "answer", "topics")
PRODUCTS_CSV, LINKS_CSV, POLICIES_CSV = "products.csv", "links.csv", "policies.csv"


class FeedError(ValueError):
    """A record that cannot be imported; the message says why."""


# --- list cells: "a|b", "name=value|name=value" ---------------------------------------------------


def _escape(text: str, specials: str) -> str:
    text = text.replace("\\", "\\\\")
    for special in specials:
        text = text.replace(special, "\\" + special)
    return text


def join_list(items: Iterable[str]) -> str:
    """ "a|b": one cell holding a list; "|" and "\\" inside an item are escaped with "\\"."""
    return "|".join(_escape(item, "|") for item in items)


def join_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    """ "name=value|name=value"; an "=" inside a name is escaped too."""
    return "|".join(f"{_escape(name, '|=')}={_escape(value, '|')}" for name, value in pairs)


def _split_escaped(text: str) -> list[tuple[str, str | None]]:
    """Items split on unescaped "|", each cut at its first unescaped "=" (None when it has none)."""
    items: list[tuple[str, str | None]] = []
    name: list[str] = []
    value: list[str] | None = None
    characters = iter(text)
    for character in characters:
        current = name if value is None else value
        if character == "\\":
            current.append(next(characters, "\\"))
        elif character == "|":
            items.append(("".join(name), None if value is None else "".join(value)))
            name, value = [], None
        elif character == "=" and value is None:
            value = []
        else:
            current.append(character)
    items.append(("".join(name), None if value is None else "".join(value)))
    return items


def split_list(text: str) -> list[str]:
    """The inverse of `join_list`, dropping blank items."""
    items = [name if value is None else f"{name}={value}" for name, value in _split_escaped(text)]
    return [item.strip() for item in items if item.strip()]


def split_pairs(text: str, what: str) -> list[tuple[str, str]]:
    """The inverse of `join_pairs`; an item without "=" is a FeedError."""
    pairs: list[tuple[str, str]] = []
    for name, value in _split_escaped(text):
        if not name.strip() and not value:
            continue
        if value is None or not name.strip():
            raise FeedError(f"{what} item {name if value is None else name + '=' + value!r} is not name=value")
        pairs.append((name.strip(), value.strip()))
    return pairs


# --- building records from plain values (shared by both formats) ---------------------------------


def _text(value: Any, what: str, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FeedError(f"{what} must be text, not {type(value).__name__}")
    if required and not value.strip():
        raise FeedError(f"{what} is missing")
    return value.strip()


def _number_text(value: Any, what: str) -> str:
    """JSON numbers and CSV cells alike as text for the shared price/stock parsers."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FeedError(f"{what} must be a number")
    return repr(value) if isinstance(value, float) else str(value)


def _attributes(value: Any) -> tuple[Attribute, ...]:
    """{"material": "cotton" | [..]} or [{"name":..,"value":..}] or [[name, value]] -> attributes, repeats dropped."""
    pairs: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        for name, values in value.items():
            pairs.extend((name, item) for item in (values if isinstance(values, list) else [values]))
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                pairs.append((item.get("name"), item.get("value")))
            elif isinstance(item, list | tuple) and len(item) == 2:
                pairs.append((item[0], item[1]))
            else:
                raise FeedError(f"attribute {item!r} is not a name/value pair")
    elif value is not None:
        raise FeedError("attributes must be an object or a list")
    found: dict[str, Attribute] = {}
    for name, item in pairs:
        if isinstance(item, bool):
            item = str(item).lower()
        elif isinstance(item, int | float):
            item = str(item)
        attribute = Attribute(name=_text(name, "attribute name", required=True), value=_text(item, f"attribute {name}"))
        if attribute.value:
            found.setdefault(attribute.id, attribute)
    return tuple(found.values())


def _options(value: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if value is None:
        return (), ()
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, list) and all(isinstance(item, list | tuple) and len(item) == 2 for item in value):
        pairs = [tuple(item) for item in value]
    else:
        raise FeedError("options must be an object {name: value} or a list of [name, value]")
    names = tuple(_text(name, "option name", required=True) for name, _ in pairs)
    values = tuple(_text(item, f"option {name}", required=True) for name, item in pairs)
    return names, values


def _string_list(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(split_list(value))
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(item.strip() for item in value if item.strip())
    raise FeedError(f"{what} must be a list of text")


def _variant(data: dict[str, Any], product_id: str, product_title: str) -> Variant:
    if not isinstance(data, dict):
        raise FeedError("a variant must be an object")
    names, values = _options(data.get("options"))
    derived_colour, derived_size = colour_and_size(names, values)
    try:
        price = parse_price(_number_text(data.get("price"), "price"))
        compare_text = _number_text(data.get("compare_at_price"), "compare_at_price")
        compare_at = parse_price(compare_text) if compare_text else None
        stock = parse_stock(_number_text(data.get("stock"), "stock"))
    except ValueError as error:
        raise FeedError(str(error)) from None
    sku = _text(data.get("sku"), "sku") or slugify("-".join([product_id, *values])) or product_id
    return Variant(
        sku=sku,
        product_id=product_id,
        title=_text(data.get("title"), "variant title") or default_variant_title(values, product_title),
        price=price,
        stock=stock,
        compare_at_price=compare_at,
        colour=_given_or_derived(data, "colour", derived_colour, normalise_colour),
        size=_given_or_derived(data, "size", derived_size, normalise_size),
        option_names=names,
        option_values=values,
    )


def _given_or_derived(
    data: dict[str, Any], key: str, derived: str | None, normalise: Callable[[str], str | None]
) -> str | None:
    """A colour/size the feed states (null: none) wins over the one found among the options."""
    if key not in data:
        return derived
    return None if data[key] is None else normalise(_text(data[key], key))


def _category_names(value: Any) -> list[str]:
    if isinstance(value, list):
        return [_text(name, "category name") for name in value if _text(name, "category name")]
    return split_category_path(_text(value, "category_path"))


class _ProductFactory:
    """Turns one product's plain values into a Product, reporting bad variants but keeping the rest."""

    def __init__(self, builder: CatalogueBuilder, currency: str) -> None:
        self.builder = builder
        self.currency = currency

    def product(self, data: dict[str, Any], variants: Sequence[tuple[int, dict[str, Any]]]) -> Product:
        """Checks every product field before it registers anything (SKUs, brand, category) for the product."""
        product_id = _text(data.get("id"), "product id", required=True)
        if self.builder.has_product(product_id):
            raise FeedError(f"product {product_id!r} appears again; the later one is skipped")
        title = _text(data.get("title"), f"title of product {product_id!r}", required=True)
        product = Product(
            id=product_id,
            title=title,
            description=_text(data.get("description"), "description"),
            product_type=_text(data.get("product_type"), "product_type"),
            tags=_string_list(data.get("tags"), "tags"),
            image_url=_text(data.get("image_url"), "image_url"),
            currency=_text(data.get("currency"), "currency") or self.currency,
            attributes=_attributes(data.get("attributes")),
        )
        brand, category = _text(data.get("brand"), "brand"), _category_names(data.get("category_path"))
        kept: list[Variant] = []
        for variant_line, variant_data in variants:
            try:
                variant = _variant(variant_data, product_id, title)
            except FeedError as error:
                self.builder.issue(variant_line, f"variant of {product_id!r} skipped: {error}")
                continue
            kept.append(replace(variant, sku=self.builder.unique_sku(variant.sku, variant_line)))
        return replace(
            product,
            brand_id=self.builder.brand_id(brand),
            category_id=self.builder.category_id(category),
            variants=tuple(kept),
        )


def _link(kind: Any, source: Any, target: Any, score: Any) -> ProductLink:
    kind_text = _text(kind, "link kind", required=True).upper()
    score_text = _number_text(score, "score")
    try:
        score_value = float(score_text) if score_text else 1.0
    except ValueError:
        raise FeedError(f"score {score_text!r} is not a number") from None
    try:
        return ProductLink(
            kind=kind_text,
            source_id=_text(source, "link source", required=True),
            target_id=_text(target, "link target", required=True),
            score=score_value,
        )
    except ValueError as error:
        raise FeedError(str(error)) from None


def _policy(policy_id: Any, title: Any, answer: Any, topics: Any) -> Policy:
    return Policy(
        id=_text(policy_id, "policy id", required=True),
        title=_text(title, "policy title", required=True),
        answer=_text(answer, "policy answer", required=True),
        topics=_string_list(topics, "topics"),
    )


# --- JSON lines ------------------------------------------------------------------------------------


def parse_feed_jsonl(source: TextSource, *, currency: str = "USD") -> ImportResult:
    """Read a JSON-lines feed (path, .gz path or text stream) into a catalogue plus issues."""
    builder = CatalogueBuilder()
    factory = _ProductFactory(builder, currency)
    with open_text(source) as (text, name):
        builder.source = name
        for line_number, raw in enumerate(text, start=1):
            line = raw.lstrip("\ufeff").strip() if line_number == 1 else raw.strip()
            if not line:
                continue
            builder.rows_read += 1
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise FeedError("a line must be a JSON object")
                _add_json_record(record, builder, factory, line_number)
            except json.JSONDecodeError as error:
                builder.issue(line_number, f"not valid JSON: {error.msg} (column {error.colno})")
            except FeedError as error:
                builder.issue(line_number, f"skipped: {error}")
    return builder.finish()


def _add_json_record(record: dict[str, Any], builder: CatalogueBuilder, factory: _ProductFactory, line: int) -> None:
    if "id" in record:
        variants = record.get("variants") or []
        if not isinstance(variants, list):
            raise FeedError("variants must be a list")
        builder.add_product(factory.product(record, [(line, item) for item in variants]), line)
    elif "link" in record:
        builder.add_link(_link(record["link"], record.get("source"), record.get("target"), record.get("score")), line)
    elif "policy" in record:
        builder.add_policy(
            _policy(record["policy"], record.get("title"), record.get("answer"), record.get("topics")), line
        )
    elif "category" in record:
        builder.category_id(_category_names(record["category"]))
    elif "brand" in record:
        builder.brand_id(_text(record["brand"], "brand"))
    else:
        raise FeedError("unknown record: expected one of id (product), link, policy, category, brand")


def _category_paths(catalogue: Catalogue) -> dict[str, str]:
    """Each category id -> "Root > ... > Name", walking parents (a broken parent chain just stops)."""
    by_id: dict[str, Category] = {category.id: category for category in catalogue.categories}
    paths: dict[str, str] = {}
    for category in catalogue.categories:
        names: list[str] = []
        current: Category | None = category
        while current is not None and len(names) <= len(by_id):
            names.append(current.name)
            current = by_id.get(current.parent_id) if current.parent_id else None
        paths[category.id] = f" {CATEGORY_SEPARATOR} ".join(reversed(names))
    return paths


def _product_json(product: Product, brand_names: dict[str, str], category_paths: dict[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {"id": product.id, "title": product.title}
    if product.description:
        record["description"] = product.description
    if product.product_type:
        record["product_type"] = product.product_type
    if product.brand_id:
        record["brand"] = brand_names.get(product.brand_id, product.brand_id)
    if product.category_id:
        record["category_path"] = category_paths.get(product.category_id, product.category_id)
    if product.tags:
        record["tags"] = list(product.tags)
    if product.image_url:
        record["image_url"] = product.image_url
    record["currency"] = product.currency
    if product.attributes:
        record["attributes"] = _attributes_json(product.attributes)
    record["variants"] = [_variant_json(variant, product.title) for variant in product.variants]
    return record


def _attributes_json(attributes: Sequence[Attribute]) -> dict[str, Any] | list[list[str]]:
    """{"material": "wool"} ({"material": ["gold", "silver"]} for repeats) unless grouping would reorder them."""
    grouped: dict[str, list[str]] = {}
    for attribute in attributes:
        grouped.setdefault(attribute.name, []).append(attribute.value)
    in_order = [name for name, values in grouped.items() for _ in values] == [a.name for a in attributes]
    if not in_order:
        return [[attribute.name, attribute.value] for attribute in attributes]
    return {name: values[0] if len(values) == 1 else values for name, values in grouped.items()}


def _variant_json(variant: Variant, product_title: str) -> dict[str, Any]:
    record: dict[str, Any] = {"sku": variant.sku}
    if variant.title != default_variant_title(variant.option_values, product_title):
        record["title"] = variant.title
    record["price"] = variant.price
    if variant.compare_at_price is not None:
        record["compare_at_price"] = variant.compare_at_price
    record["stock"] = variant.stock
    derived_colour, derived_size = colour_and_size(variant.option_names, variant.option_values)
    if variant.colour is not None or derived_colour is not None:
        record["colour"] = variant.colour
    if variant.size is not None or derived_size is not None:
        record["size"] = variant.size
    if variant.option_names:
        record["options"] = dict(zip(variant.option_names, variant.option_values, strict=True))
    return record


def iter_feed_records(catalogue: Catalogue) -> Iterator[dict[str, Any]]:
    """The JSON-lines records of a catalogue, in the order a reader needs least memory for."""
    category_paths = _category_paths(catalogue)
    brand_names = {brand.id: brand.name for brand in catalogue.brands}
    for category in catalogue.categories:
        yield {"category": category_paths[category.id]}
    for brand in catalogue.brands:
        yield {"brand": brand.name}
    for product in catalogue.products:
        yield _product_json(product, brand_names, category_paths)
    for link in catalogue.links:
        yield {"link": link.kind, "source": link.source_id, "target": link.target_id, "score": link.score}
    for policy in catalogue.policies:
        yield {"policy": policy.id, "title": policy.title, "answer": policy.answer, "topics": list(policy.topics)}


def write_jsonl(catalogue: Catalogue, target: TextSource) -> int:
    """Write the catalogue as a JSON-lines feed (gzip when the path ends in .gz); returns the lines written."""
    if isinstance(target, str | Path):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open_text(target, "w") as (text, _):
        for record in iter_feed_records(catalogue):
            text.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
            text.write("\n")
            count += 1
    return count


# --- CSV -------------------------------------------------------------------------------------------


def _csv_rows(
    source: TextSource, builder: CatalogueBuilder, required: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """A CSV file's records as {column: stripped value} with their first line; missing columns are reported."""
    with open_text(source) as (text, name):
        builder.source = name
        records = csv_records(text, builder.issue)
        header = next(records, None)
        if header is None:
            builder.issue(1, "the file is empty: no header row")
            return
        columns = [cell.lstrip("\ufeff").strip().lower() for cell in header[1]]
        missing = [column for column in required if column not in columns]
        if missing:
            builder.issue(header[0], f"missing column(s) {', '.join(missing)}; file skipped")
            return
        for line, cells in records:
            builder.rows_read += 1
            yield line, {column: (cells[i].strip() if i < len(cells) else "") for i, column in enumerate(columns)}


def _csv_variant(row: dict[str, str]) -> dict[str, Any]:
    variant: dict[str, Any] = {
        "sku": row.get("sku", ""),
        "price": row.get("price", ""),
        "compare_at_price": row.get("compare_at_price", ""),
        "stock": row.get("stock", ""),
        "options": split_pairs(row.get("options", ""), "options"),
    }
    if row.get("variant_title"):
        variant["title"] = row["variant_title"]
    for column in ("colour", "size"):
        if row.get(column):
            variant[column] = row[column]
    return variant


def _csv_product_fields(row: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {column: row.get(column, "") for column in PRODUCT_COLUMNS}
    fields["id"] = fields.pop("product_id")
    fields["attributes"] = split_pairs(fields["attributes"], "attributes")
    return fields


def _read_products_csv(source: TextSource, builder: CatalogueBuilder, factory: _ProductFactory) -> None:
    current: dict[str, Any] | None = None
    current_line = 0
    variants: list[tuple[int, dict[str, Any]]] = []
    finished: dict[str, int] = {}

    def finish() -> None:
        if current is None:
            return
        finished[current["id"]] = current_line
        try:
            builder.add_product(factory.product(current, variants), current_line)
        except FeedError as error:
            builder.issue(current_line, f"product skipped: {error}")

    for line, row in _csv_rows(source, builder, ("product_id", "title", "price")):
        product_id = row.get("product_id", "")
        if not product_id:
            builder.issue(line, "row has no product_id; skipped")
            continue
        try:
            if current is None or product_id != current["id"]:
                finish()
                current, variants = None, []
                if product_id in finished:
                    builder.issue(line, f"rows for product {product_id!r} must be together; row skipped")
                    continue
                current, current_line = _csv_product_fields(row), line
            if row.get("sku") or row.get("price"):
                variants.append((line, _csv_variant(row)))
        except FeedError as error:
            builder.issue(line, f"skipped: {error}")
    finish()


def _read_links_csv(source: TextSource, builder: CatalogueBuilder) -> None:
    for line, row in _csv_rows(source, builder, ("link", "source", "target")):
        with _skipped_on_error(builder, line):
            builder.add_link(_link_from_row(row), line)


def _link_from_row(row: dict[str, str]) -> ProductLink:
    return _link(row["link"], row["source"], row["target"], row.get("score", ""))


def _read_policies_csv(source: TextSource, builder: CatalogueBuilder) -> None:
    for line, row in _csv_rows(source, builder, ("id", "title", "answer")):
        with _skipped_on_error(builder, line):
            builder.add_policy(_policy(row["id"], row["title"], row["answer"], row.get("topics", "")), line)


@contextmanager
def _skipped_on_error(builder: CatalogueBuilder, line: int) -> Iterator[None]:
    """A bad row becomes an issue of the import, not its end."""
    try:
        yield
    except FeedError as error:
        builder.issue(line, f"skipped: {error}")


def parse_feed_csv(
    products: TextSource,
    *,
    links: TextSource | None = None,
    policies: TextSource | None = None,
    currency: str = "USD",
) -> ImportResult:
    """Read the CSV form of the feed: products (required), links and policies (optional)."""
    builder = CatalogueBuilder()
    _read_products_csv(products, builder, _ProductFactory(builder, currency))
    if links is not None:
        _read_links_csv(links, builder)
    if policies is not None:
        _read_policies_csv(policies, builder)
    return builder.finish()


def parse_feed(path: str | Path, *, currency: str = "USD") -> ImportResult:
    """A feed by path: a directory holds the CSV form (products.csv, links.csv, policies.csv), else JSON lines."""
    path = Path(path)
    if not path.is_dir():
        return parse_feed_jsonl(path, currency=currency)
    links, policies = path / LINKS_CSV, path / POLICIES_CSV
    return parse_feed_csv(
        path / PRODUCTS_CSV,
        links=links if links.exists() else None,
        policies=policies if policies.exists() else None,
        currency=currency,
    )


def _product_csv_rows(catalogue: Catalogue) -> Iterator[list[str]]:
    category_paths = _category_paths(catalogue)
    brand_names = {brand.id: brand.name for brand in catalogue.brands}
    for product in catalogue.products:
        product_cells = [
            product.id,
            product.title,
            product.description,
            product.product_type,
            brand_names.get(product.brand_id, product.brand_id) if product.brand_id else "",
            category_paths.get(product.category_id, product.category_id) if product.category_id else "",
            join_list(product.tags),
            product.image_url,
            product.currency,
            join_pairs((attribute.name, attribute.value) for attribute in product.attributes),
        ]
        if not product.variants:
            yield product_cells + [""] * len(VARIANT_COLUMNS)
        for variant in product.variants:
            yield product_cells + _variant_cells(variant, product.title)


def _variant_cells(variant: Variant, product_title: str) -> list[str]:
    title = variant.title if variant.title != default_variant_title(variant.option_values, product_title) else ""
    return [
        variant.sku,
        title,
        repr(variant.price),
        "" if variant.compare_at_price is None else repr(variant.compare_at_price),
        str(variant.stock),
        variant.colour or "",
        variant.size or "",
        join_pairs(zip(variant.option_names, variant.option_values, strict=True)),
    ]


def _write_csv_file(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_csv(catalogue: Catalogue, directory: str | Path) -> dict[str, Path]:
    """Write the CSV form of the feed into `directory`; returns the files written by name."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files = {name: directory / name for name in (PRODUCTS_CSV, LINKS_CSV, POLICIES_CSV)}
    _write_csv_file(files[PRODUCTS_CSV], PRODUCTS_CSV_COLUMNS, _product_csv_rows(catalogue))
    _write_csv_file(
        files[LINKS_CSV],
        LINKS_CSV_COLUMNS,
        ([link.kind, link.source_id, link.target_id, repr(link.score)] for link in catalogue.links),
    )
    _write_csv_file(
        files[POLICIES_CSV],
        POLICIES_CSV_COLUMNS,
        ([policy.id, policy.title, policy.answer, join_list(policy.topics)] for policy in catalogue.policies),
    )
    return files
