"""Semantic product search with the real packaged MiniLM model and a real faiss index (no mocks).

The catalogue is ~30 hand-written products; the queries are what shoppers type. The model is
loaded once for the module (about a second warm, a few seconds cold).
"""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from contracts.catalogue import Attribute, Brand, Catalogue, Category, Product, Variant
from knowledge_graph.hybrid_ranking import DENSE_ONLY
from knowledge_graph.product_encoder import DIMENSION, ProductEncoder, get_encoder
from knowledge_graph.search_filters import Filters
from knowledge_graph.semantic_search import (
    IndexItem,
    SemanticIndex,
    category_path,
    items_from_catalogue,
    product_text,
    search_phrase,
)

CATEGORIES = [
    Category("apparel", "Apparel"),
    Category("apparel/outerwear", "Outerwear", "apparel"),
    Category("apparel/shirts", "Shirts", "apparel"),
    Category("apparel/accessories", "Accessories", "apparel"),
    Category("footwear", "Footwear"),
    Category("electronics", "Electronics"),
    Category("electronics/phone-accessories", "Phone Accessories", "electronics"),
    Category("electronics/audio", "Audio", "electronics"),
    Category("home", "Home"),
    Category("home/kitchen", "Kitchen", "home"),
    Category("outdoor", "Outdoor"),
    Category("outdoor/camping", "Camping", "outdoor"),
    Category("sports", "Sports"),
]
BRANDS = [
    Brand("northpeak", "NorthPeak"),
    Brand("coastline", "Coastline"),
    Brand("shieldco", "ShieldCo"),
    Brand("soundwave", "SoundWave"),
    Brand("brewly", "Brewly"),
    Brand("stridewell", "Stridewell"),
    Brand("campfire", "Campfire Co"),
]

