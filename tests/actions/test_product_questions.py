"""Product questions against an in-memory catalogue (tests/actions/fake_catalogue.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend
from actions.order_requests import ActionHandleInform
from actions.products.availability import ActionProductAvailability
from actions.products.base import ProductAction
from actions.products.comparison import ActionCompareProducts
from actions.products.compatibility import ActionCompatibleProducts
from actions.products.coupons import ActionApplyCoupon
from actions.products.info import ActionProductInfo
from actions.products.policy import ActionProductPolicy
from actions.products.price import ActionProductPrice
from actions.products.recommendations import ActionRecommendProducts
from actions.products.search import ActionProductSearch
from actions.products.similar import ActionSimilarProducts
from contracts.shop_policies import shop_policies
from service_clients.pricing import Coupon, Quote
from service_clients.recommendations import RecommendationList, RecommendationsUnavailable, RecommendedItem
from tests.actions.conftest import make_tracker
from tests.actions.fake_catalogue import FakeCatalogue, demo_catalogue

SHIRTS = ["ocean-blue-shirt", "classic-oxford-shirt"]
GOES_WITH = [("product_relation", "goes with", "goes_with")]  # as the NLU finds it (bot/data/nlu/entities/keywords.yml)


@pytest.fixture
def catalogue() -> FakeCatalogue:
    return demo_catalogue()


def entity(text: str, name: str, said: str, value: str | None = None) -> dict[str, Any]:
    """An entity as the NLU returns it, with its position in the text."""
    start = text.lower().index(said.lower())
    return {"entity": name, "value": value or said, "start": start, "end": start + len(said)}


def ask(
    text: str,
    intent: str = "product_info",
    entities: list[tuple] = (),
    last: str | None = None,
    listed: list[str] | None = None,
    **slots: Any,
):
    """A tracker for one message; entities as (name, said[, value])."""
    found = [entity(text, *spec) for spec in entities]
    return make_tracker(
        text=text,
        intent=intent,
        entities=found,
        slots={
            "knowledge_base_last_object": last,
            "knowledge_base_last_object_type": "product" if last else None,
            "knowledge_base_listed_objects": listed,
            "mention": None,
            "product_question": None,
            **slots,
        },
    )


async def run(action: ProductAction | ActionHandleInform, tracker) -> tuple[str, dict[str, Any]]:
    """The answer's text and the slots the action set."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    return "\n".join(m.get("text") or "" for m in dispatcher.messages), slots


# --------------------------------------------------------------------------- availability


async def test_a_sold_out_size_is_said_with_the_sizes_in_stock(catalogue):
    text, slots = await run(
        ActionProductAvailability(catalogue),
        ask(
            "does the Ocean Blue Shirt come in large?",
            "product_availability",
            [("product", "Ocean Blue Shirt"), ("size", "large", "L")],
        ),
    )
    assert text == "Sorry, the Ocean Blue Shirt in size L is sold out. Still in stock: sizes S, M and XL."
    assert slots["knowledge_base_last_object"] == "ocean-blue-shirt"
    assert slots["knowledge_base_last_object_type"] == "product"


async def test_a_size_in_stock_is_yes_with_the_stock(catalogue):
    text, _ = await run(
        ActionProductAvailability(catalogue),
        ask("do you have the ocean blue shirt in M", "product_availability", [("product", "ocean blue shirt")]),
    )
    assert text == "Yes, the Ocean Blue Shirt in size M is in stock (9 in stock)."


@pytest.mark.parametrize("said", ["lg", "a large", "size L", "L"])
async def test_sizes_are_normalised_even_without_an_entity(catalogue, said):
    text, _ = await run(
        ActionProductAvailability(catalogue),
        ask(f"is it in stock in {said}?", "product_availability", last="ocean-blue-shirt"),
    )
    assert "in size L is sold out" in text


