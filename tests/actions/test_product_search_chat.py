"""From a shopper's message to the search: the phrase without its framing, names answered about their
product, bare phrases searched, same-kind cheaper alternatives, and no empty list in any answer."""

from __future__ import annotations

import pytest

from actions import backend
from actions.order_requests import ActionHandleInform
from actions.products.availability import ActionProductAvailability
from actions.products.search import ActionProductSearch
from actions.products.similar import ActionSimilarProducts
from tests.actions.fake_catalogue import FakeCatalogue, demo_catalogue, product, variant
from tests.actions.test_product_questions import ask, run


@pytest.fixture
def catalogue() -> FakeCatalogue:
    return demo_catalogue()


def calls(catalogue: FakeCatalogue, name: str) -> list[str]:
    return [str(argument) for called, argument in catalogue.calls if called == name]


async def test_the_search_gets_the_phrase_without_the_framing(catalogue):
    text, _ = await run(
        ActionProductSearch(catalogue), ask("hi, do you have any rain jackets please?", "product_search")
    )
    assert calls(catalogue, "search") == ["rain jackets"]
    assert calls(catalogue, "resolve") == ["rain jackets"]
    assert "1. Storm Rain Jacket" in text


async def test_a_whole_message_is_resolved_without_its_framing(catalogue):
    text, _ = await run(
        ActionProductAvailability(catalogue), ask("do you have the Aero 12 Clear Case?", "product_availability")
    )
    assert calls(catalogue, "resolve") == ["Aero 12 Clear Case"]
    assert text == "Yes, the Aero 12 Clear Case is in stock (12 in stock)."


async def test_an_exact_title_is_answered_about_that_product(catalogue):
    bare, slots = await run(ActionProductSearch(catalogue), ask("Storm Rain Jacket", "product_search"))
    assert bare.startswith("Storm Rain Jacket by Ridgeback Outdoor, jackets, $89.00.")
    assert slots["knowledge_base_last_object"] == "storm-rain-jacket"
    framed, _ = await run(ActionProductSearch(catalogue), ask("got the storm rain jacket?", "product_search"))
    assert framed.startswith("Yes, the Storm Rain Jacket is in stock")
    assert calls(catalogue, "search") == []  # no search was needed for either


async def test_the_trailblazer_boots_on_their_own_ask_which_one(catalogue, monkeypatch):
    """README's example: a bare name two products share, no question waiting, nothing in context."""
    monkeypatch.setattr(backend, "catalogue_client", lambda: catalogue)
    text, slots = await run(
        ActionHandleInform(), ask("the trailblazer boots", "inform", [("product", "trailblazer boots")])
    )
    assert text.splitlines()[0] == "Which one do you mean?"
    assert "Trailblazer Hiking Boots" in text and "Trailblazer 2 Hiking Boots" in text
    assert slots["knowledge_base_listed_objects"] == ["trailblazer-2-hiking-boots", "trailblazer-hiking-boots"]


async def test_a_bare_phrase_that_names_no_product_is_searched(catalogue, monkeypatch):
    monkeypatch.setattr(backend, "catalogue_client", lambda: catalogue)
    text, slots = await run(ActionHandleInform(), ask("fleece jacket", "inform", [("product", "fleece jacket")]))
    assert calls(catalogue, "search") == ["fleece jacket"]
    assert "Trailhead Fleece Jacket" in text
    assert slots["knowledge_base_listed_objects"][0] == "trailhead-fleece-jacket"


async def test_a_bare_name_still_answers_the_question_waiting_for_it(catalogue, monkeypatch):
    monkeypatch.setattr(backend, "catalogue_client", lambda: catalogue)
    tracker = ask(
        "the storm rain jacket", "inform", [("product", "storm rain jacket")], product_question="action_product_price"
    )
    text, _ = await run(ActionHandleInform(), tracker)
    assert text == "The Storm Rain Jacket costs $89.00."
    assert calls(catalogue, "search") == []


# --------------------------------------------------------------------------- products without options


@pytest.mark.parametrize(
    ("message", "entities", "expected"),
    [
        ("do you have it in large?", [("size", "large", "L")], "The Aero 12 Clear Case comes in one size only"),
        ("is it available in red?", [("colour", "red")], "The Aero 12 Clear Case comes in one colour only"),
    ],
)
async def test_a_product_without_options_says_so_and_never_lists_nothing(catalogue, message, entities, expected):
    text, _ = await run(
        ActionProductAvailability(catalogue),
        ask(message, "product_availability", entities, last="aero-12-clear-case"),
    )
    assert text.startswith(expected), text
    assert text.endswith("It's in stock (12 in stock).")
    assert ": ." not in text and "In stock now" not in text


async def test_a_sold_out_product_without_options(catalogue):
    catalogue.add(product("tent", "Dome Tent", [variant("tent", None, None, 120.0, 0)], product_type="Tent"))
    text, _ = await run(
        ActionProductAvailability(catalogue),
        ask("do you have it in large?", "product_availability", [("size", "large", "L")], last="tent"),
    )
    assert text == "The Dome Tent comes in one size only, there's no choice of size. It's sold out at the moment."


# --------------------------------------------------------------------------- cheaper alternatives


async def test_cheaper_alternatives_are_of_the_same_kind(catalogue):
    """Another shop's cheap 'phone' items beside the case: a wall plate is no alternative to a phone case."""
    catalogue.add(
        product(
            "wall-plate",
            "Phone Wall Plate",
            [variant("wall-plate", None, None, 4.0, 50)],
            product_type="Wall Plate",
            category="Electrical",
        ),
        product(
            "phone-jack",
            "Phone Jack",
            [variant("phone-jack", None, None, 6.0, 50)],
            product_type="Phone Jack",
            category="Electrical",
        ),
    )
    relations = [("product_relation", "like this", "similar"), ("product_relation", "cheaper")]
    tracker = ask("show me something like this but cheaper", "product_search", relations, last="kestrel-k5-rugged-case")
    text, slots = await run(ActionSimilarProducts(catalogue), tracker)
    assert "Wall Plate" not in text and "Phone Jack" not in text
    assert text.splitlines()[0] == "Here are cheaper alternatives to the Kestrel K5 Rugged Case ($29.00):"
    assert "1. Aero 12 Clear Case by Shellguard ($19.00)" in text
    assert slots["knowledge_base_listed_objects"] == ["aero-12-clear-case"]


async def test_an_exact_title_in_the_message_wins_over_a_loose_entity(catalogue):
    """The NLU took 'Trailblazer' for the product; the message names the Trailblazer 2 Hiking Boots exactly."""
    text, _ = await run(
        ActionProductAvailability(catalogue),
        ask("are the Trailblazer 2 Hiking Boots in stock?", "product_availability", [("product", "Trailblazer")]),
    )
    assert text.startswith("Yes, the Trailblazer 2 Hiking Boots is in stock"), text