# id | title | category | brand | price | stock | tags | material, then the description on its own line.
PRODUCT_TABLE = """
fleece | Ridgeline Grid Fleece Jacket | apparel/outerwear | northpeak | 79 | 12 | hiking, outdoor, midlayer | polyester
    A warm, breathable midlayer fleece for hiking, trekking and chilly mornings on the trail.
down-jacket | Summit 800 Down Jacket | apparel/outerwear | northpeak | 180 | 5 | hiking, winter | goose down
    Our warmest insulated down jacket for winter hiking and alpine expeditions.
rain-shell | Stormguard Rain Shell | apparel/outerwear | northpeak | 129 | 7 | rain | nylon
    Waterproof, windproof and lightweight shell jacket that packs into its own pocket.
linen-shirt | Riviera Linen Shirt | apparel/shirts | coastline | 45 | 30 | summer, beach | linen
    Lightweight, breathable linen shirt for hot summer days and evenings at the beach.
oxford-shirt | Classic Oxford Shirt | apparel/shirts | coastline | 55 | 25 | office | cotton
    A crisp button-down cotton oxford shirt for the office.
tshirt | Everyday Cotton T-Shirt | apparel/shirts | coastline | 15 | 100 | basics | cotton
    Soft crew-neck cotton tee.
beanie | Merino Rib Beanie | apparel/accessories | northpeak | 25 | 40 | winter | merino wool
    Soft ribbed merino wool hat.
socks | Trail Crew Socks 2-Pack | apparel/accessories | northpeak | 18 | 60 |  | merino blend
    Cushioned crew socks with a reinforced heel.
sun-hat | Wide Brim Sun Hat | apparel/accessories | coastline | 29 | 15 | summer |
    Packable straw hat that shades your face from the sun.
running-shoes | Pacer Road Running Shoes | footwear | stridewell | 95 | 20 | running |
    Light, cushioned running shoes for road and treadmill.
hiking-boots | Trailmaster Waterproof Hiking Boots | footwear | stridewell | 149 | 8 | hiking |
    Leather hiking boots with a waterproof membrane and grippy sole.
flip-flops | Shoreline Flip-Flops | footwear | coastline | 12 | 50 | summer, beach |
    Simple rubber flip-flops for the pool and beach.
iphone-case | Slim Silicone Case for iPhone 15 | electronics/phone-accessories | shieldco | 19 | 80 | iphone |
    A thin silicone case that protects your iPhone 15 from scratches and drops.
galaxy-case | Rugged Armor Case for Galaxy S24 | electronics/phone-accessories | shieldco | 29 | 45 | samsung |
    Shockproof rugged phone case for Samsung Galaxy S24 with a built-in kickstand.
wallet-case | Leather Wallet Phone Case | electronics/phone-accessories | shieldco | 35 | 0 | iphone |
    Folio phone case with card slots, in genuine leather.
screen-protector | Tempered Glass Screen Protector | electronics/phone-accessories | shieldco | 12 | 90 |  |
    9H tempered glass protector for your phone screen.
charger | 20W USB-C Fast Charger | electronics/phone-accessories | soundwave | 25 | 70 |  |
    Compact wall charger that fast-charges phones and earbuds.
power-bank | 10000 mAh Power Bank | electronics/phone-accessories | soundwave | 39 | 33 | travel |
    Slim portable battery pack to charge your phone on the go.
earbuds | SoundWave Wireless Earbuds | electronics/audio | soundwave | 89 | 14 | music |
    True wireless Bluetooth earbuds with a charging case and 24 hours of playback.
headphones | SoundWave Noise-Cancelling Headphones | electronics/audio | soundwave | 249 | 6 | travel |
    Over-ear wireless headphones with active noise cancelling for flights and commutes.
kettle | Electric Kettle 1.7 L | home/kitchen | brewly | 39 | 22 | tea |
    Boils water for tea and coffee in minutes, with automatic shut-off.
gooseneck-kettle | Gooseneck Pour-Over Kettle | home/kitchen | brewly | 69 | 0 | coffee, tea |
    Electric gooseneck kettle with temperature control, for pour-over coffee and tea.
french-press | Glass French Press | home/kitchen | brewly | 29 | 18 | coffee |
    Brews rich coffee for four in four minutes.
chef-knife | 8-inch Chef's Knife | home/kitchen | brewly | 59 | 11 |  |
    Forged stainless steel kitchen knife for chopping and slicing.
skillet | Cast Iron Skillet | home/kitchen | brewly | 45 | 16 |  |
    Pre-seasoned cast iron frying pan for the stove, oven or campfire.
toaster | Two-Slice Toaster | home/kitchen | brewly | 49 | 9 |  |
    Toaster with wide slots for bagels and thick bread.
tent | Basecamp 2-Person Tent | outdoor/camping | campfire | 199 | 4 | camping |
    Freestanding three-season backpacking tent for two people.
sleeping-bag | Nightfall Sleeping Bag | outdoor/camping | campfire | 119 | 10 | camping |
    Three-season sleeping bag rated to -5 °C.
camp-stove | Compact Camping Stove | outdoor/camping | campfire | 49 | 13 | camping |
    Lightweight gas stove for cooking at the campsite.
water-bottle | Insulated Steel Water Bottle | outdoor/camping | campfire | 29 | 40 |  |
    Double-walled bottle keeps drinks cold for 24 hours.
yoga-mat | Grip Yoga Mat | sports | stridewell | 35 | 27 | fitness |
    Non-slip 6 mm yoga mat for home workouts.
"""


def parse_products(table: str) -> list[Product]:
    """Products from PRODUCT_TABLE: one variant each, at the given price and stock."""
    lines = [line for line in table.strip().splitlines() if line.strip()]
    products = []
    for header, description in zip(lines[::2], lines[1::2], strict=True):
        pid, title, category, brand, price, stock, tags, material = (f.strip() for f in header.split("|"))
        variant = Variant(sku=f"{pid}-1", product_id=pid, title="Default", price=float(price), stock=int(stock))
        products.append(
            Product(
                id=pid,
                title=title,
                description=description.strip(),
                brand_id=brand,
                category_id=category,
                tags=tuple(t.strip() for t in tags.split(",") if t.strip()),
                attributes=(Attribute("material", material),) if material else (),
                variants=(variant,),
            )
        )
    return products


CATALOGUE = Catalogue(products=parse_products(PRODUCT_TABLE), categories=CATEGORIES, brands=BRANDS)
ITEMS = items_from_catalogue(CATALOGUE)
PRODUCT_BY_ID = {p.id: p for p in CATALOGUE.products}


