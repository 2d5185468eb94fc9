"""Reading US addresses out of what shoppers type (actions/addresses.py, on usaddress's CRF labels).

Examples are the ways people write an address in a chat; the properties hold for any text, since
shoppers' messages are not ours to choose: parsing never raises, and each part it returns is plausible."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actions.addresses import MAX_TEXT_CHARS, US_STATES, PostalAddress, clean_city, parse_address

OAK = PostalAddress(street="12 Oak Street", city="Springfield", state="IL", postcode="62704")


@pytest.mark.parametrize(
    "text",
    [
        "12 Oak Street, Springfield, IL 62704",
        "12 Oak Street Springfield IL 62704",
        "my new address is 12 Oak Street, Springfield IL 62704 please",
        "Springfield IL 62704, 12 Oak Street",
        "IL 62704, Springfield, 12 Oak Street",
        "62704, IL, Springfield, 12 Oak Street",
        "12 Oak Street\nSpringfield, Illinois 62704-1234",
    ],
)
def test_a_whole_address_is_read_in_any_order(text) -> None:
    assert parse_address(text) == OAK


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "please send order 104532 to 500 Main St, Austin TX 78701 instead",
            PostalAddress(street="500 Main St", city="Austin", state="TX", postcode="78701"),
        ),
        (
            "change the address of order #104532 to 77 Elm Rd, Boston, MA 02118",
            PostalAddress(street="77 Elm Rd", city="Boston", state="MA", postcode="02118"),
        ),
        (
            "12 oak st springfield il 62704",
            PostalAddress(street="12 oak st", city="Springfield", state="IL", postcode="62704"),
        ),
        (
            "100 Main Street apt 5, Saint Louis, MO 63101",
            PostalAddress(street="100 Main Street apt 5", city="Saint Louis", state="MO", postcode="63101"),
        ),
        (
            "PO Box 123, New York, NY 10001",
            PostalAddress(street="PO Box 123", city="New York", state="NY", postcode="10001"),
        ),
    ],
)
def test_an_address_inside_a_sentence_leaves_the_order_number_out(text, expected) -> None:
    assert parse_address(text) == expected


def test_a_known_order_number_is_never_a_house_number() -> None:
    assert parse_address("104532 500 Main St, Austin TX 78701", ignore={"104532"}).street == "500 Main St"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 Oak Street", PostalAddress(street="12 Oak Street")),
        ("12 Oak Street, Springfield", PostalAddress(street="12 Oak Street", city="Springfield")),
        ("Springfield, IL 62704", PostalAddress(city="Springfield", state="IL", postcode="62704")),
        ("it's 62704-1234", PostalAddress(postcode="62704")),
        ("zip is 62704", PostalAddress(postcode="62704")),
    ],
)
def test_part_of_an_address_gives_just_those_parts(text, expected) -> None:
    assert parse_address(text) == expected
    assert not expected.is_complete


@pytest.mark.parametrize(
    "text",
    [
        "",
        "jane@example.com",
        "104532 jane@example.com",
        "I want to change the shipping address of my order",
        "change address for order #104532",
        "what's your return policy?",
        "Oak Avenue",  # no house number
        "12",
        "6256",
    ],
)
def test_text_without_an_address_gives_no_parts(text) -> None:
    assert parse_address(text).is_empty


def test_a_long_message_is_not_parsed() -> None:
    address = "12 Oak Street, Springfield, IL 62704"
    assert parse_address(address + " " + "x" * MAX_TEXT_CHARS).is_empty


@pytest.mark.parametrize(
    ("typed", "city"),
    [("shelbyville.", "Shelbyville"), ("St. Louis", "St. Louis"), ("the city is Springfield", "Springfield")],
)
def test_a_city_typed_alone_is_cleaned(typed, city) -> None:
    assert clean_city(typed) == city


@pytest.mark.parametrize("typed", ["62565", "how long does shipping take today", "it", "x"])
def test_what_is_no_city_name_is_refused(typed) -> None:
    assert clean_city(typed) is None


def assert_plausible(address: PostalAddress) -> None:
    if address.street is not None:
        assert any(c.isdigit() for c in address.street) and any(c.isalpha() for c in address.street)
        assert 4 <= len(address.street) <= 120
    if address.city is not None:
        assert not any(c.isdigit() for c in address.city) and 2 <= len(address.city) <= 60
    if address.state is not None:
        assert address.state in US_STATES
    if address.postcode is not None:
        assert len(address.postcode) == 5 and address.postcode.isdigit()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=MAX_TEXT_CHARS))
def test_any_text_gives_plausible_parts_or_none(text) -> None:
    assert_plausible(parse_address(text))


ADDRESS_WORDS = st.sampled_from(
    ["12", "Oak", "Street", "St", "Ave", "Springfield", "IL", "62704", "Apt", "#", "PO", "Box", "N", "order", "104532"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(ADDRESS_WORDS, st.text(max_size=12)), max_size=30), st.sampled_from([" ", ", ", "\n"]))
def test_address_like_word_salad_gives_plausible_parts_or_none(words, separator) -> None:
    assert_plausible(parse_address(separator.join(words), ignore={"104532"}))
