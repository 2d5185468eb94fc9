import pytest
from rasa_sdk.knowledge_base.utils import get_object_name

from actions.products.knowledge_base import (
    GraphKnowledgeBase,
    normalise_mention,
    ordinal_mention_in,
    ordinal_mentions_in,
    product_object,
)
from tests.actions.fake_catalogue import demo_catalogue


@pytest.fixture
def catalogue():
    return demo_catalogue()


@pytest.fixture
def kb(catalogue):
    return GraphKnowledgeBase(catalogue)


@pytest.mark.parametrize(
    ("said", "key"),
    [
        ("the second one", "2"),
        ("2nd", "2"),
        ("the first", "1"),
        ("the last one", "LAST"),
        ("number 3", "3"),
        ("#4", "4"),
        ("1", "1"),
        ("that one", "that one"),
        ("", None),
    ],
)
def test_mentions_become_rasa_sdk_ordinal_keys(said, key):
    assert normalise_mention(said) == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("is the second one in stock?", "2"),
        ("tell me about number 4", "4"),
        ("the last one please", "LAST"),
        ("2", "2"),
        ("first?", "1"),
        ("cancel my first order", None),
        ("my order is #104532", None),
        ("I want 2 of them", None),
    ],
)
def test_a_list_pick_is_found_in_free_text(text, key):
    assert ordinal_mention_in(text) == key


def test_several_picks_in_order():
    assert ordinal_mentions_in("compare the first and the third one") == ["1", "3"]


def test_rasa_sdk_ordinal_mapping_and_keys_are_kept(kb):
    assert kb.ordinal_mention_mapping["LAST"](["a", "b", "c"]) == "c"
    assert kb.ordinal_mention_mapping["2"](["a", "b", "c"]) == "b"
    assert kb.get_object_types() == ["product"]


async def test_key_attribute_and_representation(kb, catalogue):
    assert await kb.get_key_attribute_of_object("product") == "id"
    represent = await kb.get_representation_function_of_object("product")
    shirt = product_object(catalogue.products_by_id["ocean-blue-shirt"].summary)
    assert represent(shirt) == "Ocean Blue Shirt ($49.00)"
    aero = product_object(catalogue.products_by_id["aero-12"].summary)
    assert represent(aero) == "Aero 12 ($699.00–$799.00)"


async def test_get_object_by_id(kb):
    found = await kb.get_object("product", "summit-down-jacket")
    assert found["id"] == "summit-down-jacket"
    assert found["name"] == "Summit Down Jacket"


async def test_get_object_by_name_or_mention(kb):
    found = await kb.get_object("product", "the ocean blue shirt")
    assert found["id"] == "ocean-blue-shirt"


async def test_get_object_is_none_when_ambiguous_or_unknown(kb):
    assert await kb.get_object("product", "shirt") is None
    assert await kb.get_object("product", "zorblax 3000") is None
    assert await kb.get_object("restaurant", "ocean-blue-shirt") is None


async def test_find_keeps_the_candidates_of_an_ambiguous_name(kb):
    lookup = await kb.find("shirt")
    assert lookup.ambiguous
    assert {p.id for p in lookup.candidates} == {"ocean-blue-shirt", "classic-oxford-shirt"}


async def test_get_objects_with_filters_only_lists(kb, catalogue):
    found = await kb.get_objects("product", [{"name": "max_price", "value": "60"}], limit=10)
    assert {p["id"] for p in found} == {
        "ocean-blue-shirt",
        "classic-oxford-shirt",
        "aero-12-clear-case",
        "kestrel-k5-rugged-case",
        "voltpath-charger",
    }
    assert catalogue.calls[-1][0] == "list_products"


async def test_get_objects_with_descriptive_attributes_searches(kb, catalogue):
    found = await kb.get_objects(
        "product", [{"name": "material", "value": "warm hiking"}, {"name": "max_price", "value": 100}]
    )
    assert [p["id"] for p in found] == ["trailhead-fleece-jacket", "storm-rain-jacket"]
    assert catalogue.calls[-1] == ("search", "warm hiking")


def test_rasa_sdk_resolves_an_ordinal_against_listed_ids(tracker_factory, kb):
    tracker = tracker_factory(
        slots={
            "mention": "2",
            "knowledge_base_listed_objects": ["ocean-blue-shirt", "summit-down-jacket"],
            "knowledge_base_last_object": None,
            "knowledge_base_last_object_type": "product",
        }
    )
    assert get_object_name(tracker, kb.ordinal_mention_mapping) == "summit-down-jacket"
