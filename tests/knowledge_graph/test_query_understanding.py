"""Query understanding rules, each on the texts that made it necessary (issue 13's failure types)."""

from __future__ import annotations

import pytest

from knowledge_graph.query_understanding import Vocabulary, contradicts, product_tokens, query_terms, stem, words


@pytest.mark.parametrize(
    "written",
    ['Samsung 44" LED TV', "Samsung 44 in. LED TV", "Samsung 44-inch LED TV", "Samsung 44 inches LED TV", "44in TV"],
)
def test_a_size_in_inches_is_one_token_however_it_is_written(written: str) -> None:
    assert "44in" in product_tokens(written)
    assert "40in" not in product_tokens(written)


def test_a_query_with_a_unit_matches_on_the_unit_token_not_the_loose_unit_word() -> None:
    terms = query_terms("44 inch tv")
    assert "44in" in terms.tokens and "44" in terms.tokens
    assert "inch" not in terms.tokens  # else every product that says "inch" would score
    assert "inch" in query_terms("44 inch tv", measures=False).tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8 ounce mason jars", {"8oz"}),
        ("5 gal. bucket", {"5gal"}),
        ("16 GB memory card", {"16gb"}),
        ("10 ft extension cord", {"10ft"}),
        ("6 pack", {"6pk"}),
        ("1.50 L bottle", {"1.5l"}),
    ],
)
def test_units_have_one_canonical_spelling(text: str, expected: set[str]) -> None:
    assert expected <= set(product_tokens(text))


def test_fractions_and_dimensions() -> None:
    product = set(product_tokens('Bath Mat 6-1/2" x 17"'))
    assert {"6.5", "6.5in", "17in", "6.5x17"} <= product
    query = set(query_terms("6 1/2 x 17").tokens)
    assert {"6.5", "17", "6.5x17"} <= query
    assert "1" not in query and "2" not in query  # the fraction's digits are not numbers of their own
    assert {"0.5", "0.5in"} <= set(product_tokens("1/2 in. PVC pipe"))
    assert "2x4" in product_tokens("2x4 stud")
    assert "0.75" in product_tokens("¾ inch plywood")


def test_model_numbers_match_with_or_without_their_dash() -> None:
    assert "wr44526" in product_tokens("Concept Housewares WR-44526 Wine Rack")
    assert query_terms("wr44526").codes == ("wr44526",)
    assert query_terms("WR-44526 wine rack").codes == ("wr44526",)
    assert query_terms("i5-6200U laptop").codes == ("i56200u",)


def test_quantities_are_not_model_numbers() -> None:
    assert query_terms("16gb memory card").codes == ()
    assert query_terms("2-pack socks").codes == ()
    assert query_terms("x5").codes == ()  # too short to be a code


def test_plural_stemming_meets_the_singular() -> None:
    assert [stem(w) for w in ("dresses", "batteries", "shoes", "boxes", "glass", "jeans")] == [
        "dress",
        "battery",
        "shoe",
        "box",
        "glass",
        "jean",
    ]
    assert words("Dresses for Women") == ["dress", "women"]


def test_antonyms_contradict_only_without_the_word_itself() -> None:
    exterior = set(words("exterior stain"))
    assert contradicts(exterior, frozenset(words("Interior Wood Stain")))
    assert not contradicts(exterior, frozenset(words("Exterior Wood Stain")))
    assert not contradicts(exterior, frozenset(words("Interior and Exterior Stain")))
    assert not contradicts(exterior, frozenset(words("Wood Stain")))
    assert contradicts(set(words("mens boots")), frozenset(words("Womens Hiking Boots")))
    assert contradicts(set(words("wireless mouse")), frozenset(words("Wired Optical Mouse")))


def test_typos_are_corrected_only_for_words_the_catalogue_lacks() -> None:
    vocabulary = Vocabulary({"external": 12, "hard": 40, "drive": 30, "creed": 3, "assassin": 3, "extend": 2})
    assert query_terms("extenal hard drive", vocabulary=vocabulary).tokens[:3] == ("external", "hard", "drive")
    assert query_terms("assassinss creed", vocabulary=vocabulary).corrections == {"assassinss": "assassin"}
    assert query_terms("hard drive", vocabulary=vocabulary).corrections == {}
    assert vocabulary.correct("zzzz") == "zzzz"  # nothing close: left alone
    assert vocabulary.correct("dr") == "dr"  # short words are not guessed at


def test_the_head_word_is_the_last_word_that_names_a_thing() -> None:
    assert query_terms("apple iphone otterbox case").head == "case"
    assert query_terms("extenal hard drives 500 gb").head == "drive"  # numbers and units are not the thing
    assert query_terms("16 gb").head is None
    vocabulary = Vocabulary({"refrigerator": 5})
    assert query_terms("mini refrigirator", vocabulary=vocabulary).head == "refrigerator"


def test_the_head_word_comes_before_a_clause() -> None:
    assert query_terms("electric kettle to boil water").head == "kettle"
    assert query_terms("case for my iphone").head == "case"
    assert query_terms("flea and tick control for dogs").head == "control"
    assert query_terms("for dogs").head == "dog"  # nothing before the clause: the whole query
    assert query_terms("44 in tv").head == "tv"  # "in" after a number is a unit, not a clause
