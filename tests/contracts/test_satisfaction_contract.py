"""contracts.satisfaction: reading a rating, and when the question is asked (own logic, no Rasa)."""

from __future__ import annotations

from typing import Any

import pytest

from contracts import satisfaction


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("5", 5.0),
        ("4 stars", 4.0),
        ("4/5", 4.0),
        ("2 out of 5", 2.0),
        ("four out of five", 4.0),
        ("Four.", 4.0),
        ("one star", 1.0),
        ("I'd give you a 3", 3.0),
        ("5 out of 5, great", 5.0),
        ("it was great", 5.0),
        ("pretty good", 4.0),
        ("it was ok", 3.0),
        ("terrible!!", 1.0),
    ],
)
def test_unambiguous_answers_are_read(text: str, rating: float) -> None:
    assert satisfaction.parse_rating(text) == rating


@pytest.mark.parametrize(
    "text",
    [
        "8/10",  # another scale
        "3 or 4",  # two numbers
        "I'd give you a 10",  # out of range
        "0",
        "not bad",  # negated words
        "it wasn't great",
        "no",
        "104532",  # an order number
        "which one do you mean",  # "one" inside a sentence is not a rating
        "good, and where is my parcel now please tell me",  # a new question, not a rating
        "great but slow and useless",  # words pointing at different ratings
        "",
    ],
)
def test_ambiguous_answers_are_not_ratings(text: str) -> None:
    assert satisfaction.parse_rating(text) is None


def test_buttons_carry_the_payload_rasa_reads_as_the_intent_and_entity() -> None:
    buttons = satisfaction.buttons()
    assert [b["title"] for b in buttons] == ["1", "2", "3", "4", "5"]
    assert buttons[3]["payload"] == '/rate{"satisfaction": 4}'
    assert satisfaction.is_rating_question(satisfaction.question())
    assert not satisfaction.is_rating_question(
        {"text": "Cancel it?", "buttons": [{"title": "Yes", "payload": "/affirm"}]}
    )


@pytest.mark.parametrize(("value", "rating"), [(4, 4.0), (2.5, 2.5), ("5", 5.0), (9, None), (True, None), (None, None)])
def test_entity_values(value: Any, rating: float | None) -> None:
    assert satisfaction.rating_from_entity(value) == rating


def user(intent: str, text: str = "", frustration: float | None = None) -> dict[str, Any]:
    parse_data: dict[str, Any] = {"intent": {"name": intent}, "text": text}
    if frustration is not None:
        parse_data["frustration"] = {"source": "model", "score": frustration, "frustrated": frustration >= 0.5}
    return {"event": "user", "text": text, "parse_data": parse_data}


def asked() -> dict[str, Any]:
    return {"event": "bot", "text": "how did I do?", "data": {"buttons": satisfaction.buttons()}}


HELPED = [{"event": "session_started"}, user("track_order", "where is my order"), {"event": "bot", "text": "shipped"}]
ON: dict[str, str] = {}


def test_asked_once_per_session_after_help() -> None:
    assert satisfaction.should_ask([*HELPED, user("thank")], leaving=False, environ=ON)
    assert not satisfaction.should_ask([*HELPED, asked(), user("thank")], leaving=False, environ=ON)
    # a new session asks again
    again = [*HELPED, asked(), {"event": "session_started"}, user("track_order"), user("goodbye")]
    assert satisfaction.should_ask(again, leaving=True, environ=ON)


def test_not_asked_without_help_inside_a_form_or_when_switched_off() -> None:
    only_greetings = [{"event": "session_started"}, user("greet"), user("thank")]
    assert not satisfaction.should_ask(only_greetings, leaving=False, environ=ON)
    assert not satisfaction.should_ask(
        [*HELPED, user("thank")], leaving=False, active_loop="order_access_form", environ=ON
    )
    assert not satisfaction.should_ask([*HELPED, user("goodbye")], leaving=True, environ={"SATISFACTION_SURVEY": "off"})
    assert satisfaction.survey_enabled({"SATISFACTION_SURVEY": "on"})
    assert satisfaction.survey_enabled({"SATISFACTION_SURVEY": "maybe"})  # a typo keeps it on (and logs)


def test_a_frustrated_shopper_is_asked_only_when_leaving() -> None:
    upset = [*HELPED, user("complaint", "this is useless", frustration=0.95), user("thank", "thanks", frustration=0.9)]
    assert not satisfaction.should_ask(upset, leaving=False, environ=ON)
    assert satisfaction.should_ask([*upset, user("goodbye", "bye", frustration=0.9)], leaving=True, environ=ON)


def test_asked_just_before_looks_only_at_the_last_bot_message_before_the_answer() -> None:
    assert satisfaction.asked_just_before([*HELPED, asked(), user("inform", "5")])
    later = [*HELPED, asked(), user("track_order"), {"event": "bot", "text": "which order?"}, user("inform", "5")]
    assert not satisfaction.asked_just_before(later)
    assert not satisfaction.asked_just_before([*HELPED, user("inform", "5")])
