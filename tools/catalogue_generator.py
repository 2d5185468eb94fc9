"""A seeded generator of a large, realistic catalogue, for load tests and benchmarks of the graph stores.

Same seed and size -> the same catalogue, byte for byte. The default (50,000 products, about
200,000 variants) has a three-level category tree with ~160 leaves, ~300 brands, apparel with
sizes and colours, phones/tablets/laptops/watches/cameras with accessories that are COMPATIBLE_WITH
and ACCESSORY_OF specific devices (chargers and cables by connector, screen protectors by screen
size), outdoor gear with warmth/waterproof/weight attributes, home and kitchen goods, SIMILAR_TO
links (same leaf category, close price, shared attributes; scored; each pair once, so a product
is in about 4) and discontinued (sold-out) products REPLACED_BY a successor. Titles and
descriptions are composed from the word tables of tools/catalogue_words.py (fast; no faker).

    python -m tools.catalogue_generator --products 50000 --seed 7 --out var/catalogue-50k.jsonl

writes the feed format of knowledge_graph/importers/feed.py (a directory or --format csv writes its CSV form).
"""

from __future__ import annotations

import argparse
import math
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import product as cartesian
from pathlib import Path

from catalogue_files.result import CatalogueBuilder, slugify
from contracts.catalogue import Attribute, Catalogue, Product, ProductLink, Variant, normalise_colour, normalise_size
from tools.catalogue_words import (
    ATTRIBUTE_VALUES,
    AXES,
    BRAND_ENDS,
    BRAND_STARTS,
    CLOSINGS,
    DEVICE_SERIES,
    DEVICE_SUFFIXES,
    FAMILY_ADJECTIVES,
    FAMILY_PHRASES,
    LEAVES,
    NUMERIC_UNITS,
    PRODUCT_LINES,
    Kind,
    Leaf,
)

MAX_VARIANTS = 8
SIMILAR_PER_PRODUCT = 3
SIMILAR_WINDOW = 6
SIMILAR_MIN_SCORE = 0.45
DISCONTINUED_SHARE = 0.012
SALE_SHARE = 0.18
SOLD_OUT_SHARE = 0.1
MIN_DEVICES_PER_LEAF = 3

# --- generation ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Device:
    product_id: str
    title: str
    brand: str
    connector: str | None
    screen: str | None


@dataclass
class _Spec:
    """A product before it becomes a record: what a successor copies from the product it replaces."""

    leaf: Leaf
    brand: str
    title: str
    description: str
    attributes: tuple[Attribute, ...]
    base_price: float
    options: tuple[tuple[str, tuple[str, ...], float, int], ...]  # (name, values, price step, first value's rank)
    tags: tuple[str, ...]
    fits: tuple[_Device, ...] = ()
    on_sale: bool = False
    extra_tags: tuple[str, ...] = field(default=())


def shop_price(amount: float) -> float:
    """A price as shops write them: 12.99, 129.99, 249.99."""
    if amount < 10:
        return round(max(math.floor(amount) + 0.99, 0.99), 2)
    if amount < 200:
        return round(round(amount) - 0.01, 2)
    return round(round(amount / 5) * 5 - 0.01, 2)


