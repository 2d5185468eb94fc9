"""Name resolution on the demo catalogue's titles: verbatim, misspelt, partial, ambiguous, nothing."""

from __future__ import annotations

import pytest

from catalogue_files.demo import load_demo_catalogue
from knowledge_graph.resolver import ProductResolver


@pytest.fixture(scope="module")
def resolver() -> ProductResolver:
    products = load_demo_catalogue().catalogue.products
    return ProductResolver([(p.id, p.title, None) for p in products])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("does the Ocean Blue Shirt come in large?", "ocean-blue-shirt"),
        ("the oceen blu shirt", "ocean-blue-shirt"),
        ("the aero 12 pro", "aero-12-pro"),
        ("aero 12", "aero-12"),  # the longest verbatim title wins over partial ones
        ("the trailblazer 2 boots", "trailblazer-2-hiking-boots"),
        ("kestrel case", "kestrel-k5-rugged-case"),
        ("summit jacket", "summit-down-jacket"),
        ("the granite boots", "granite-hiking-boots"),
        ("aero 12 clear cases", "aero-12-clear-case"),  # near-exact: the longer title, in the plural
        ("the aero 12 clar case", "aero-12-clear-case"),  # near-exact: one typo
        ("what colours does the kestrel k5 rugged case come in?", "kestrel-k5-rugged-case"),
    ],
)
def test_names_the_product(resolver: ProductResolver, text: str, expected: str) -> None:
    match = resolver.resolve(text)
    assert (match.best, match.ambiguous) == (expected, False)
    assert match.candidates[0].product_id == expected


@pytest.mark.parametrize(
    ("text", "choices"),
    [
        ("how much are the trailblazer boots?", {"trailblazer-hiking-boots", "trailblazer-2-hiking-boots"}),
        ("the fleece", {"polar-fleece-vest", "trailhead-fleece-jacket"}),
        ("hiking boots", {"granite-hiking-boots", "trailblazer-hiking-boots", "trailblazer-2-hiking-boots"}),
    ],
)
def test_several_equally_likely_products_make_a_question(resolver: ProductResolver, text: str, choices: set) -> None:
    match = resolver.resolve(text)
    assert match.best is None and match.ambiguous
    assert {m.product_id for m in match.candidates} == choices


@pytest.mark.parametrize("text", ["is it in stock", "", "   ", "thanks a lot"])
def test_no_product_named(resolver: ProductResolver, text: str) -> None:
    assert resolver.resolve(text).best is None


def test_a_one_word_title_inside_a_longer_phrase_does_not_name_a_product() -> None:
    """'Boots' is a word of 'the trailblazer boots', not the product called Boots; alone it is that product."""
    products = load_demo_catalogue().catalogue.products
    resolver = ProductResolver([*((p.id, p.title, None) for p in products), ("boots", "Boots", None)])
    match = resolver.resolve("the trailblazer boots")
    assert match.ambiguous
    assert {m.product_id for m in match.candidates} == {"trailblazer-hiking-boots", "trailblazer-2-hiking-boots"}
    assert resolver.resolve("boots").best == "boots"


def test_two_products_with_the_same_title_are_a_question() -> None:
    resolver = ProductResolver([("a", "Ocean Blue Shirt", None), ("b", "Ocean Blue Shirt", None)])
    match = resolver.resolve("does the ocean blue shirt come in large")
    assert match.best is None and match.ambiguous
    assert {m.product_id for m in match.candidates} == {"a", "b"}
