"""channels.voice.spoken: chat replies rewritten for the ear, transcripts rewritten for the NLU."""

from __future__ import annotations

import itertools

import pytest

from channels.voice.spoken import (
    confirmation_question,
    heard_text,
    sentences,
    spoken_reply,
    spoken_text,
    yes_or_no,
)


@pytest.mark.parametrize(
    ("chat", "spoken"),
    [
        ("Order 104532 has shipped.", "Order one zero four five three two has shipped."),
        ("Order #104532 is packed.", "Order one zero four five three two is packed."),
        ("The total is $58.65.", "The total is 58 dollars 65."),
        ("It costs $1,234.50 or €12.00.", "It costs 1234 dollars 50 or 12 euros."),
        ("Only $1 and 50.00 GBP and $0.50.", "Only 1 dollar and 50 pounds and 50 cents."),
        ("Between $20–$40.", "Between 20 dollars to 40 dollars."),
        ("A ZIP code has 5 digits, like 94107.", "A ZIP code has 5 digits, like nine four one zero seven."),
        ("Call +1 555 0100 now.", "Call one five five five zero one zero zero now."),
        ("Write to support@northwind.example.", "Write to support at northwind dot example."),
        ("Tracking number 1Z999AA1.", "Tracking number one Z nine nine nine A A one."),
        ("Great news 🎉🙂 **really**!", "Great news really!"),
        ("Save 15% today", "Save 15 percent today."),
        ("In 2 sizes, 3 colours and 2026.", "In 2 sizes, 3 colours and 2026."),
    ],
)
def test_spoken_text(chat: str, spoken: str) -> None:
    assert spoken_text(chat) == spoken


def test_links_are_not_read_out_and_the_sentence_says_where_to_look() -> None:
    text = "Invoice for order 104532 is ready. You can download it here: https://www.northwind.example/a/104532/invoice"
    spoken = spoken_text(text)
    assert "http" not in spoken and "northwind.example" not in spoken and "invoice" not in spoken.split(".")[-1]
    assert spoken.endswith("You can download it on our website.")
    assert spoken_text("See www.example.com for details.") == "See for details on our website."


def test_lists_and_lines_become_pauses() -> None:
    chat = "Which one do you mean?\n1. Trail Jacket ($89.00)\n2. Rain Coat\n- Storm Shell\nJust say the number."
    spoken = spoken_text(chat)
    assert spoken == (
        "Which one do you mean? 1, Trail Jacket (89 dollars). 2, Rain Coat. Storm Shell. Just say the number."
    )


def test_buttons_are_offered_as_words() -> None:
    message = {"text": "Shall I cancel it?", "buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No"}]}
    assert spoken_reply(message) == "Shall I cancel it? You can say Yes or No."
    assert spoken_reply({"image": "https://x/y.png"}) == ""
    assert spoken_reply({"text": "😀"}) == ""


def test_sentences_split_at_ends_and_long_first_sentences_early() -> None:
    assert sentences("Hi! Order 1 shipped. Anything else?") == ["Hi!", "Order 1 shipped.", "Anything else?"]
    long_first = "Standard delivery takes three to five days, express one to two days, and both are tracked."
    parts = sentences(long_first, first_max_chars=50)
    assert parts == ["Standard delivery takes three to five days,", "express one to two days, and both are tracked."]
    assert sentences(long_first) == [long_first]
    many_words = "word " * 100
    assert all(len(part) <= 220 for part in sentences(many_words))


def test_a_long_sentence_after_a_short_one_comes_in_growing_parts() -> None:
    """Each part is synthesised while the previous one plays: after a short one, a long one is cut."""
    said = (
        "I'm a virtual assistant (a bot). I can help with orders, delivery, returns and your account, "
        "and I can put you in touch with a person whenever you like."
    )
    parts = sentences(said, first_max_chars=60)
    assert parts == [
        "I'm a virtual assistant (a bot).",
        "I can help with orders, delivery, returns and your account,",
        "and I can put you in touch with a person whenever you like.",
    ]
    assert all(len(after) <= max(60, 2 * len(before)) for before, after in itertools.pairwise(parts))
    assert sentences(said) == [said[:32], said[33:]]  # without a first limit: whole sentences


@pytest.mark.parametrize(
    ("heard", "text"),
    [
        ("My order number is one zero four five three two.", "My order number is 104532."),
        ("It's 1-0-4-5-3-2", "It's 104532"),
        ("order 104 532", "order 104532"),
        ("oh one two three four", "01234"),
        ("the blue one", "the blue one"),
        ("one two three", "one two three"),
        ("I want one, two or three of them", "I want one, two or three of them"),
        ("  where is   my order ", "where is my order"),
    ],
)
def test_heard_text_joins_spoken_digits(heard: str, text: str) -> None:
    assert heard_text(heard) == text


def test_confirmation_question_reads_numbers_digit_by_digit() -> None:
    assert confirmation_question("where is order 12345") == "Did you say where is order one two three four five?"


@pytest.mark.parametrize(
    ("answer", "meaning"),
    [
        ("Yes.", True),
        ("Yeah, that's right", True),
        ("That's right.", True),
        ("No", False),
        ("No, that's wrong.", False),
        ("That's not it", False),
        ("Where is my order?", None),
        ("", None),
        ("yes I would like to know about the return policy for jackets please", None),
    ],
)
def test_yes_or_no(answer: str, meaning: bool | None) -> None:
    assert yes_or_no(answer) is meaning