async def test_a_size_the_product_does_not_come_in(catalogue):
    text, _ = await run(
        ActionProductAvailability(catalogue),
        ask("got it in xxl?", "product_availability", [("size", "xxl", "XXL")], last="ocean-blue-shirt"),
    )
    assert text.startswith("The Ocean Blue Shirt doesn't come in size XXL. It comes in sizes S, M, L and XL.")


async def test_it_follow_up_uses_the_product_of_the_last_question(catalogue):
    text, slots = await run(
        ActionProductAvailability(catalogue),
        ask("is it in stock?", "product_availability", last="summit-down-jacket"),
    )
    assert text == "Yes, the Summit Down Jacket is in stock: size M in black; size L in red."
    assert slots["knowledge_base_last_object"] == "summit-down-jacket"


async def test_the_red_one_is_the_red_variant_of_the_product_in_context(catalogue):
    text, _ = await run(
        ActionProductAvailability(catalogue),
        ask("is the red one in stock?", "product_availability", [("colour", "red")], last="summit-down-jacket"),
    )
    assert text == "Yes, the Summit Down Jacket in red is in stock (7 in stock)."


async def test_a_colour_in_the_products_name_is_not_a_colour_choice(catalogue):
    text, _ = await run(
        ActionProductAvailability(catalogue),
        ask(
            "is the Ocean Blue Shirt in stock in XL",
            "product_availability",
            [("product", "Ocean Blue Shirt"), ("colour", "Blue", "blue"), ("size", "XL")],
        ),
    )
    assert text == "Yes, the Ocean Blue Shirt in size XL is in stock (11 in stock)."


async def test_sold_out_product_points_to_its_successor(catalogue):
    text, _ = await run(
        ActionProductAvailability(catalogue),
        ask("are the Trailblazer Hiking Boots available", "product_availability"),
    )
    assert "Trailblazer Hiking Boots is sold out" in text
    assert "replaced by the Trailblazer 2 Hiking Boots" in text


# --------------------------------------------------------------------------- which product


async def test_the_second_one_after_a_list(catalogue):
    listed = ["summit-down-jacket", "ocean-blue-shirt", "storm-rain-jacket"]
    text, slots = await run(
        ActionProductInfo(catalogue),
        ask("tell me more about the second one", entities=[("mention", "second one", "2")], listed=listed),
    )
    assert text.startswith("Ocean Blue Shirt by Tidewater Apparel")
    assert slots["knowledge_base_last_object"] == "ocean-blue-shirt"
    assert slots["mention"] is None


async def test_a_list_pick_without_an_entity_and_the_last_one(catalogue):
    listed = ["summit-down-jacket", "ocean-blue-shirt", "storm-rain-jacket"]
    text, _ = await run(
        ActionProductPrice(catalogue), ask("how much is the last one?", "price_question", listed=listed)
    )
    assert text == "The Storm Rain Jacket costs $89.00."


async def test_a_pick_beyond_the_list_asks_again(catalogue):
    text, slots = await run(
        ActionProductInfo(catalogue),
        ask("the fifth one", entities=[("mention", "fifth one", "5")], listed=SHIRTS),
    )
    assert text.startswith("I only showed you 2 products. Which one do you mean?")
    assert "1. Ocean Blue Shirt" in text
    assert slots["product_question"] == "action_product_info"


async def test_an_ambiguous_name_asks_which_one_with_a_numbered_list(catalogue):
    text, slots = await run(
        ActionProductInfo(catalogue), ask("tell me about the shirt", entities=[("product", "shirt")])
    )
    assert text.splitlines()[0] == "Which one do you mean?"
    assert "1. Classic Oxford Shirt by Tidewater Apparel ($59.00)" in text
    assert "2. Ocean Blue Shirt by Tidewater Apparel ($49.00)" in text
    assert slots["knowledge_base_listed_objects"] == ["classic-oxford-shirt", "ocean-blue-shirt"]
    assert slots["product_question"] == "action_product_info"


