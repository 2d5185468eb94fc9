"""The log redactor masks personal data and leaves the numbers operators need (order numbers, times, paths)."""

from __future__ import annotations

import itertools

import pytest

from contracts.redaction import find_personal_data, luhn_valid, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at jane.doe+shop@example.co.uk please", "mail me at [email] please"),
        ("card 4111 1111 1111 1111 exp 12/29", "card [card] exp 12/29"),
        ("pay with 5500-0000-0000-0004", "pay with [card]"),
        ("call +1 (415) 555-0134 or 415-555-0199", "call [phone] or [phone]"),
        ("my mobile is 07700 900123", "my mobile is [phone]"),
        ("ship it to 221B Baker Street, London NW1 6XE", "ship it to [address] [postcode]"),
        ("new address: 42 Elm St Apt 5, Springfield, IL 62704", "new address: [address]"),
        ("send it to PO Box 1234", "send it to [address]"),
        ("my zip is 94107", "my zip is [proof]"),
        ("order_proof=94107 for order 104233", "order_proof=[proof] for order 104233"),
        ("Portland, OR 97201-1234", "Portland, OR [postcode]"),
        # The shapes added on 2026-12-07 (docs/benchmarks.md, "Log redaction").
        ("deliver to 250 West 57th Street", "deliver to [address]"),
        ("it's Unit 2, 8 Harbour Road", "it's [address]"),
        ("my address is Rua Augusta 100, Lisboa", "my address is [address], Lisboa"),
        ("send it to Hauptstraße 5, 10115 Berlin", "send it to [address], [postcode] Berlin"),
        ("postal code K1A 0B1", "postal code [postcode]"),
        ("94107", "[proof]"),
        ("it's 94107.", "it's [proof]."),
        ("the zip on the order is 33101", "the zip on the order is [proof]"),
        ("dial 1-800-555-0199 now", "dial [phone] now"),
        ("will now ship to 47510 Howell Port Apt. 183, West Justin 35315.", "will now ship to [address]."),
        ("141 Hodges Mountains, Kramerville, NM 87101", "[address]"),
    ],
)
def test_masks_personal_data(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 104233 costs 1299.00 USD",
        "GET /orders/104233 200 0.012 s",
        "2026-12-07 06:31:34,123 INFO backend on 127.0.0.1:8101",
        "3 items on the way",
        "SKU 4006381333931 is the blue one",
        "I need 12000 points for the voucher",
        "it's 3 sizes too small",
        "2 Blue Mountain jackets please",
        "I want 2 V Neck T-Shirts",
        "there are 2 different ways to pay",
        "4111 1111 1111 1112 fails the Luhn check",
        "sizes 10 12 14, 2 pairs",
        "ticket 17 waited 340 s",
    ],
)
def test_leaves_ordinary_text_alone(text: str) -> None:
    assert redact(text) == text


def test_spans_do_not_overlap_and_name_their_kind() -> None:
    spans = find_personal_data("jane@example.com, 4111111111111111, +44 20 7946 0958")
    assert [span.kind for span in spans] == ["email", "card", "phone"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