@pytest.fixture(scope="module")
def encoder() -> ProductEncoder:
    return get_encoder()


@pytest.fixture(scope="module")
def index(encoder: ProductEncoder) -> SemanticIndex:
    built = SemanticIndex(encoder)
    built.upsert(ITEMS)
    return built


def ids(hits) -> list[str]:
    return [h.product_id for h in hits]


# --------------------------------------------------------------------------- texts and items


def test_product_text_is_short_and_says_what_the_product_is() -> None:
    product = PRODUCT_BY_ID["fleece"]
    text = product_text(product, brand_name="NorthPeak", category_names=["Apparel", "Outerwear"])
    assert text == (
        "Ridgeline Grid Fleece Jacket. A warm, breathable midlayer fleece for hiking, trekking and chilly mornings on "
        "the trail. Apparel Outerwear. material polyester. hiking, outdoor, midlayer. by NorthPeak"
    )
    long = dataclasses.replace(product, description="word " * 500)
    assert len(product_text(long).split()) < 60
    assert "apparel outerwear" in product_text(product)  # category words from the slug without names


def test_category_path_from_slug_or_tree() -> None:
    assert category_path("apparel/shirts/linen") == ("apparel", "apparel/shirts", "apparel/shirts/linen")
    assert category_path("shirts", {"shirts": "apparel", "apparel": None}) == ("apparel", "shirts")
    assert category_path("a", {"a": "b", "b": "a"}) == ("b", "a")  # a cycle ends instead of hanging
    assert category_path(None) == ()


def test_items_from_catalogue_carry_filter_values() -> None:
    item = next(i for i in ITEMS if i.product_id == "wallet-case")
    assert item.min_price == 35
    assert item.category_path == ("electronics", "electronics/phone-accessories")
    assert item.brand == "ShieldCo"
    assert item.in_stock is False
    assert "Phone Accessories" in item.text


def test_encoder_returns_unit_float32_rows(encoder: ProductEncoder) -> None:
    vectors = encoder.encode(["warm fleece", "phone case"])
    assert vectors.dtype == np.float32
    assert vectors.shape == (2, DIMENSION)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert encoder.encode([]).shape == (0, DIMENSION)


# --------------------------------------------------------------------------- search quality


def test_warm_for_hiking_under_100_finds_the_fleece_not_the_down_jacket(index: SemanticIndex) -> None:
    hits, filters = search_phrase(index, "something warm for hiking under $100", k=5)
    assert filters == Filters(max_price=100)
    assert hits[0].product_id == "fleece"
    assert "down-jacket" not in ids(hits)
    assert all(PRODUCT_BY_ID[h.product_id].min_price <= 100 for h in hits)
    # Without the price filter the down jacket is a top match: the filter, not the model, removed it.
    assert "down-jacket" in ids(index.search("something warm for hiking", k=3))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("summer shirt for the beach", "linen-shirt"),
        ("case for my iphone", "iphone-case"),
        ("something to boil water for tea", "kettle"),
        ("headphones for a long flight", "headphones"),
        ("boots for hiking in the rain", "hiking-boots"),
        ("shelter for two on a backpacking trip", "tent"),
        ("something to keep my drinks cold", "water-bottle"),
        ("shoes for jogging", "running-shoes"),
        ("make coffee", "french-press"),
    ],
)
def test_queries_by_meaning(index: SemanticIndex, query: str, expected: str) -> None:
    assert expected in ids(index.search(query, k=2))


def test_scores_are_cosine_similarities_best_first_by_meaning(index: SemanticIndex, encoder: ProductEncoder) -> None:
    hits = index.search("warm jacket", k=10, ranking=DENSE_ONLY)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 <= s <= 1.0 for s in scores)
    assert len({h.product_id for h in hits}) == 10
    # Words and meaning together reorder the hits, but each score is still the hit's cosine similarity.
    query = encoder.encode(["warm jacket"])[0]
    # Encoded in one call as the index's upsert did: the int8 encoder scales activations per batch,
    # so the same batch gives the same vectors (tests/knowledge_graph/test_product_encoder.py).
    vector = dict(zip((item.product_id for item in ITEMS), encoder.encode([item.text for item in ITEMS]), strict=True))
    for hit in index.search("warm jacket", k=10):
        assert hit.score == pytest.approx(float(vector[hit.product_id] @ query), abs=1e-4)