async def test_the_answer_to_which_one_answers_the_waiting_question(catalogue, monkeypatch):
    monkeypatch.setattr(backend, "catalogue_client", lambda: catalogue)
    tracker = ask(
        "the second one",
        "inform",
        [("mention", "second one", "2")],
        listed=["classic-oxford-shirt", "ocean-blue-shirt"],
        product_question="action_product_price",
    )
    text, slots = await run(ActionHandleInform(), tracker)
    assert text == "The Ocean Blue Shirt costs $49.00."
    assert slots["product_question"] is None
    assert slots["knowledge_base_last_object"] == "ocean-blue-shirt"


async def test_an_ambiguous_name_prefers_the_product_already_discussed(catalogue):
    text, _ = await run(
        ActionProductAvailability(catalogue),
        ask("is the shirt in stock in M", "product_availability", [("product", "shirt")], last="ocean-blue-shirt"),
    )
    assert text.startswith("Yes, the Ocean Blue Shirt in size M")


async def test_an_unknown_name_says_so_and_offers_search(catalogue):
    text, slots = await run(
        ActionProductInfo(catalogue), ask("tell me about the Zorblax 3000", entities=[("product", "Zorblax 3000")])
    )
    assert text.startswith("I couldn't find a product called 'Zorblax 3000'.")
    assert "search the shop" in text
    assert slots["product_question"] == "action_product_info"


async def test_no_product_at_all_asks_which(catalogue):
    text, slots = await run(ActionProductAvailability(catalogue), ask("is it in stock?", "product_availability"))
    assert text.startswith("Which product do you mean?")
    assert slots == {"mention": None, "product_question": "action_product_availability"}


async def test_a_bare_size_continues_the_product_conversation(catalogue, monkeypatch):
    monkeypatch.setattr(backend, "catalogue_client", lambda: catalogue)
    tracker = ask("and in medium?", "inform", [("size", "medium", "M")], last="ocean-blue-shirt")
    text, _ = await run(ActionHandleInform(), tracker)
    assert text == "Yes, the Ocean Blue Shirt in size M is in stock (9 in stock)."


async def test_inform_without_product_context_is_unchanged(tracker_factory):
    dispatcher = CollectingDispatcher()
    await ActionHandleInform().run(dispatcher, tracker_factory(text="hmm", intent="inform"), {})
    assert dispatcher.messages[0]["text"] == "Could you tell me a bit more about what you need?"


# --------------------------------------------------------------------------- info and price


async def test_a_specific_attribute_is_answered(catalogue):
    text, _ = await run(
        ActionProductInfo(catalogue),
        ask("is the Storm Rain Jacket waterproof?", entities=[("product", "Storm Rain Jacket")]),
    )
    assert text == "Yes, the Storm Rain Jacket is waterproof."
    text, _ = await run(ActionProductInfo(catalogue), ask("what is it made of", last="ocean-blue-shirt"))
    assert text == "Ocean Blue Shirt: material: cotton."


async def test_an_attribute_the_product_lacks_is_looked_up_in_the_description(catalogue):
    text, _ = await run(ActionProductInfo(catalogue), ask("is it warm?", last="trailhead-fleece-jacket"))
    assert text == (
        "From the description of the Trailhead Fleece Jacket: Warm recycled fleece for hiking and cool evenings."
    )


async def test_overview_of_a_product(catalogue):
    text, _ = await run(ActionProductInfo(catalogue), ask("tell me about the Summit Down Jacket"))
    assert text.startswith("Summit Down Jacket by Ridgeback Outdoor, jackets, $229.00. Warm 700-fill down jacket")
    assert "Details: material: nylon, down; waterproof: no; warmth: very warm." in text


async def test_price_with_the_saving_of_a_sale(catalogue):
    text, _ = await run(ActionProductPrice(catalogue), ask("how much is the Trailhead Fleece Jacket", "price_question"))
    assert text == "The Trailhead Fleece Jacket costs $69.00 (on sale, down from $89.00: you save $20.00)."