class _Generator:
    def __init__(self, products: int, seed: int) -> None:
        self.count = products
        self.rng = random.Random(seed)
        self.builder = CatalogueBuilder(source="generator", keep_products=False)
        self.attribute_cache: dict[tuple[str, str], Attribute] = {}
        self.devices: dict[str, list[_Device]] = {}
        self.brands_by_family: dict[str, list[str]] = {}
        self.slots: list[Product | None] = [None] * products

    # setup

    def declare_tree_and_brands(self) -> None:
        for leaf in LEAVES:
            self.builder.category_id(leaf.path)
        names = [start + end for start in BRAND_STARTS for end in BRAND_ENDS]
        self.rng.shuffle(names)
        brands = names[:300]
        families = list(FAMILY_ADJECTIVES)
        for index, brand in enumerate(brands):
            self.builder.brand_id(brand)
            self.brands_by_family.setdefault(families[index % len(families)], []).append(brand)

    def leaf_plan(self) -> list[Leaf]:
        """Each slot's leaf; the first slots go to device leaves so accessories always have devices to fit."""
        plan = self.rng.choices(LEAVES, weights=[leaf.weight for leaf in LEAVES], k=self.count)
        device_leaves = [leaf for leaf in LEAVES if leaf.kind.device]
        if self.count >= len(device_leaves) * MIN_DEVICES_PER_LEAF * 4:
            for index in range(len(device_leaves) * MIN_DEVICES_PER_LEAF):
                plan[index] = device_leaves[index % len(device_leaves)]
        return plan

    # one product

    def attribute(self, name: str, value: str) -> Attribute:
        key = (name, value)
        cached = self.attribute_cache.get(key)
        if cached is None:
            cached = self.attribute_cache[key] = Attribute(name=name, value=value)
        return cached

    def pick_options(self, kind: Kind) -> tuple[tuple[str, tuple[str, ...], float, int], ...]:
        """Up to MAX_VARIANTS combinations: the first axis picks a count, later axes fit within the rest."""
        rng = self.rng
        chosen: list[tuple[str, tuple[str, ...], float, int]] = []
        room = MAX_VARIANTS
        for axis_key in kind.axes:
            axis = AXES[axis_key]
            high = min(axis.high, room, len(axis.values))
            count = rng.randint(min(axis.low, high), high)
            start = 0
            if axis.run:
                start = rng.randint(0, len(axis.values) - count)
                values = axis.values[start : start + count]
            else:
                values = tuple(rng.sample(axis.values, count))
            chosen.append((axis.name, values, axis.price_step, start))
            room //= count
        return tuple(chosen)

    def pick_attributes(self, leaf: Leaf) -> list[Attribute]:
        rng = self.rng
        found: list[Attribute] = []
        if leaf.materials:
            found.append(self.attribute("material", rng.choice(leaf.materials)))
        gender = leaf.gender
        if gender:
            found.append(self.attribute("gender", gender))
        for name in leaf.kind.attributes:
            found.append(self.attribute(name, rng.choice(ATTRIBUTE_VALUES[name])))
        for name, low, high in leaf.kind.numeric:
            unit, step = NUMERIC_UNITS[name]
            value = round(rng.uniform(low, high) / step) * step
            found.append(self.attribute(name, f"{value} {unit}"))
        return found

    def pick_devices(self, leaf: Leaf, attributes: list[Attribute]) -> tuple[_Device, ...]:
        """The devices an accessory fits: one model, its same-screen siblings, or several by connector."""
        kind, rng = leaf.kind, self.rng
        pool = [device for name in kind.fits for device in self.devices.get(name, [])]
        if not pool:
            return ()
        if kind.by_connector:
            connector = next((a.value for a in attributes if a.name == "connector"), None)
            matching = [device for device in pool if device.connector == connector] or pool
            return tuple(rng.sample(matching, min(len(matching), rng.randint(2, 5))))
        first = rng.choice(pool)
        if kind.same_screen and first.screen:
            same = [d for d in pool if d.screen == first.screen and d is not first]
            return (first, *rng.sample(same, min(len(same), rng.randint(0, 2))))
        if kind.fits == ("Cameras",):
            same_brand = [d for d in pool if d.brand == first.brand and d is not first]
            return (first, *rng.sample(same_brand, min(len(same_brand), rng.randint(0, 2))))
        return (first,)

    def title_for(self, leaf: Leaf, brand: str, noun: str, fits: tuple[_Device, ...]) -> str:
        rng, kind = self.rng, leaf.kind
        if kind.device:
            return kind.device.format(
                brand=brand,
                series=rng.choice(DEVICE_SERIES),
                number=rng.randint(3, 15),
                suffix=rng.choice(DEVICE_SUFFIXES),
            )
        if fits and not kind.by_connector:
            return f"{brand} {noun} for {fits[0].title}"
        adjective = rng.choice(FAMILY_ADJECTIVES[kind.family])
        line = rng.choice(PRODUCT_LINES)
        return f"{brand} {line} {adjective} {noun}" if rng.random() < 0.4 else f"{brand} {line} {noun}"

    def description_for(self, leaf: Leaf, noun: str, attributes: list[Attribute], fits: tuple[_Device, ...]) -> str:
        rng, family = self.rng, leaf.kind.family
        adjective = rng.choice(FAMILY_ADJECTIVES[family]).lower()
        plural = noun.endswith("s") and not noun.endswith("ss")
        article = "" if plural else ("An " if adjective[0] in "aeiou" else "A ")
        opening = f"{article}{adjective} {noun.lower()} {rng.choice(FAMILY_PHRASES[family])}."
        sentences = [opening[0].upper() + opening[1:]]
        values = {attribute.name: attribute.value for attribute in attributes}
        if "material" in values:
            sentences.append(f"Made from {values['material']}.")
        if values.get("waterproof") == "yes":
            sentences.append("Fully waterproof with sealed seams.")
        if values.get("warmth") in ("warm", "very warm"):
            sentences.append(f"Rated {values['warmth']}: made for cold days.")
        if "comfort_temperature" in values:
            sentences.append(f"Comfortable down to {values['comfort_temperature']}.")
        if "weight" in values and family == "outdoor":
            sentences.append(f"Weighs {values['weight']}.")
        if fits:
            sentences.append(f"Fits the {', '.join(device.title for device in fits)}.")
        elif "connector" in values and not leaf.kind.device:
            sentences.append(f"Works with {values['connector']} devices.")
        sentences.append(rng.choice(CLOSINGS))
        return " ".join(sentences)

    def spec(self, leaf: Leaf) -> _Spec:
        rng, kind = self.rng, leaf.kind
        brand = rng.choice(self.brands_by_family[kind.family])
        attributes = self.pick_attributes(leaf)
        fits = self.pick_devices(leaf, attributes) if kind.fits else ()
        noun = rng.choice(leaf.nouns)
        tags = list(kind.tags)
        gender = leaf.gender
        if gender and gender != "unisex":
            tags.append(gender)
        price = math.exp(rng.uniform(math.log(leaf.price_low), math.log(leaf.price_high)))
        return _Spec(
            leaf=leaf,
            brand=brand,
            title=self.title_for(leaf, brand, noun, fits),
            description=self.description_for(leaf, noun, attributes, fits),
            attributes=tuple(attributes),
            base_price=price,
            options=self.pick_options(kind),
            tags=tuple(tags),
            fits=fits,
            on_sale=rng.random() < SALE_SHARE,
        )

    def build(self, spec: _Spec, index: int, *, discontinued: bool) -> Product:
        rng = self.rng
        product_id = f"{slugify(spec.title)}-{index + 1}"
        names = tuple(name for name, _, _, _ in spec.options)
        variants: list[Variant] = []
        brand_code = slugify(spec.brand)[:3].upper()
        combinations = cartesian(*(list(enumerate(values, start)) for _, values, _, start in spec.options))
        for number, combination in enumerate(combinations, start=1):
            values = tuple(value for _, value in combination)
            factor = 1.0
            for (_, _, step, _), (rank, _) in zip(spec.options, combination, strict=True):
                factor += step * rank
            price = shop_price(spec.base_price * factor)
            compare_at = shop_price(price * rng.uniform(1.15, 1.5)) if spec.on_sale else None
            sold_out = discontinued or rng.random() < SOLD_OUT_SHARE
            stock = 0 if sold_out else min(int(rng.expovariate(1 / 30)) + 1, 400)
            colour = size = None
            for name, value in zip(names, values, strict=True):
                if name == "Colour":
                    colour = normalise_colour(value)
                elif name == "Size":
                    size = normalise_size(value)
            variants.append(
                Variant(
                    sku=f"{brand_code}{index + 1:06d}-{number}",
                    product_id=product_id,
                    title=" / ".join(values) if values else spec.title,
                    price=price,
                    stock=stock,
                    compare_at_price=compare_at if compare_at and compare_at > price else None,
                    colour=colour,
                    size=size,
                    option_names=names if values else (),
                    option_values=values,
                )
            )
        tags = spec.tags + (("sale",) if spec.on_sale else ()) + spec.extra_tags
        if discontinued:
            tags += ("discontinued",)
        product = Product(
            id=product_id,
            title=spec.title,
            description=spec.description,
            product_type=spec.leaf.nouns[0],
            brand_id=slugify(spec.brand),
            category_id="/".join(slugify(name) for name in spec.leaf.path),
            tags=tags,
            attributes=spec.attributes,
            variants=tuple(variants),
        )
        self.builder.add_product(product, index + 1)
        self.after_build(spec, product)
        return product

    def after_build(self, spec: _Spec, product: Product) -> None:
        """Devices become fit targets for later accessories; accessories get their links."""
        kind = spec.leaf.kind
        if kind.device:
            values = {attribute.name: attribute.value for attribute in spec.attributes}
            device = _Device(product.id, product.title, spec.brand, values.get("connector"), values.get("screen"))
            self.devices.setdefault(spec.leaf.name, []).append(device)
        for device in spec.fits:
            self.builder.add_link(ProductLink("COMPATIBLE_WITH", product.id, device.product_id), 0)
            self.builder.add_link(ProductLink("ACCESSORY_OF", product.id, device.product_id), 0)

    def successor_of(self, spec: _Spec) -> _Spec:
        """The newer model: same line and brand, next number (or "II"), a little dearer."""
        numbers = list(re.finditer(r"\d+", spec.title))
        if numbers and spec.leaf.kind.device:
            last = numbers[-1]
            title = f"{spec.title[: last.start()]}{int(last.group()) + 1}{spec.title[last.end() :]}"
        else:
            title = f"{spec.title} II"
        return replace(
            spec,
            title=title,
            description=f"{spec.description} The successor to the {spec.title}.",
            base_price=spec.base_price * self.rng.uniform(1.03, 1.2),
            on_sale=False,
            extra_tags=("new",),
        )

    # the whole catalogue

    def generate(self) -> Catalogue:
        self.declare_tree_and_brands()
        plan = self.leaf_plan()
        order = sorted(range(self.count), key=lambda index: (not plan[index].kind.device, index))
        position = 0
        while position < len(order):
            index = order[position]
            spec = self.spec(plan[index])
            has_room = position + 1 < len(order)
            if has_room and self.rng.random() < DISCONTINUED_SHARE:
                old = self.build(spec, index, discontinued=True)
                successor_index = order[position + 1]
                new = self.build(self.successor_of(spec), successor_index, discontinued=False)
                self.builder.add_link(ProductLink("REPLACED_BY", old.id, new.id), 0)
                self.slots[index], self.slots[successor_index] = old, new
                position += 2
            else:
                self.slots[index] = self.build(spec, index, discontinued=False)
                position += 1
        products = [product for product in self.slots if product is not None]
        self.add_similar_links(products)
        result = self.builder.finish()
        if result.issues:
            raise RuntimeError(f"generator produced an inconsistent catalogue: {result.issues[:3]}")
        result.catalogue.products = products
        return result.catalogue

    def add_similar_links(self, products: Sequence[Product]) -> None:
        """SIMILAR_TO: neighbours by price in the same leaf, scored by price closeness and shared attributes."""
        by_leaf: dict[str, list[tuple[float, Product, frozenset[str]]]] = {}
        for product in products:
            entry = (product.min_price or 0.0, product, frozenset(a.id for a in product.attributes))
            by_leaf.setdefault(product.category_id or "", []).append(entry)
        linked: set[tuple[str, str]] = set()
        for entries in by_leaf.values():
            entries.sort(key=lambda entry: (entry[0], entry[1].id))
            for position, (price, product, attributes) in enumerate(entries):
                scored: list[tuple[float, str]] = []
                low, high = max(position - SIMILAR_WINDOW, 0), min(position + SIMILAR_WINDOW + 1, len(entries))
                for other_price, other, other_attributes in entries[low:high]:
                    if other is product:
                        continue
                    closeness = min(price, other_price) / max(price, other_price, 0.01)
                    union = attributes | other_attributes
                    shared = len(attributes & other_attributes) / len(union) if union else 1.0
                    scored.append((round(0.6 * closeness + 0.4 * shared, 3), other.id))
                scored.sort(key=lambda item: (-item[0], item[1]))
                for score, other_id in scored[:SIMILAR_PER_PRODUCT]:
                    pair = (product.id, other_id) if product.id < other_id else (other_id, product.id)
                    if score >= SIMILAR_MIN_SCORE and pair not in linked:
                        linked.add(pair)
                        self.builder.add_link(ProductLink("SIMILAR_TO", product.id, other_id, score), 0)


def generate_catalogue(products: int = 50_000, seed: int = 7) -> Catalogue:
    """A deterministic catalogue of `products` products (about 4 variants each) for the given seed."""
    if products < 1:
        raise ValueError("products must be at least 1")
    return _Generator(products, seed).generate()


def main(argv: Sequence[str] | None = None) -> int:
    from knowledge_graph.importers.feed import write_csv, write_jsonl

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("var/catalogue-50k.jsonl"))
    parser.add_argument("--format", choices=("jsonl", "csv"), help="default: csv for a directory, else jsonl")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    catalogue = generate_catalogue(args.products, args.seed)
    generated = time.perf_counter()
    as_csv = args.format == "csv" or (args.format is None and (args.out.is_dir() or not args.out.suffix))
    if as_csv:
        write_csv(catalogue, args.out)
    else:
        write_jsonl(catalogue, args.out)
    print(
        f"{len(catalogue.products)} products, {catalogue.variant_count()} variants, {len(catalogue.links)} links, "
        f"{len(catalogue.categories)} categories, {len(catalogue.brands)} brands -> {args.out} "
        f"(generated in {generated - started:.1f} s, written in {time.perf_counter() - generated:.1f} s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
