"""The recommender with context on a hand-made shop: cold start, cart context, fold-in, time boost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backends.recommendations.ab import CONTEXT_WEIGHTS
from backends.recommendations.context import boost_factor, season
from backends.recommendations.engine import Event, Request, recommend, train
from backends.recommendations.items import ItemCatalogue, ItemInfo, from_catalogue

NOW = datetime(2026, 7, 15, 10, tzinfo=UTC)  # a Wednesday morning in summer
WEIGHTS = {**CONTEXT_WEIGHTS, "item_cf": 0.45, "user_cf": 0.2, "content": 0.2, "popularity": 0.15}


def item(id: str, category: str, text: str, *skus: str) -> ItemInfo:
    return ItemInfo(id, id.replace("-", " ").title(), category, category.title(), text, skus)


ITEMS = ItemCatalogue(
    [
        item("phone", "phones", "smartphone usb-c", "PH-1"),
        item("case", "cases", "phone case clear"),
        item("charger", "chargers", "usb-c charger"),
        item("boots", "outdoor", "leather hiking boots", "BT-42"),
        item("suede-boots", "outdoor", "suede hiking boots"),
        item("socks", "outdoor", "merino hiking socks"),
        item("tent", "outdoor", "camping tent"),
        item("new-trail-boots", "outdoor", "trail hiking boots"),  # in the catalogue, never interacted with
    ],
    accessories={"phone": ["case"]},
    alternatives={"boots": ["suede-boots"]},
)


def event(customer: str, product: str, kind: str = "purchase", days_ago: float = 1) -> Event:
    return Event(customer, product, kind, NOW - timedelta(days=days_ago))


LOG = [
    *(event(f"p{n}", p) for n in range(4) for p in ("phone", "charger")),
    *(event(f"h{n}", p) for n in range(3) for p in ("boots", "socks")),
    *(event(f"t{n}", "tent") for n in range(5)),
    event("old", "tent", days_ago=30),
]


@pytest.fixture(scope="module")
def model():
    return train(ITEMS, LOG, NOW)


def ids(found) -> list[str]:
    return [r.product_id for r in found]


def test_people_who_bought_also_bought(model) -> None:
    found = recommend(model, Request(history=[event("new", "phone")], k=3, customer_id="new"), WEIGHTS, NOW)
    assert found[0].product_id == "charger" and found[0].source == "item_cf"
    assert found[0].reason == "people who bought Phone also bought"
    assert "phone" not in ids(found)  # never the thing already bought


def test_cold_start_new_shopper_gets_recent_bestsellers(model) -> None:
    found = recommend(model, Request(k=3), WEIGHTS, NOW)
    assert found[0].product_id == "tent" and found[0].reason == "popular this week"


def test_cold_start_with_a_product_on_screen_prefers_its_category(model) -> None:
    found = recommend(model, Request(product_id="tent", k=8), WEIGHTS, NOW)
    popular = [r for r in found if r.source == "popularity"]
    assert popular and all(r.reason.startswith("popular in") for r in popular if "Outdoor" in r.reason)
    assert "tent" not in ids(found)


def test_cold_start_new_item_gets_content_neighbours(model) -> None:
    found = recommend(model, Request(product_id="new-trail-boots", k=3), WEIGHTS, NOW)
    assert set(ids(found)[:2]) == {"boots", "suede-boots"}
    assert any(r.reason == "similar to what you viewed" for r in found)


def test_cart_brings_accessories_by_sku(model) -> None:
    found = recommend(model, Request(cart=["PH-1"], k=3), WEIGHTS, NOW)
    reasons = {r.product_id: r.reason for r in found}
    assert reasons.get("case") == "goes with Phone" or reasons.get("charger", "").startswith("people who bought")
    assert "case" in reasons and "phone" not in reasons


def test_added_to_cart_but_not_bought_brings_alternatives(model) -> None:
    history = [event("x", "boots", "view"), event("x", "boots", "add_to_cart")]
    found = recommend(model, Request(history=history, k=3, customer_id="x"), WEIGHTS, NOW)
    reasons = {r.product_id: r.reason for r in found}
    assert reasons["suede-boots"] == "an alternative to Boots you left in your cart"
    bought = [*history, event("x", "boots")]
    again = recommend(model, Request(history=bought, k=3, customer_id="x"), WEIGHTS, NOW)
    assert all(r.source != "alternative" for r in again)


def test_new_interactions_count_without_retraining(model) -> None:
    before = recommend(model, Request(customer_id="h0", history=[event("h0", "boots")], k=3), WEIGHTS, NOW)
    after = recommend(
        model, Request(customer_id="h0", history=[event("h0", "boots"), event("h0", "phone")], k=3), WEIGHTS, NOW
    )
    assert "charger" not in ids(before) and "charger" in ids(after)


def test_excluded_items_are_not_shown(model) -> None:
    found = recommend(model, Request(k=5, exclude=frozenset({"tent"})), WEIGHTS, NOW)
    assert "tent" not in ids(found)


def test_variant_without_popularity_still_answers_a_cold_start(model) -> None:
    assert ids(recommend(model, Request(k=1), {"item_cf": 1.0}, NOW)) == ["tent"]


def test_time_boost_rule() -> None:
    winter_evening = datetime(2026, 1, 10, 19, tzinfo=UTC)  # a Saturday
    assert season(winter_evening) == "winter" and season(NOW) == "summer"
    assert boost_factor(frozenset({"wool"}), winter_evening) == pytest.approx(1.15)
    assert boost_factor(frozenset({"hiking", "phones"}), winter_evening) == pytest.approx(1.1 * 1.05)
    assert boost_factor(frozenset({"wool"}), NOW) == 1.0
    assert boost_factor(frozenset({"camping"}), NOW) == pytest.approx(1.15)


def test_demo_catalogue_links_become_accessories_and_alternatives() -> None:
    from catalogue_files.demo import load_demo_catalogue

    items = from_catalogue(load_demo_catalogue().catalogue)
    assert "aero-12-clear-case" in items.accessories["aero-12"]
    assert any(item.skus and item.category_name for item in items.items)


def test_seed_generator_is_deterministic_and_realistic(tmp_path) -> None:
    from backends.recommendations.demo import demo_items
    from backends.recommendations.engine import Model
    from backends.recommendations.seed import demo_interactions

    items = demo_items()
    events = demo_interactions(items, customers=60, seed=3, now=NOW)
    assert events == demo_interactions(items, customers=60, seed=3, now=NOW)
    kinds = {e.kind for e in events}
    assert {"view", "add_to_cart", "purchase"} <= kinds and all(e.occurred_at <= NOW for e in events)
    carted = {(e.customer_id, e.product_id) for e in events if e.kind == "add_to_cart"}
    bought = {(e.customer_id, e.product_id) for e in events if e.kind == "purchase"}
    assert carted - bought  # some carts are abandoned
    model = train(items, events, NOW)
    path = tmp_path / "model.pkl"
    model.save(path)
    loaded = Model.load(path)
    assert loaded.users == model.users and (loaded.similarity != model.similarity).nnz == 0