async def test_price_per_variant(catalogue):
    text, _ = await run(
        ActionProductPrice(catalogue),
        ask("how much is the Aero 12 in silver", "price_question", [("colour", "silver")]),
    )
    assert text == "The Aero 12 in silver costs $799.00."
    text, _ = await run(ActionProductPrice(catalogue), ask("how much is it", "price_question", last="aero-12"))
    assert text.startswith("The Aero 12 costs $699.00–$799.00 depending on the option: $699.00 for midnight;")


async def test_policy_questions_use_the_graph_faq_first(catalogue):
    text, _ = await run(
        ActionProductInfo(catalogue),
        ask("do you have a size guide", entities=[("policy_topic", "size guide", "sizing")]),
    )
    assert text.startswith("Our tops run true to size")


async def test_policy_questions_fall_back_to_the_shop_policy_file():
    empty = FakeCatalogue()
    text, _ = await run(
        ActionProductPolicy(empty), ask("how long is the warranty", entities=[("policy_topic", "warranty")])
    )
    assert text == shop_policies().product_answer("warranty")
    text, _ = await run(
        ActionProductPrice(empty), ask("do you have any discounts", "price_question", [("policy_topic", "discounts")])
    )
    assert text == shop_policies().product_answer("discounts")


# --------------------------------------------------------------------------- related products


async def test_which_cases_fit_this_phone(catalogue):
    tracker = ask(
        "which cases fit this phone?",
        "compatibility_question",
        [("product", "cases"), ("product", "phone")],
        last="aero-12",
    )
    text, slots = await run(ActionCompatibleProducts(catalogue), tracker)
    assert text == "These cases fit the Aero 12:\n1. Aero 12 Clear Case by Shellguard ($19.00)"
    assert slots["knowledge_base_listed_objects"] == ["aero-12-clear-case"]
    # the one product listed becomes "it" ("how much is it?" is about the case now)
    assert slots["knowledge_base_last_object"] == "aero-12-clear-case"
    related = [args[:3] for name, args in catalogue.calls if name == "related"]
    assert ("aero-12", "COMPATIBLE_WITH", True) in related


async def test_this_case_is_the_case_in_the_conversation_not_the_phone(catalogue):
    tracker = ask(
        "does this case fit the Aero 12?",
        "compatibility_question",
        [("product", "case"), ("product", "Aero 12")],
        last="voltpath-charger",
        listed=["aero-12-clear-case", "voltpath-charger"],
    )
    text, _ = await run(ActionCompatibleProducts(catalogue), tracker)
    assert text == "Yes, the Aero 12 Clear Case fits the Aero 12."


async def test_does_this_case_fit_the_phone(catalogue):
    yes, _ = await run(
        ActionCompatibleProducts(catalogue),
        ask(
            "does this case fit the Aero 12?",
            "compatibility_question",
            [("product", "Aero 12")],
            last="aero-12-clear-case",
        ),
    )
    assert yes == "Yes, the Aero 12 Clear Case fits the Aero 12."
    no, slots = await run(
        ActionCompatibleProducts(catalogue),
        ask(
            "will the Kestrel K5 Rugged Case fit an Aero 12",
            "compatibility_question",
            [("product", "Kestrel K5 Rugged Case"), ("product", "Aero 12")],
        ),
    )
    assert no.startswith("No, the Kestrel K5 Rugged Case isn't listed as compatible with the Aero 12.")
    assert "1. Aero 12 Clear Case" in no
    assert slots["knowledge_base_listed_objects"] == ["aero-12-clear-case"]


