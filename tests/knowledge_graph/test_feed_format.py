"""The shop feed (JSON lines and CSV): write -> read gives the same catalogue; bad records name their line."""

from __future__ import annotations

import io
import json

import pytest

from catalogue_files.demo import load_demo_catalogue
from contracts.catalogue import Attribute, Catalogue, Policy, Product, Variant
from knowledge_graph.importers.feed import (
    FeedError,
    join_list,
    join_pairs,
    parse_feed,
    parse_feed_csv,
    parse_feed_jsonl,
    split_list,
    split_pairs,
    write_csv,
    write_jsonl,
)
from tools.catalogue_generator import generate_catalogue


@pytest.fixture(scope="module")
def generated() -> Catalogue:
    catalogue = generate_catalogue(300, seed=5)
    catalogue.policies.append(Policy("warranty", "Warranty", "Two years | no fuss.", ("warranty", "repair")))
    return catalogue


@pytest.fixture(scope="module")
def demo() -> Catalogue:
    return load_demo_catalogue().catalogue


def odd_catalogue(colour: str | None = "red|blue") -> Catalogue:
    """Values a naive writer gets wrong: separators in text, repeated attribute names out of order, no variants."""
    variant = Variant(
        sku="X|1",
        product_id="x",
        title="Custom title",
        price=0.1 + 0.2,
        stock=-2,
        compare_at_price=None,
        colour=colour,
        size="M",
        option_names=("Colour", "Fit=Cut"),
        option_values=("Red|Blue", "a\\b"),
    )
    product = Product(
        id="x",
        title='Odd, "quoted"\nproduct',
        description="Line one\nLine two, with | and = and \\",
        attributes=(Attribute("material", "wool"), Attribute("fit", "slim"), Attribute("material", "silk")),
        tags=("a|b", "c"),
        currency="EUR",
        variants=(variant,),
    )
    return Catalogue(products=[product, Product(id="empty", title="No variants")])


def test_jsonl_round_trip(tmp_path, generated, demo):
    # JSON can also say "no colour" although an option is a colour (CSV reads a blank as "from the options").
    for catalogue in (generated, demo, odd_catalogue(), odd_catalogue(colour=None)):
        path = tmp_path / "feed.jsonl"
        write_jsonl(catalogue, path)
        result = parse_feed_jsonl(path)
        assert result.issues == []
        assert result.catalogue == catalogue


def test_gzip_and_stream_round_trip(tmp_path, demo):
    write_jsonl(demo, tmp_path / "feed.jsonl.gz")
    assert parse_feed(tmp_path / "feed.jsonl.gz").catalogue == demo
    stream = io.StringIO()
    write_jsonl(demo, stream)
    assert parse_feed_jsonl(io.StringIO(stream.getvalue())).catalogue == demo


def test_csv_round_trip(tmp_path, generated, demo):
    for catalogue in (demo, odd_catalogue()):
        write_csv(catalogue, tmp_path / "csv")
        result = parse_feed(tmp_path / "csv")
        assert result.issues == []
        assert result.catalogue == catalogue
    # The CSV form has no rows for categories or brands: only those products use come back.
    write_csv(generated, tmp_path / "generated")
    result = parse_feed(tmp_path / "generated")
    assert result.issues == []
    assert result.catalogue.products == generated.products
    assert result.catalogue.links == generated.links
    assert result.catalogue.policies == generated.policies
    used = {product.category_id for product in generated.products}
    assert (
        used
        <= {category.id for category in result.catalogue.categories}
        <= set(category.id for category in generated.categories)
    )


def test_list_cells_escape_separators():
    items = ["plain", "pipe|inside", "back\\slash", "both\\|", "a=b"]
    assert split_list(join_list(items)) == items
    assert split_list(" a | b ||") == ["a", "b"]
    pairs = [("Fit=Cut", "a=b|c\\"), ("material", "wool")]
    assert split_pairs(join_pairs(pairs), "options") == pairs
    with pytest.raises(FeedError):
        split_pairs("material=wool|silk", "attributes")


