"""The demo catalogue the assistant starts with, and the generic relations/policies YAML loaders."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml

from catalogue_files.demo import (
    DEMO_CATALOGUE_CSV,
    DEMO_POLICIES_YML,
    DEMO_RELATIONS_YML,
    load_demo_catalogue,
    load_shop_catalogue,
)
from catalogue_files.result import ImportResult

SHOPIFY_SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "shopify"


@pytest.fixture(scope="module")
def demo() -> ImportResult:
    return load_demo_catalogue()


def csv_handles() -> set[str]:
    with open(DEMO_CATALOGUE_CSV, newline="", encoding="utf-8") as handle:
        return {row["Handle"] for row in csv.DictReader(handle) if row["Title"]}


def test_loads_without_issues(demo):
    assert demo.issues == []
    catalogue = demo.catalogue
    assert 35 <= len(catalogue.products) <= 45
    assert 130 <= catalogue.variant_count() <= 170
    assert {product.id for product in catalogue.products} == csv_handles()


def test_ocean_blue_shirt_has_a_sold_out_size(demo):
    (shirt,) = [p for p in demo.catalogue.products if p.title == "Ocean Blue Shirt"]
    assert [variant.size for variant in shirt.variants] == ["S", "M", "L", "XL"]
    assert sum(not variant.in_stock for variant in shirt.variants) == 1
    assert shirt.description and "<" not in shirt.description


def test_every_relation_endpoint_is_a_product_in_the_csv(demo):
    handles = csv_handles()
    relations = yaml.safe_load(DEMO_RELATIONS_YML.read_text(encoding="utf-8"))
    expected = 0
    for by_source in relations.values():
        for source, targets in by_source.items():
            assert source in handles
            names = [targets] if isinstance(targets, str) else list(targets)
            assert set(names) <= handles, names
            expected += len(names)
    assert len(demo.catalogue.links) == expected


def test_the_shop_sells_what_the_assistant_talks_about(demo):
    products = {product.id: product for product in demo.catalogue.products}
    links = demo.catalogue.links
    phones = [p for p in products.values() if p.product_type == "Smartphone"]
    assert len(phones) >= 2
    for phone in phones:
        assert any(link.kind == "ACCESSORY_OF" and link.target_id == phone.id for link in links)
        assert any(link.kind == "COMPATIBLE_WITH" and link.target_id == phone.id for link in links)
    jackets = [p for p in products.values() if p.product_type == "Jacket"]
    warm = [
        p for p in jackets if {("warmth", "warm"), ("warmth", "very warm")} & {(a.name, a.value) for a in p.attributes}
    ]
    assert any(p.min_price < 100 for p in warm) and any(p.min_price > 100 for p in warm)
    (replaced,) = [link for link in links if link.kind == "REPLACED_BY"]
    assert products[replaced.source_id].total_stock == 0 and products[replaced.target_id].total_stock > 0
    similar = [link for link in links if link.kind == "SIMILAR_TO"]
    assert any(products[link.source_id].min_price != products[link.target_id].min_price for link in similar)


def test_policies_have_topics_and_leave_orders_to_the_bot(demo):
    policies = {policy.id: policy for policy in demo.catalogue.policies}
    assert {"sizing-guide", "warranty", "care-instructions", "price-match", "gift-wrapping"} <= set(policies)
    order_words = {"refund", "return", "returns", "delivery", "shipping", "cancel", "order"}
    for policy in policies.values():
        assert policy.topics and policy.answer and len(policy.answer) < 600
        assert not order_words & set(policy.topics), policy.id


def test_demo_text_is_our_own():
    """The Shopify samples are test data only: no demo title (but the brief's Ocean Blue Shirt) or text from them."""
    if not SHOPIFY_SAMPLES.is_dir():
        pytest.skip("Shopify samples not available")
    sample_titles, sample_bodies = set(), set()
    for path in SHOPIFY_SAMPLES.glob("*.csv"):
        with open(path, newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                sample_titles.add(row["Title"].strip().lower())
                sample_bodies.add(row["Body (HTML)"].strip().lower()[:40])
    with open(DEMO_CATALOGUE_CSV, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["Title"]]
    shared = {row["Title"].lower() for row in rows} & sample_titles
    assert shared == {"ocean blue shirt"}
    assert not any(row["Body (HTML)"].strip().lower()[:40] in sample_bodies for row in rows)


def test_relations_loader_reports_problems_with_lines():
    catalogue_csv = io.StringIO("Handle,Title,Variant Price\ncase,Case,10\nphone,Phone,500\nold,Old,5\n")
    relations = io.StringIO(
        "COMPATIBLE_WITH:\n"  # 1
        "  case: phone\n"  # 2
        "  ghost: phone\n"  # 3
        "LIKES:\n"  # 4
        "  case: phone\n"  # 5
        "SIMILAR_TO:\n"  # 6
        "  case: {phone: high, old: 0.5}\n"  # 7
        "replaced_by:\n"  # 8
        "  old: [phone]\n"  # 9
    )
    policies = io.StringIO(
        "policies:\n  - id: care\n    title: Care\n  - id: gifts\n    title: Gifts\n    answer: Yes.\n"
    )
    result = load_shop_catalogue(catalogue_csv, relations, policies)
    assert [(issue.line, issue.message.split(";")[0]) for issue in result.issues] == [
        (3, "COMPATIBLE_WITH link refers to unknown product 'ghost'"),
        (4, "unknown relation 'LIKES'"),
        (7, "score 'high' for 'phone' is not a number"),
        (2, "policy skipped: no answer"),
    ]
    assert [(link.kind, link.source_id, link.target_id, link.score) for link in result.catalogue.links] == [
        ("COMPATIBLE_WITH", "case", "phone", 1.0),
        ("SIMILAR_TO", "case", "old", 0.5),
        ("REPLACED_BY", "old", "phone", 1.0),
    ]
    assert [policy.id for policy in result.catalogue.policies] == ["gifts"]


def test_broken_yaml_is_reported():
    result = load_shop_catalogue(io.StringIO("Handle,Title,Variant Price\na,A,1\n"), io.StringIO("A: [b\n"))
    assert len(result.issues) == 1 and result.issues[0].message.startswith("not valid YAML")
    assert result.catalogue.products and not result.catalogue.links


def test_demo_files_exist():
    assert DEMO_CATALOGUE_CSV.is_file() and DEMO_RELATIONS_YML.is_file() and DEMO_POLICIES_YML.is_file()