async def test_something_like_this_but_cheaper(catalogue):
    relations = [("product_relation", "like this", "similar"), ("product_relation", "cheaper")]
    tracker = ask("something like this but cheaper", "recommendation_request", relations, last="summit-down-jacket")
    text, slots = await run(ActionRecommendProducts(catalogue), tracker)
    assert text.splitlines()[0] == "Here are cheaper alternatives to the Summit Down Jacket ($229.00):"
    assert "1. Trailhead Fleece Jacket by Northwind ($69.00)" in text
    assert "2. Storm Rain Jacket by Ridgeback Outdoor ($89.00)" in text
    assert slots["knowledge_base_listed_objects"] == ["trailhead-fleece-jacket", "storm-rain-jacket"]
    assert slots["knowledge_base_last_object"] == "summit-down-jacket"  # several listed: "it" stays the jacket
    similar = [args for name, args in catalogue.calls if name == "related" and args[1] == "SIMILAR_TO"]
    assert similar[0][3].max_price < 229.0


async def test_cheaper_search_words_are_a_search_not_similar_products(catalogue):
    found = [("product", "shirts"), ("product_relation", "cheaper")]
    tracker = ask("show me cheaper shirts", "product_search", found, last="summit-down-jacket")
    text, _ = await run(ActionProductSearch(catalogue), tracker)
    assert text.startswith("Here's what I found:")
    assert not any(name == "related" for name, _ in catalogue.calls)


async def test_the_words_alone_route_nothing_only_the_entities_do(catalogue):
    """A message the NLU found no relation in stays a search, whatever words it has."""
    tracker = ask("something like this but cheaper", "product_search", last="summit-down-jacket")
    text, _ = await run(ActionProductSearch(catalogue), tracker)
    assert not any(name == "related" for name, _ in catalogue.calls)
    tracker = ask(
        "something like this but cheaper",
        "product_search",
        [("product_relation", "cheaper")],
        last="summit-down-jacket",
    )
    text, _ = await run(ActionProductSearch(catalogue), tracker)
    assert text.startswith("Here are cheaper alternatives to the Summit Down Jacket")


async def test_the_successor_of_a_replaced_product(catalogue):
    text, _ = await run(
        ActionSimilarProducts(catalogue),
        ask("what replaced the Trailblazer Hiking Boots", "recommendation_request"),
    )
    assert text.startswith("The Trailblazer Hiking Boots has been replaced by the Trailblazer 2 Hiking Boots")


# --------------------------------------------------------------------------- comparison


async def test_compare_these_two(catalogue):
    text, slots = await run(
        ActionCompareProducts(catalogue),
        ask("what's the difference between these two", "product_comparison", listed=SHIRTS),
    )
    lines = text.splitlines()
    assert lines[0] == "Ocean Blue Shirt vs Classic Oxford Shirt:"
    assert "• Price: $49.00 | $59.00" in lines
    assert "• Material: cotton | cotton oxford" in lines
    assert "• In stock: sizes S, M and XL | sizes M and L in white" in lines
    assert lines[-1] == (
        "The difference: the Ocean Blue Shirt is $10.00 cheaper; material cotton vs cotton oxford; "
        "only the Ocean Blue Shirt has size S and XL in stock; only the Classic Oxford Shirt has size L in stock."
    )
    assert slots["knowledge_base_listed_objects"] == SHIRTS


async def test_compare_by_position_and_by_name(catalogue):
    listed = ["summit-down-jacket", "ocean-blue-shirt", "storm-rain-jacket"]
    text, _ = await run(
        ActionCompareProducts(catalogue),
        ask("compare the first and the third one", "product_comparison", listed=listed),
    )
    assert text.startswith("Summit Down Jacket vs Storm Rain Jacket:")
    text, _ = await run(
        ActionCompareProducts(catalogue),
        ask(
            "how does it compare to the Storm Rain Jacket",
            "product_comparison",
            [("product", "Storm Rain Jacket")],
            last="trailhead-fleece-jacket",
        ),
    )
    assert text.startswith("Trailhead Fleece Jacket vs Storm Rain Jacket:")


async def test_compare_with_one_product_asks_for_the_other(catalogue):
    text, slots = await run(
        ActionCompareProducts(catalogue), ask("compare it", "product_comparison", last="ocean-blue-shirt")
    )
    assert text == "Which product should I compare the Ocean Blue Shirt with?"
    assert slots["product_question"] == "action_compare_products"