# --------------------------------------------------------------------------- filters


def test_category_filter_matches_the_category_and_its_subcategories(index: SemanticIndex) -> None:
    hits = index.search("protect my phone", k=5, category="electronics/phone-accessories")
    assert hits[0].product_id in {"iphone-case", "galaxy-case", "screen-protector", "wallet-case"}
    assert all(PRODUCT_BY_ID[h.product_id].category_id == "electronics/phone-accessories" for h in hits)
    anywhere_electronic = index.search("something for music", k=50, category="electronics")
    assert {PRODUCT_BY_ID[h.product_id].category_id for h in anywhere_electronic} == {
        "electronics/phone-accessories",
        "electronics/audio",
    }
    assert len(anywhere_electronic) == 8
    assert index.search("jacket", category="no-such-category") == []


def test_category_filter_accepts_several(index: SemanticIndex) -> None:
    hits = index.search("summer", k=50, category=["footwear", "apparel/shirts"])
    assert {PRODUCT_BY_ID[h.product_id].category_id for h in hits} == {"footwear", "apparel/shirts"}


def test_brand_filter_ignores_case_spaces_and_dashes(index: SemanticIndex) -> None:
    for spelling in ("NorthPeak", "northpeak", "North Peak", "north-peak"):
        hits = index.search("warm", k=50, brand=spelling)
        assert {PRODUCT_BY_ID[h.product_id].brand_id for h in hits} == {"northpeak"}
        assert len(hits) == 5
    assert ids(index.search("jacket", k=1, brand="Coastline")) != ["fleece"]
    assert index.search("jacket", brand="Unknown Brand") == []


def test_in_stock_filter(index: SemanticIndex) -> None:
    assert "gooseneck-kettle" in ids(index.search("pour-over coffee kettle", k=3))
    in_stock = index.search("pour-over coffee kettle", k=30, in_stock_only=True)
    assert "gooseneck-kettle" not in ids(in_stock)
    assert "wallet-case" not in ids(in_stock)
    assert all(PRODUCT_BY_ID[h.product_id].total_stock > 0 for h in in_stock)


def test_price_range_filters(index: SemanticIndex) -> None:
    hits = index.search("headphones", k=30, min_price=100)
    assert ids(hits)[0] == "headphones"
    assert all(PRODUCT_BY_ID[h.product_id].min_price >= 100 for h in hits)
    between = index.search("gift", k=30, min_price=30, max_price=50)
    assert between and all(30 <= PRODUCT_BY_ID[h.product_id].min_price <= 50 for h in between)
    assert index.search("gift", min_price=1000) == []


def test_filters_combine(index: SemanticIndex) -> None:
    hits = index.search("warm", k=30, brand="NorthPeak", category="apparel/outerwear", max_price=150)
    assert set(ids(hits)) == {"fleece", "rain-shell"}


def test_oversampled_search_gives_the_same_hits_as_the_selector(index: SemanticIndex, encoder: ProductEncoder) -> None:
    vector = encoder.encode(["something warm"])[0]
    for filters in ({"max_price": 50}, {"category": "home"}, {"in_stock_only": True, "brand": "ShieldCo"}):
        selected = index.search_vector(vector, 5, **filters)
        oversampled = index.search_vector(vector, 5, strategy="oversample", **filters)
        assert ids(selected) == ids(oversampled)


def test_k_larger_than_the_matches(index: SemanticIndex) -> None:
    assert len(index.search("kitchen", k=100, category="home/kitchen")) == 6
    assert len(index.search("anything", k=1000)) == len(CATALOGUE.products)
    assert index.search("anything", k=0) == []


# --------------------------------------------------------------------------- updates


