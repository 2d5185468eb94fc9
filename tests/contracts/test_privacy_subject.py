"""The subject of a data-subject request (contracts/privacy.py): normalised identifiers, widening."""

from __future__ import annotations

import pytest

from contracts.privacy import Subject, normal_email, normal_phone


def test_identifiers_are_compared_in_one_form() -> None:
    assert normal_email("  Jane.Doe@Example.COM ") == "jane.doe@example.com"
    assert normal_phone("+1 (415) 555-0100") == normal_phone("+14155550100") == "+14155550100"
    assert normal_phone("0415 555 0100") == "04155550100"


def test_named_keeps_what_was_given_and_says_so() -> None:
    subject = Subject.named(customer_id=" C1 ", email="A@B.example", phone=None)
    assert subject.customer_ids == {"C1"} and subject.emails == {"a@b.example"} and not subject.phones
    assert subject.found_by == {"C1": "request", "a@b.example": "request"}


@pytest.mark.parametrize("named", [{}, {"customer_id": " "}, {"email": ""}, {"phone": "no digits"}])
def test_nobody_named_is_refused(named: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="name the shopper"):
        Subject.named(**named)


def test_widened_adds_identifiers_and_keeps_the_first_source() -> None:
    subject = Subject.named(email="a@b.example")
    wider = subject.widened("orders", customer_ids={"C1"}, order_numbers={104532}, emails={"a@b.example"})
    wider = wider.widened("desk", conversation_ids={"web-1"}, customer_ids={"C1"})
    assert wider.customer_ids == {"C1"} and wider.order_numbers == {104532} and wider.conversation_ids == {"web-1"}
    assert wider.found_by == {"a@b.example": "request", "C1": "orders", "104532": "orders", "web-1": "desk"}
    assert subject.customer_ids == frozenset()  # the original is unchanged (frozen)
    assert wider.as_json()["order_numbers"] == [104532]