# --------------------------------------------------------------------------- search


async def test_search_with_a_price_limit(catalogue):
    text, slots = await run(
        ActionProductSearch(catalogue), ask("something warm for hiking under $100", "product_search")
    )
    assert text.splitlines()[0] == "Here's what I found (up to $100.00):"
    assert "1. Trailhead Fleece Jacket by Northwind ($69.00)" in text
    assert "Summit Down Jacket" not in text
    assert "Storm Rain Jacket" not in text  # a much weaker match than the best one
    assert slots["knowledge_base_listed_objects"] == ["trailhead-fleece-jacket"]
    assert slots["knowledge_base_last_object"] == "trailhead-fleece-jacket"  # the one result is "it"


async def test_several_results_are_listed_and_none_is_it(catalogue):
    text, slots = await run(ActionProductSearch(catalogue), ask("show me jackets", "product_search", last="aero-12"))
    assert text.splitlines()[1:5] == [
        "1. Storm Rain Jacket by Ridgeback Outdoor ($89.00)",
        "2. Summit Down Jacket by Ridgeback Outdoor ($229.00)",
        "3. Trailhead Fleece Jacket by Northwind ($69.00)",
        "Ask me about any of them, for example 'tell me about the first one' or 'is the second one in stock?'",
    ]
    assert slots["knowledge_base_listed_objects"] == [
        "storm-rain-jacket",
        "summit-down-jacket",
        "trailhead-fleece-jacket",
    ]
    assert slots["knowledge_base_last_object"] is None


async def test_search_without_results(catalogue):
    text, _ = await run(ActionProductSearch(catalogue), ask("unicorn saddles", "product_search"))
    assert text.startswith("I couldn't find anything for 'unicorn saddles'")


class FakeRecommendations:
    """The recommendations backend as the action sees it: a list, a capped answer, or down."""

    def __init__(self, items: list[RecommendedItem] | None = None, capped: bool = False) -> None:
        self.items, self.capped = items, capped
        self.asked: list[dict[str, Any]] = []

    async def recommend(self, customer_id: str | None, **context: Any) -> RecommendationList:
        self.asked.append({"customer_id": customer_id, **context})
        if self.items is None:
            raise RecommendationsUnavailable("down")
        return RecommendationList(self.items, self.capped, "hybrid")


def use_recommendations(monkeypatch, fake: FakeRecommendations) -> FakeRecommendations:
    monkeypatch.setattr(backend, "recommendations_client", lambda: fake)
    return fake


@pytest.mark.parametrize(
    "fake",
    [
        FakeRecommendations(None),
        FakeRecommendations([], False),
        FakeRecommendations(
            [RecommendedItem("aero-12-clear-case", "Aero 12 Clear Case", 0.9, "goes with Aero 12")], capped=True
        ),
    ],
)
async def test_a_vague_recommendation_request_asks_what_for_without_picks(catalogue, monkeypatch, fake):
    use_recommendations(monkeypatch, fake)
    text, _ = await run(ActionRecommendProducts(catalogue), ask("what do you recommend?", "recommendation_request"))
    assert text.startswith("Happy to help you choose!")


async def test_a_vague_recommendation_request_gets_the_backends_picks_with_reasons(catalogue, monkeypatch):
    fake = use_recommendations(
        monkeypatch,
        FakeRecommendations(
            [
                RecommendedItem("aero-12-clear-case", "Aero 12 Clear Case", 0.9, "goes with Aero 12"),
                RecommendedItem("no-longer-sold", "Gone", 0.8, "popular"),
                RecommendedItem("voltpath-charger", "Charger", 0.7, "people who bought Aero 12 also bought"),
            ]
        ),
    )
    tracker = ask("what do you recommend?", "recommendation_request", last="aero-12")
    text, slots = await run(ActionRecommendProducts(catalogue), tracker)
    assert fake.asked[0]["product_id"] == "aero-12", "what the shopper looked at shapes the picks"
    assert "1. Aero 12 Clear Case" in text and "goes with Aero 12" in text
    assert "Gone" not in text, "an item the catalogue no longer has is left out"
    assert slots["knowledge_base_listed_objects"] == ["aero-12-clear-case", "voltpath-charger"]


