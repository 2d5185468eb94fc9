"""Shopify product CSV import, on Shopify's three public sample exports and on small made-up files.

Expected counts are checked two ways: numbers read off the files by hand, and a plain csv count
(a product is a row with a Title, a variant a row with a price) that shares no code with the parser.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

import pytest

from catalogue_files.shopify_csv import html_to_text, iter_shopify_products, parse_shopify_csv

SHOPIFY_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "shopify"
# file -> (products, variants, CSV records), counted by hand
SAMPLES = {"apparel.csv": (20, 22, 22), "home-and-garden.csv": (20, 21, 21), "jewelery.csv": (20, 23, 41)}
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def sample(name: str) -> Path:
    path = SHOPIFY_DIR / name
    if not path.is_file():
        pytest.skip(f"Shopify sample data not found at {path}")
    return path


def plain_counts(path: Path) -> tuple[Counter, int]:
    """Variants per handle and product count, by the simplest reading of the format."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    products = {row["Handle"] for row in rows if row["Title"].strip()}
    variants = Counter(row["Handle"] for row in rows if row["Variant Price"].strip())
    return variants, len(products)


def by_id(result):
    return {product.id: product for product in result.catalogue.products}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_counts_match_the_file(name):
    path = sample(name)
    products, variants, records = SAMPLES[name]
    result = parse_shopify_csv(path)
    assert result.issues == []
    assert len(result.catalogue.products) == products
    assert result.catalogue.variant_count() == variants
    assert result.rows_read == records
    per_handle, product_count = plain_counts(path)
    assert product_count == products
    assert {p.id: len(p.variants) for p in result.catalogue.products} == dict(per_handle)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_descriptions_are_plain_text(name):
    for product in parse_shopify_csv(sample(name)).catalogue.products:
        assert product.description, product.id
        assert not TAG.search(product.description), product.description
        assert "&amp;" not in product.description and "\xa0" not in product.description
        assert product.description == product.description.strip()


def test_multi_line_quoted_bodies_become_lines_of_text():
    products = by_id(parse_shopify_csv(sample("jewelery.csv")))
    gemstone = products["gemstone"].description.splitlines()
    assert gemstone[0] == "Gemstone pendant, housed in sterling silver, with sterling silver chain."
    assert "- Sterling silver chain, 14 inches" in gemstone
    assert "- Made in USA" in gemstone
    choker = products["choker-with-gold-pendant"].description
    assert 'Length, 12" with 2.5" extender' in choker
    # The rows after a multi-line body still belong to the right products.
    assert len(products["choker-with-triangle"].variants) == 1
    assert products["dainty-gold-neclace"].title == "Dainty Gold Necklace"


def test_options_colour_and_size():
    jewellery = by_id(parse_shopify_csv(sample("jewelery.csv")))
    bracelet = jewellery["chain-bracelet"]
    assert [(v.colour, v.stock, v.option_names) for v in bracelet.variants] == [
        ("blue", 1, ("Color",)),
        ("black", 0, ("Color",)),  # option names are only on the first row
    ]
    assert [v.colour for v in jewellery["gemstone"].variants] == ["blue", "purple"]  # "Colour" too
    assert jewellery["leather-anchor"].variants[1].price == 55.0
    assert jewellery["leather-anchor"].variants[1].compare_at_price == 85.0
    assert len(jewellery["leather-anchor"].variants) == 2  # the image-only row is not a variant

    apparel = by_id(parse_shopify_csv(sample("apparel.csv")))
    top = apparel["classic-varsity-top"]
    assert [v.size for v in top.variants] == ["S", "M", "L"]
    assert [v.option_values for v in top.variants] == [("Small",), ("Medium",), ("Large",)]
    shirt = apparel["ocean-blue-shirt"].variants[0]
    assert shirt.option_names == () and shirt.title == "Ocean Blue Shirt"  # "Title: Default Title"


def test_vendor_type_tags_and_attributes():
    result = parse_shopify_csv(sample("home-and-garden.csv"))
    assert {brand.name for brand in result.catalogue.brands} == {"Company 123", "Rustic LTD", "Home Sweet Home"}
    assert {category.id for category in result.catalogue.categories} == {"indoor", "outdoor"}
    pot = by_id(result)["clay-plant-pot"]
    assert pot.tags == ("Pot", "Plants") and pot.brand_id == "company-123" and pot.category_id == "outdoor"
    assert [(v.size, v.price, v.stock) for v in pot.variants] == [("Regular", 9.99, 1), ("L", 15.99, 3)]
    sofa = by_id(result)["cream-sofa"]
    assert {(a.name, a.value) for a in sofa.attributes} == {("type", "Indoor"), ("material", "wood")}
    assert sofa.variants[0].compare_at_price == 750.0
    apparel = by_id(parse_shopify_csv(sample("apparel.csv")))
    assert ("gender", "women") in {(a.name, a.value) for a in apparel["floral-white-top"].attributes}


def test_streaming_gives_the_same_products():
    path = sample("jewelery.csv")
    assert list(iter_shopify_products(path)) == parse_shopify_csv(path).catalogue.products


