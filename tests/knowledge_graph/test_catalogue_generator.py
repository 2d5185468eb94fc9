"""The catalogue generator: deterministic, consistent (every reference resolves) and shaped like a shop."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from contracts.catalogue import Catalogue
from knowledge_graph.importers.feed import parse_feed_jsonl
from tools.catalogue_generator import generate_catalogue, main

PRODUCTS = 2_000


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return generate_catalogue(PRODUCTS, seed=11)


def test_same_seed_same_catalogue_other_seed_other_catalogue(catalogue):
    assert generate_catalogue(PRODUCTS, seed=11) == catalogue
    assert generate_catalogue(PRODUCTS, seed=12).products != catalogue.products


def test_counts(catalogue):
    variants_per_product = [len(product.variants) for product in catalogue.products]
    assert len(catalogue.products) == PRODUCTS
    assert min(variants_per_product) == 1 and max(variants_per_product) == 8
    assert 3.5 <= sum(variants_per_product) / PRODUCTS <= 4.5
    assert len({product.id for product in catalogue.products}) == PRODUCTS
    skus = [variant.sku for product in catalogue.products for variant in product.variants]
    assert len(set(skus)) == len(skus)
    assert len(catalogue.brands) == 300
    leaves = {c.id for c in catalogue.categories} - {c.parent_id for c in catalogue.categories}
    assert 140 <= len(leaves) <= 180


def test_every_reference_resolves(catalogue):
    product_ids = {product.id for product in catalogue.products}
    for link in catalogue.links:
        assert link.source_id in product_ids and link.target_id in product_ids, link
        assert link.source_id != link.target_id
    brand_ids = {brand.id for brand in catalogue.brands}
    category_ids = {category.id for category in catalogue.categories}
    for product in catalogue.products:
        assert product.brand_id in brand_ids
        assert product.category_id in category_ids
        assert all(variant.product_id == product.id for variant in product.variants)


def test_category_tree_has_no_cycles_and_products_sit_in_leaves(catalogue):
    parents = {category.id: category.parent_id for category in catalogue.categories}
    with_children = set(parents.values())
    for category_id in parents:
        seen = set()
        current = category_id
        while current is not None:
            assert current not in seen, f"cycle through {current}"
            assert current in parents, f"unknown parent {current}"
            seen.add(current)
            current = parents[current]
        if category_id not in with_children:
            assert len(seen) == 3  # leaves are three levels deep
    assert all(product.category_id not in with_children for product in catalogue.products)


def test_links_mean_what_they_say(catalogue):
    products = {product.id: product for product in catalogue.products}
    kinds = Counter(link.kind for link in catalogue.links)
    assert set(kinds) == {"COMPATIBLE_WITH", "ACCESSORY_OF", "SIMILAR_TO", "REPLACED_BY"}
    assert kinds["COMPATIBLE_WITH"] == kinds["ACCESSORY_OF"]
    assert kinds["SIMILAR_TO"] >= PRODUCTS  # several per product; each pair once
    device_leaves = {"smartphones", "tablets", "laptops", "smartwatches", "cameras"}
    similar_degree: defaultdict[str, int] = defaultdict(int)
    for link in catalogue.links:
        source, target = products[link.source_id], products[link.target_id]
        if link.kind in ("COMPATIBLE_WITH", "ACCESSORY_OF"):
            assert target.category_id.rsplit("/", 1)[-1] in device_leaves
            assert source.category_id.rsplit("/", 1)[-1] not in device_leaves
        elif link.kind == "SIMILAR_TO":
            assert source.category_id == target.category_id
            assert 0 < link.score <= 1
            similar_degree[source.id] += 1
            similar_degree[target.id] += 1
        else:  # REPLACED_BY: a sold-out discontinued product -> its newer model
            assert "discontinued" in source.tags and source.total_stock == 0
            assert (target.category_id, target.brand_id) == (source.category_id, source.brand_id)
    assert sum(similar_degree.values()) / PRODUCTS >= 3


def test_variants_look_like_a_shop(catalogue):
    variants = [variant for product in catalogue.products for variant in product.variants]
    sold_out = sum(not variant.in_stock for variant in variants) / len(variants)
    assert 0.05 <= sold_out <= 0.2
    assert any(variant.size == "M" and variant.colour for variant in variants)
    for variant in variants:
        assert variant.price > 0
        assert variant.compare_at_price is None or variant.compare_at_price > variant.price
        assert len(variant.option_names) == len(variant.option_values)
    materials = {a.value for p in catalogue.products for a in p.attributes if a.name == "material"}
    assert {"cotton", "merino wool", "leather"} <= materials
    attribute_names = {a.name for p in catalogue.products for a in p.attributes}
    assert {"warmth", "waterproof", "weight", "connector", "material"} <= attribute_names


def test_cli_writes_the_feed(tmp_path, capsys):
    out = tmp_path / "catalogue.jsonl"
    assert main(["--products", "150", "--seed", "3", "--out", str(out)]) == 0
    result = parse_feed_jsonl(out)
    assert result.issues == []
    assert result.catalogue == generate_catalogue(150, seed=3)
    assert "150 products" in capsys.readouterr().err
