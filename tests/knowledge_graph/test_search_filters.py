"""Price and stock filters are read from shopper phrasing, and sizes, weights and ages are not."""

from __future__ import annotations

import pytest

from knowledge_graph.search_filters import Filters, parse_filters


@pytest.mark.parametrize(
    ("text", "query", "max_price"),
    [
        ("something warm for hiking under $100", "something warm for hiking", 100),
        ("below 50 dollars kettle", "kettle", 50),
        ("phone case less than €80", "phone case", 80),
        ("cheaper than 40 headphones", "headphones", 40),
        ("max 60", "", 60),
        ("maximum 60 for a backpack", "a backpack", 60),
        ("blender 100$ or less", "blender", 100),
        ("headphones under 100$", "headphones", 100),
        ("a kettle that costs less than 40 dollars", "a kettle", 40),
        ("iphone 15 case under $20", "iphone 15 case", 20),
        ("laptop under 1.5k", "laptop", 1500),
        ("laptop under $1,299.99", "laptop", 1299.99),
        ("coat under 99,99 €", "coat", 99.99),
        ("kettle under £40", "kettle", 40),
        ("boots UNDER USD 90 please", "boots", 90),
        ("no more than $25 for socks", "socks", 25),
        ("up to 60 eur", "", 60),
        ("$50 or under", "", 50),
        ("100 bucks max", "", 100),
        ("budget of 200 for a tent", "a tent", 200),
        ("my budget is $150", "", 150),
        ("spend at most 70 on boots", "boots", 70),
        ("monitor under 300 with hdmi", "monitor with hdmi", 300),
        ("gift for under $50", "gift", 50),
        ("less than 80 euros.", "", 80),
        ("rain jacket <60", "rain jacket", 60),
    ],
)
def test_upper_price_bounds(text: str, query: str, max_price: float) -> None:
    remaining, filters = parse_filters(text)
    assert filters == Filters(max_price=max_price)
    assert remaining == query


@pytest.mark.parametrize(
    ("text", "query", "min_price"),
    [
        ("jackets over $30", "jackets", 30),
        ("at least 20 for a gift", "a gift", 20),
        ("wine $30 and up", "wine", 30),
        ("$30+ wine", "wine", 30),
        ("watches more than 200 dollars", "watches", 200),
        ("speakers above €150", "speakers", 150),
        ("shoes starting at $80", "shoes", 80),
        ("from $30 perfume", "perfume", 30),
        ("a bag $40 or more", "a bag", 40),
    ],
)
def test_lower_price_bounds(text: str, query: str, min_price: float) -> None:
    remaining, filters = parse_filters(text)
    assert filters == Filters(min_price=min_price)
    assert remaining == query


@pytest.mark.parametrize(
    ("text", "query", "low", "high"),
    [
        ("shoes between 20 and 50", "shoes", 20, 50),
        ("between $20 and $50 for a gift", "a gift", 20, 50),
        ("lamps between 20 and 50 dollars", "lamps", 20, 50),
        ("between 50 and 20 dollars", "", 20, 50),
        ("$20-$50 gift", "gift", 20, 50),
        ("sweater 20 - 30 €", "sweater", 20, 30),
        ("price 20-50", "", 20, 50),
        ("from $30 to $60 shoes", "shoes", 30, 60),
        ("jacket under $100 over $30", "jacket", 30, 100),
        ("over $30 and under $100 jacket", "jacket", 30, 100),
    ],
)
def test_price_ranges(text: str, query: str, low: float, high: float) -> None:
    remaining, filters = parse_filters(text)
    assert filters == Filters(min_price=low, max_price=high)
    assert remaining == query


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("hoodie in stock", "hoodie"),
        ("in-stock hoodies", "hoodies"),
        ("available now: red dress", "red dress"),
        ("red dress available right now", "red dress"),
        ("currently available tents", "tents"),
        ("desk lamp ready to ship", "desk lamp"),
        ("shirts that are in stock", "shirts"),
        ("not out of stock shirts", "shirts"),
    ],
)
def test_in_stock(text: str, query: str) -> None:
    remaining, filters = parse_filters(text)
    assert filters == Filters(in_stock_only=True)
    assert remaining == query


@pytest.mark.parametrize(
    "text",
    [
        "when will the fleece be back in stock",
        "why is it not in stock",
        "is the blue one no longer in stock",
        "out of stock items",
        "what colours are available",
    ],
)
def test_stock_questions_are_not_filters(text: str) -> None:
    assert parse_filters(text) == (text, Filters())


def test_combined_price_and_stock() -> None:
    assert parse_filters("jacket for under 100 that is in stock") == (
        "jacket",
        Filters(max_price=100, in_stock_only=True),
    )
    assert parse_filters("jacket under 100, in stock, for hiking") == (
        "jacket for hiking",
        Filters(max_price=100, in_stock_only=True),
    )


@pytest.mark.parametrize(
    "text",
    [
        "size 10 boots",
        "10 inch tablet",
        "dumbbells under 10 kg",
        "dumbbells under 10kg",
        "tent for up to 4 people",
        "toys for kids over 5",
        "over 18 games",
        "18+ wine",
        "tv under 55 inches",
        "between 20 and 50 cm shelves",
        "ram under 16",
        "screen under 7",
        "waist less than 34",
        "shoes under 5 pounds",
        "within 2 days",
        "battery over 5000 mah",
        "20-30 sweater",
        "kids jeans 8 to 10",
        "models from 2019 to 2021",
        "from 2019",
        "iphone 15",
        "a $50 gift card",
        "something around $50",
        "discounts over 50%",
        "cotton over 90 %",
        "the cheapest",
        "",
    ],
)
def test_sizes_quantities_and_lone_amounts_are_not_price_filters(text: str) -> None:
    assert parse_filters(text) == (text, Filters())


def test_size_and_price_in_one_phrase() -> None:
    assert parse_filters("size 10 boots under $90") == ("size 10 boots", Filters(max_price=90))
    assert parse_filters("dumbbells under 10 kg under $40") == ("dumbbells under 10 kg", Filters(max_price=40))


def test_several_bounds_keep_the_tightest() -> None:
    assert parse_filters("under $100, actually under $80")[1] == Filters(max_price=80)


def test_filters_as_search_kwargs_and_truthiness() -> None:
    assert not Filters()
    assert Filters(in_stock_only=True)
    assert Filters(min_price=5, max_price=9).as_search_kwargs() == {
        "min_price": 5,
        "max_price": 9,
        "in_stock_only": False,
    }