def test_bad_rows_are_reported_with_their_line_and_the_rest_imports():
    # Physical lines end in "\n" only (a body in this file holds a U+2028, which splitlines() would split).
    lines = sample("jewelery.csv").read_text(encoding="utf-8-sig").rstrip("\n").split("\n")
    purple = next(i for i, line in enumerate(lines) if line.startswith("gemstone,,,") and ",27.99," in line)
    lines[purple] = lines[purple].replace(",27.99,", ",abc,", 1)
    columns = len(next(csv.reader(io.StringIO(lines[0]))))
    unknown = ["mystery-ring", "", "", "", "", "", "", "", "Gold"] + [""] * (columns - 9)
    unknown[19] = "12.00"  # Variant Price
    lines.append(",".join(unknown))
    unknown_line = len(lines)
    result = parse_shopify_csv(io.StringIO("\n".join(lines) + "\n"))
    assert [(issue.line, issue.message) for issue in result.issues] == [
        (purple + 1, "variant of 'gemstone' skipped: price 'abc' is not a number"),
        (unknown_line, "variant row for unknown product 'mystery-ring' (no Title); skipped"),
    ]
    assert len(result.catalogue.products) == 20
    assert result.catalogue.variant_count() == 22
    assert [v.colour for v in by_id(result)["gemstone"].variants] == ["blue"]


MINIMAL = "\ufeffHandle,Title,Variant Price,Option1 Name,Option1 Value\n\nmug,Camp Mug,12,Colour,Red\n\nmug,,12,,Blue\n"


def test_missing_columns_bom_and_blank_lines():
    result = parse_shopify_csv(io.StringIO(MINIMAL))
    assert result.issues == []
    (mug,) = result.catalogue.products
    assert (mug.brand_id, mug.category_id, mug.description, mug.tags) == (None, None, "", ())
    assert [(v.sku, v.stock, v.colour) for v in mug.variants] == [("mug-red", 0, "red"), ("mug-blue", 0, "blue")]


def test_line_numbers_count_blank_lines_and_multi_line_fields():
    text = (
        'Handle,Title,Body (HTML),Variant Price\na,A,"<p>one\ntwo\nthree</p>",5\n\na,,,oops\nb,B,,-3\n,,,\nc,C,,1e400\n'
    )
    result = parse_shopify_csv(io.StringIO(text))
    assert [(issue.line, issue.message.split(":")[-1].strip()) for issue in result.issues] == [
        (6, "price 'oops' is not a number"),
        (7, "price '-3' is not a valid amount"),
        (9, "price '1e400' is not a valid amount"),
    ]
    assert [p.id for p in result.catalogue.products] == ["a", "b", "c"]
    assert result.catalogue.products[0].description == "one two three"


def test_separated_rows_duplicate_skus_and_bad_stock():
    text = (
        "Handle,Title,Variant SKU,Variant Price,Variant Inventory Qty,Option1 Name,Option1 Value\n"
        "a,A,SKU-1,5,2.5,Size,S\n"
        "b,B,SKU-1,6,,Size,M\n"
        "a,,SKU-2,5,1,Size,M\n"
    )
    result = parse_shopify_csv(io.StringIO(text))
    assert [(issue.line, issue.message) for issue in result.issues] == [
        (2, "stock '2.5' is not a whole number; counted as 0"),
        (3, "duplicate SKU 'SKU-1'; imported as 'SKU-1-2'"),
        (
            4,
            "rows for handle 'a' must be together (its product starts on line 2); "
            "this row and the next ones for it are skipped",
        ),
    ]
    assert [(v.sku, v.stock) for p in result.catalogue.products for v in p.variants] == [("SKU-1", 0), ("SKU-1-2", 0)]


def test_product_category_metafields_and_google_gender():
    text = (
        "Handle,Title,Vendor,Product Category,Type,Tags,Google Shopping / Gender,"
        "Fabric (product.metafields.shopify.fabric),Variant Price,Variant Compare At Price\n"
        "tee,Tee,Acme,Apparel & Accessories > Clothing > Shirts & Tops,T-Shirt,"
        '"summer, Organic Cotton, fit:relaxed",Female,cotton; elastane,20,15\n'
    )
    result = parse_shopify_csv(io.StringIO(text), currency="EUR")
    (tee,) = result.catalogue.products
    assert tee.category_id == "apparel-accessories/clothing/shirts-tops"
    assert [(c.id, c.parent_id) for c in result.catalogue.categories] == [
        ("apparel-accessories", None),
        ("apparel-accessories/clothing", "apparel-accessories"),
        ("apparel-accessories/clothing/shirts-tops", "apparel-accessories/clothing"),
    ]
    assert {(a.name, a.value) for a in tee.attributes} == {
        ("type", "T-Shirt"),
        ("gender", "women"),
        ("material", "organic cotton"),
        ("fit", "relaxed"),
        ("fabric", "cotton"),
        ("fabric", "elastane"),
    }
    assert tee.currency == "EUR" and tee.variants[0].compare_at_price is None  # not above the price


def test_empty_and_foreign_files_are_reported():
    assert [i.message for i in parse_shopify_csv(io.StringIO("")).issues] == ["the file is empty: no header row"]
    issues = parse_shopify_csv(io.StringIO("sku,price\na,1\n")).issues
    assert [(i.line, i.message) for i in issues] == [(1, "no Handle column: this is not a Shopify product CSV")]


def test_html_to_text():
    html = "<h2>Fit</h2><p>Runs&nbsp;small &amp; snug.<br>Size up.</p><script>x()</script><ul><li>A</li><li>B</li></ul>"
    assert html_to_text(html) == "Fit\nRuns small & snug.\nSize up.\n- A\n- B"
    assert html_to_text("Plain text, no tags. ") == "Plain text, no tags."
