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