async def test_a_described_need_is_searched_not_recommended(catalogue, monkeypatch):
    fake = use_recommendations(monkeypatch, FakeRecommendations([]))
    text, _ = await run(
        ActionRecommendProducts(catalogue), ask("recommend a warm jacket for hiking", "recommendation_request")
    )
    assert fake.asked == [] and "1." in text


# --------------------------------------------------------------------------- service down


@pytest.mark.parametrize(
    "action",
    [ActionProductInfo, ActionProductAvailability, ActionProductPrice, ActionProductSearch, ActionCompareProducts],
)
async def test_service_down_apologises_with_the_policy_file_message(action, catalogue):
    catalogue.down = True
    text, slots = await run(action(catalogue), ask("is the ocean blue shirt in stock", last="ocean-blue-shirt"))
    assert text == shop_policies().message("catalogue_down")
    assert slots == {"mention": None}


async def test_every_product_action_resets_the_mention(catalogue):
    dispatcher = CollectingDispatcher()
    events = await ActionProductInfo(catalogue).run(dispatcher, ask("tell me about it", last="aero-12"), {})
    assert events[0] == SlotSet("mention", None)


class FakePricing:
    def __init__(self, quote: Quote) -> None:
        self.result = quote
        self.asked: list[dict[str, Any]] = []

    async def quote(self, **request: Any) -> Quote:
        self.asked.append(request)
        return self.result


async def test_price_answer_adds_the_personal_price_with_its_explanation(catalogue, monkeypatch):
    sale = Quote(Decimal("49.00"), Decimal("41.65"), "USD", ("Outerwear sale: 15% off",), None)
    pricing = FakePricing(sale)
    monkeypatch.setattr(backend, "pricing_client", lambda: pricing)
    tracker = ask("how much is the ocean blue shirt in medium", "price_question", [("product", "ocean blue shirt")])
    text, _ = await run(ActionProductPrice(catalogue), tracker)
    assert "Your price today is $41.65: Outerwear sale: 15% off." in text
    assert pricing.asked[0]["product_id"] == "ocean-blue-shirt" and pricing.asked[0]["base_price"] == 49.0


async def test_price_answer_without_adjustments_or_backend_is_the_catalogue_price(catalogue, monkeypatch):
    unchanged = Quote(Decimal("49.00"), Decimal("49.00"), "USD", (), None)
    monkeypatch.setattr(backend, "pricing_client", lambda: FakePricing(unchanged))
    tracker = ask("how much is the ocean blue shirt", "price_question", [("product", "ocean blue shirt")])
    text, _ = await run(ActionProductPrice(catalogue), tracker)
    assert "$49.00" in text and "Your price today" not in text


# --------------------------------------------------------------------------- coupons


def coupon(code: str = "WELCOME10", **terms: Any) -> Coupon:
    now = datetime.now(UTC)
    values = {
        "kind": "percent",
        "value": Decimal(10),
        "valid_from": now - timedelta(days=1),
        "valid_to": now + timedelta(days=30),
        "max_uses": None,
        "max_uses_per_customer": 1,
        "min_order_value": None,
        "customer_id": None,
        "uses": 0,
    }
    return Coupon(code=code, **{**values, **terms})


class FakeCouponPricing(FakePricing):
    def __init__(self, known: dict[str, Coupon], quote: Quote) -> None:
        super().__init__(quote)
        self.known = known

    async def coupon(self, code: str) -> Coupon | None:
        return self.known.get(code)