def test_jsonl_bad_lines_are_reported_with_line_numbers():
    lines = [
        '{"category": "Outdoor > Jackets"}',
        "",
        '{"id": "jacket", "title": "Jacket", "category_path": "Outdoor > Jackets", "brand": "Acme",'
        ' "variants": [{"sku": "J-1", "price": 99, "stock": 3, "options": {"Size": "Medium"}},'
        ' {"sku": "J-2", "price": "free"}]}',
        "{not json",
        '{"id": "no-title"}',
        '{"link": "COMPATIBLE_WITH", "source": "jacket", "target": "ghost"}',
        '{"link": "LIKES", "source": "jacket", "target": "jacket"}',
        '{"id": "jacket", "title": "Again"}',
        '{"something": "else"}',
        '{"policy": "care", "title": "Care", "answer": "Wash cold.", "topics": ["care"]}',
        "[1, 2]",
        '{"id": "boots", "title": "Boots", "attributes": {"warmth": "warm"}, "variants": [{"price": 120}]}',
    ]
    result = parse_feed_jsonl(io.StringIO("\n".join(lines) + "\n"))
    assert [(issue.line, issue.message) for issue in result.issues] == [
        (3, "variant of 'jacket' skipped: price 'free' is not a number"),
        (4, "not valid JSON: Expecting property name enclosed in double quotes (column 2)"),
        (5, "skipped: title of product 'no-title' is missing"),
        (6, "COMPATIBLE_WITH link refers to unknown product 'ghost'"),
        (
            7,
            "skipped: unknown product relation 'LIKES'; expected one of "
            "('COMPATIBLE_WITH', 'SIMILAR_TO', 'ACCESSORY_OF', 'REPLACED_BY')",
        ),
        (8, "skipped: product 'jacket' appears again; the later one is skipped"),
        (9, "skipped: unknown record: expected one of id (product), link, policy, category, brand"),
        (11, "skipped: a line must be a JSON object"),
    ]
    jacket, boots = result.catalogue.products
    assert [(v.sku, v.size, v.stock) for v in jacket.variants] == [("J-1", "M", 3)]
    assert (jacket.category_id, jacket.brand_id) == ("outdoor/jackets", "acme")
    assert boots.variants[0].sku == "boots" and boots.variants[0].title == "Boots"
    assert [policy.id for policy in result.catalogue.policies] == ["care"]
    assert result.rows_read == 11


def test_csv_bad_rows_are_reported_with_line_numbers(tmp_path):
    products = (
        "product_id,title,description,brand,category_path,tags,attributes,sku,price,stock,options\n"
        'tent,Tent,"Sleeps two.\nWeighs 1.4 kg.",Acme,Outdoor > Tents,camping|hiking,season=3-season,T-1,'
        "249,4,Capacity=2-Person\n"
        "tent,,,,,,,T-2,cheap,1,Capacity=3-Person\n"
        ",Orphan,,,,,,O-1,5,1,\n"
        "stove,Stove,,Acme,Outdoor > Stoves,,broken-attribute,S-1,30,2,\n"
        "mat,Mat,,,,,,,,,\n"
        "tent,,,,,,,T-3,199,1,Capacity=1-Person\n"
    )
    (tmp_path / "products.csv").write_text(products, encoding="utf-8")
    (tmp_path / "links.csv").write_text(
        "link,source,target,score\nSIMILAR_TO,tent,mat,0.4\nSIMILAR_TO,tent,nowhere,\nREPLACED_BY,tent,mat,x\n",
        encoding="utf-8",
    )
    result = parse_feed(tmp_path)
    assert [(issue.line, issue.message) for issue in result.issues] == [
        (4, "variant of 'tent' skipped: price 'cheap' is not a number"),
        (5, "row has no product_id; skipped"),
        (6, "skipped: attributes item 'broken-attribute' is not name=value"),
        (8, "rows for product 'tent' must be together; row skipped"),
        (3, "SIMILAR_TO link refers to unknown product 'nowhere'"),
        (4, "skipped: score 'x' is not a number"),
    ]
    tent, mat = result.catalogue.products
    assert tent.description == "Sleeps two.\nWeighs 1.4 kg." and tent.tags == ("camping", "hiking")
    assert [(v.sku, v.price, v.option_values) for v in tent.variants] == [("T-1", 249.0, ("2-Person",))]
    assert mat.variants == ()
    assert [(link.kind, link.score) for link in result.catalogue.links] == [("SIMILAR_TO", 0.4)]


def test_missing_columns_are_reported():
    result = parse_feed_csv(io.StringIO("id,name\n1,x\n"))
    assert [(i.line, i.message) for i in result.issues] == [
        (1, "missing column(s) product_id, title, price; file skipped")
    ]


def test_writer_output_is_one_json_object_per_line(demo):
    stream = io.StringIO()
    count = write_jsonl(demo, stream)
    lines = stream.getvalue().splitlines()
    assert len(lines) == count
    records = [json.loads(line) for line in lines]
    assert sum("id" in record for record in records) == len(demo.products)
    assert sum("link" in record for record in records) == len(demo.links)
