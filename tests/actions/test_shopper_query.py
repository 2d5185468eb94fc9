"""The framing of a product-seeking message is cut off before it is searched or resolved (actions/products/query.py)."""

from __future__ import annotations

import pytest

from actions.products.query import ShopperQuery, shopper_query


@pytest.mark.parametrize(
    ("message", "query"),
    [
        ("do you have any cordless drills?", "cordless drills"),
        ("I'm looking for a 7 Shakra Bracelet", "7 Shakra Bracelet"),
        ("hi, got any Roadster jeans under $40 please", "Roadster jeans under $40"),
        ("need a charger thats fast", "charger thats fast"),
        ("show me black jeans in size 32", "black jeans in size 32"),
        ("do u sell DKNY trolley bags??", "DKNY trolley bags"),
        ("do you have TW-OBS-M in stock?", "TW-OBS-M"),
        ("can you show me some hoodies please", "hoodies"),
        ("where can I find kitchen knives", "kitchen knives"),
        ("Hey there, I was wondering if you have any Nike running shoes", "Nike running shoes"),
        ("could you please find me a red sweater", "red sweater"),
        ("have you got the Wool Beanie", "Wool Beanie"),
        ("Any chance you sell yoga mats?", "yoga mats"),
        ("I want to buy an Aero 12 Pro", "Aero 12 Pro"),
        ("got Kestrel K5?", "Kestrel K5"),
    ],
)
def test_the_frame_around_the_product_is_cut(message: str, query: str) -> None:
    assert shopper_query(message).text == query


@pytest.mark.parametrize(
    "message",
    [
        "something warm for hiking under $100",  # a description is searched as said
        "Lane Boots Women's 'Amber' Turquoise Leather",
        "Hello Kitty backpack",  # a greeting only when something follows it
        "what's the price of the coffee maker",  # not a request to find something: left to the resolver
        "TW-OBS-M",
    ],
)
def test_a_message_without_a_frame_is_kept(message: str) -> None:
    assert shopper_query(message).text == message


def test_how_it_was_said_is_kept() -> None:
    assert shopper_query("the trailblazer boots") == ShopperQuery("trailblazer boots", definite=True, framed=False)
    assert shopper_query("Trailblazer boots") == ShopperQuery("Trailblazer boots", definite=False, framed=False)
    assert shopper_query("do you have the Ocean Blue Shirt in large?") == ShopperQuery(
        "Ocean Blue Shirt in large", definite=True, framed=True
    )
    assert shopper_query("any necklaces?").framed


@pytest.mark.parametrize("message", ["do you have any?", "show me", "", "  ?  "])
def test_a_frame_without_a_product_is_not_emptied(message: str) -> None:
    """Nothing is left to search: the message stays what it was (minus edge punctuation), never ''."""
    assert shopper_query(message).text == message.strip(" ?")