def test_incremental_upsert_reencodes_only_changed_texts(encoder: ProductEncoder) -> None:
    fresh = SemanticIndex(encoder)
    before = encoder.texts_encoded
    stats = fresh.upsert(ITEMS)
    assert (stats.added, stats.text_changed, stats.metadata_only) == (len(ITEMS), 0, 0)
    assert encoder.texts_encoded - before == len(ITEMS)
    assert len(fresh) == len(ITEMS)

    # A re-import where only prices and stock changed: nothing is encoded, filters see the new values.
    repriced = [
        dataclasses.replace(i, min_price=95.0, in_stock=True) if i.product_id == "down-jacket" else i for i in ITEMS
    ]
    before = encoder.texts_encoded
    stats = fresh.upsert(repriced)
    assert encoder.texts_encoded == before
    assert (stats.encoded, stats.metadata_only) == (0, len(ITEMS))
    assert "down-jacket" in ids(fresh.search("warm jacket for winter hiking", k=3, max_price=100))

    # One changed title and one new product: exactly two texts are encoded.
    renamed = dataclasses.replace(ITEMS[0], text="Ridgeline Fleece Hoodie. " + ITEMS[0].text)
    new = IndexItem("thermos", "Thermos flask for hot soup", 22.0, ("outdoor", "outdoor/camping"), "Campfire Co")
    before = encoder.texts_encoded  # the search above encoded its query
    stats = fresh.upsert([renamed, new])
    assert encoder.texts_encoded - before == 2
    assert encoder.calls > 0
    assert (stats.added, stats.text_changed, stats.metadata_only) == (1, 1, 0)
    assert len(fresh) == len(ITEMS) + 1
    assert fresh.search("flask for hot soup", k=1)[0].product_id == "thermos"


def test_upsert_with_precomputed_vectors_skips_the_encoder(encoder: ProductEncoder) -> None:
    vectors = encoder.encode([i.text for i in ITEMS[:5]])
    fresh = SemanticIndex(encoder)
    before = encoder.texts_encoded
    fresh.upsert(ITEMS[:5], vectors=vectors * 3.0)  # not unit length: normalised on the way in
    assert encoder.texts_encoded == before
    hits = fresh.search_vector(vectors[2], k=1)
    assert hits[0].product_id == ITEMS[2].product_id
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError):
        fresh.upsert(ITEMS[:5], vectors=vectors[:4])


def test_repeated_product_in_one_upsert_keeps_the_last(encoder: ProductEncoder) -> None:
    fresh = SemanticIndex(encoder)
    first = IndexItem("p", "red wool scarf", 10.0)
    last = IndexItem("p", "blue cotton scarf", 12.0)
    fresh.upsert([first, last])
    assert len(fresh) == 1
    assert fresh.search("scarf", max_price=11) == []
    assert ids(fresh.search("scarf", max_price=12)) == ["p"]


def test_remove(encoder: ProductEncoder) -> None:
    fresh = SemanticIndex(encoder)
    fresh.upsert(ITEMS)
    assert fresh.remove(["kettle", "gooseneck-kettle", "no-such-product"]) == 2
    assert len(fresh) == len(ITEMS) - 2
    assert "kettle" not in fresh
    hits = fresh.search("electric kettle to boil water", k=len(ITEMS))
    assert {"kettle", "gooseneck-kettle"}.isdisjoint(ids(hits))
    assert len(hits) == len(ITEMS) - 2
    assert fresh.search("kettle", category="home/kitchen", k=10) and all(
        h.product_id not in {"kettle", "gooseneck-kettle"} for h in fresh.search("kettle", category="home", k=10)
    )
    # Removed slots are reused; the re-added product is found again.
    fresh.upsert([i for i in ITEMS if i.product_id == "kettle"])
    assert fresh.search("electric kettle to boil water", k=1)[0].product_id == "kettle"
    assert len(fresh) == len(ITEMS) - 1


def test_empty_index_and_no_encoder() -> None:
    empty = SemanticIndex()
    assert len(empty) == 0
    assert empty.search_vector(np.ones(DIMENSION, dtype=np.float32), k=5) == []
    with pytest.raises(RuntimeError, match="no encoder"):
        empty.upsert([IndexItem("x", "text")])


# --------------------------------------------------------------------------- persistence

QUERIES = [
    ("something warm for hiking", {"max_price": 100}),
    ("case for my phone", {"category": "electronics"}),
    ("coffee", {"in_stock_only": True}),
    ("summer", {"brand": "Coastline"}),
    ("gift", {}),
]