async def test_a_valid_coupon_is_remembered_and_priced_for_the_product_in_context(catalogue, monkeypatch):
    with_code = Quote(Decimal("49.00"), Decimal("44.10"), "USD", ("coupon WELCOME10: 10% off",), None)
    pricing = FakeCouponPricing({"WELCOME10": coupon()}, with_code)
    monkeypatch.setattr(backend, "pricing_client", lambda: pricing)
    tracker = ask("can I use welcome10", "apply_coupon", [("coupon_code", "welcome10")], last="ocean-blue-shirt")
    text, slots = await run(ActionApplyCoupon(catalogue), tracker)
    assert "WELCOME10 gives 10% off (once per customer)" in text
    assert "With it, the Ocean Blue Shirt comes to $44.10 (coupon WELCOME10: 10% off)." in text
    assert slots["coupon_code"] == "WELCOME10"
    assert pricing.asked[0]["coupon_code"] == "WELCOME10"


@pytest.mark.parametrize(
    ("known", "expected"),
    [
        ({}, "I couldn't find the code WELCOME10"),
        ({"WELCOME10": coupon(valid_to=datetime.now(UTC) - timedelta(days=1))}, "has expired"),
        ({"WELCOME10": coupon(max_uses=5, uses=5)}, "has been used up"),
        ({"WELCOME10": coupon(customer_id="C9999")}, "belongs to another account"),
    ],
)
async def test_a_coupon_that_cannot_be_used_is_refused_with_the_reason(catalogue, monkeypatch, known, expected):
    pricing = FakeCouponPricing(known, Quote(Decimal(1), Decimal(1), "USD", (), None))
    monkeypatch.setattr(backend, "pricing_client", lambda: pricing)
    tracker = ask("apply WELCOME10", "apply_coupon", [("coupon_code", "WELCOME10")])
    text, slots = await run(ActionApplyCoupon(catalogue), tracker)
    assert expected in text
    assert slots["coupon_code"] is None


async def test_a_coupon_request_without_a_code_asks_for_it(catalogue):
    text, _ = await run(ActionApplyCoupon(catalogue), ask("I have a voucher", "apply_coupon"))
    assert "What's the code?" in text


async def test_a_remembered_coupon_is_used_in_later_price_answers(catalogue, monkeypatch):
    pricing = FakePricing(Quote(Decimal("49.00"), Decimal("44.10"), "USD", ("coupon WELCOME10: 10% off",), None))
    monkeypatch.setattr(backend, "pricing_client", lambda: pricing)
    named = [("product", "ocean blue shirt")]
    tracker = ask("how much is the ocean blue shirt", "price_question", named, coupon_code="WELCOME10")
    text, _ = await run(ActionProductPrice(catalogue), tracker)
    assert pricing.asked[0]["coupon_code"] == "WELCOME10" and "$44.10" in text


async def test_what_goes_with_this_uses_the_graphs_accessories_when_recommendations_are_down(catalogue):
    catalogue.link("ACCESSORY_OF", "aero-12-clear-case", "aero-12")
    tracker = ask("what goes with this?", "recommendation_request", GOES_WITH, last="aero-12")
    text, slots = await run(ActionRecommendProducts(catalogue), tracker)
    assert text.startswith("These go well with the Aero 12:") and "1. Aero 12 Clear Case" in text
    assert slots["knowledge_base_listed_objects"] == ["aero-12-clear-case"]


async def test_what_goes_with_this_asks_the_recommendations_backend_about_the_product(catalogue, monkeypatch):
    picks = [RecommendedItem("voltpath-charger", "Charger", 0.9, "goes with Aero 12")]
    fake = use_recommendations(monkeypatch, FakeRecommendations(picks))
    text, _ = await run(
        ActionRecommendProducts(catalogue),
        ask("what goes with this?", "recommendation_request", GOES_WITH, last="aero-12"),
    )
    assert fake.asked[0]["product_id"] == "aero-12" and "goes with Aero 12" in text