def test_save_and_load_give_identical_results(index: SemanticIndex, encoder: ProductEncoder, tmp_path: Path) -> None:
    index.save(tmp_path / "idx")
    loaded = SemanticIndex.load(tmp_path / "idx", encoder)
    assert len(loaded) == len(index)
    for query, filters in QUERIES:
        assert index.search(query, k=8, **filters) == loaded.search(query, k=8, **filters)
    # The loaded index keeps the text hashes: re-upserting the same catalogue encodes nothing.
    before = encoder.texts_encoded
    assert loaded.upsert(ITEMS).encoded == 0
    assert encoder.texts_encoded == before


def test_save_load_after_removals_and_updates(encoder: ProductEncoder, tmp_path: Path) -> None:
    fresh = SemanticIndex(encoder)
    fresh.upsert(ITEMS)
    fresh.remove(["tent", "fleece"])
    fresh.save(tmp_path)
    loaded = SemanticIndex.load(tmp_path, encoder)
    assert len(loaded) == len(ITEMS) - 2
    assert "fleece" not in loaded
    loaded.upsert([i for i in ITEMS if i.product_id == "fleece"])  # goes into a free slot
    assert loaded.search("warm fleece for hiking", k=1)[0].product_id == "fleece"


def test_a_crash_during_save_leaves_the_previous_index_loadable(
    index: SemanticIndex, encoder: ProductEncoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index.save(tmp_path)
    expected = index.search("something warm", k=5)
    changed = SemanticIndex(encoder)
    changed.upsert(ITEMS[:3])

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        changed.save(tmp_path)
    monkeypatch.undo()
    assert SemanticIndex.load(tmp_path, encoder).search("something warm", k=5) == expected
    changed.save(tmp_path)  # the next save succeeds and cleans up the half-written generation
    assert len(SemanticIndex.load(tmp_path, encoder)) == 3
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 5  # manifest + this generation + the previous one (for readers mid-load)


def test_load_refuses_an_index_built_with_another_model(index: SemanticIndex, tmp_path: Path) -> None:
    index.save(tmp_path)

    class OtherEncoder:
        name = "some/other-model"
        dimension = DIMENSION

    with pytest.raises(ValueError, match="rebuild"):
        SemanticIndex.load(tmp_path, OtherEncoder())  # type: ignore[arg-type]


def test_open_gives_an_empty_index_to_rebuild_when_the_saved_one_does_not_fit(
    index: SemanticIndex, encoder: ProductEncoder, tmp_path: Path
) -> None:
    index.save(tmp_path)

    class OtherEncoder:
        name = "some/other-model"
        dimension = DIMENSION

    assert len(SemanticIndex.open(tmp_path, encoder)) == len(index)
    other = SemanticIndex.open(tmp_path, OtherEncoder())  # type: ignore[arg-type]
    assert len(other) == 0 and isinstance(other.encoder, OtherEncoder)
    assert len(SemanticIndex.open(tmp_path / "never-saved", encoder)) == 0


def test_count_matches_the_filters(index: SemanticIndex) -> None:
    assert index.count() == len(CATALOGUE.products)
    assert index.count(category="home/kitchen") == 6
    assert index.count(category="home/kitchen", in_stock_only=True) == 5
    assert index.count(brand="ShieldCo", max_price=20) == 2


def test_searches_while_another_thread_updates(encoder: ProductEncoder) -> None:
    shared = SemanticIndex(encoder)
    shared.upsert(ITEMS)
    vector = encoder.encode(["warm jacket"])[0]
    errors: list[BaseException] = []
    stop = threading.Event()

    def search_loop() -> None:
        try:
            while not stop.is_set():
                hits = shared.search_vector(vector, 5, max_price=200)
                assert hits and all(h.product_id for h in hits)
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    readers = [threading.Thread(target=search_loop) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for round_ in range(3):
            shared.remove(["kettle", "toaster"])
            shared.upsert([dataclasses.replace(i, text=f"{i.text} v{round_}") for i in ITEMS[:4]] + ITEMS[20:])
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert errors == []
    assert len(shared) == len(ITEMS)
