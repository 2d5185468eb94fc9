"""Frustration is tone, not topic (issue 12), end to end: real Rasa, sentiment service, action server
and desk.

Two profane complaints in a row used to get "What's the order number?" and then "Sorry, I didn't
quite get that". Now the first is acknowledged in the same reply while the order question is still
asked, and the second reaches a person. A polite problem report is answered without any apology
for frustration or offer of a person.
"""

from __future__ import annotations

from tests.e2e.conftest import Stack
from tests.e2e.conversation import Conversation, stored_tracker
from tests.e2e.test_handoff_conversations import DeskAgent, actions_run


def user_parse_data(stack: Stack, sender: str) -> list[dict]:
    return [e["parse_data"] for e in stored_tracker(stack, sender)["events"] if e["event"] == "user"]


def test_an_upset_shopper_is_acknowledged_at_once_and_reaches_a_person_on_the_second_upset_message(
    stack: Stack,
) -> None:
    shopper = Conversation(stack.rasa_url)
    first = shopper.say("my fucking package never arrived and nobody answers")
    apology, _, rest = first.partition("\n")
    assert "sorry your parcel hasn't arrived" in apology.lower()
    assert "What's the order number?" in rest  # the request is still served

    second = shopper.say("are you kidding me? useless")
    assert "didn't quite get that" not in second and "didn't catch that" not in second
    assert "colleague" in second
    assert "action_handoff" in actions_run(stack, shopper.sender)
    parsed = user_parse_data(stack, shopper.sender)
    assert [p["frustration"]["frustrated"] for p in parsed] == [True, True]
    assert {p["frustration"]["source"] for p in parsed} == {"model"}

    ticket = DeskAgent(stack).ticket_for(shopper.sender)
    assert ticket["reason"] == "frustration"


def test_a_polite_problem_report_is_not_treated_as_an_upset_shopper(stack: Stack) -> None:
    shopper = Conversation(stack.rasa_url)
    reply = shopper.say("I have an issue paying with card and I would like to report it")
    assert "colleague" not in reply and "frustrating" not in reply
    follow_up = shopper.say("ask an agent how I could reset my password, please")
    assert "frustrating" not in follow_up
    assert "action_deescalate" not in actions_run(stack, shopper.sender)
    parsed = user_parse_data(stack, shopper.sender)
    assert [p["frustration"]["frustrated"] for p in parsed] == [False, False]
    assert parsed[0]["sentiment"]["source"] == "model"  # the topic sentiment is still there beside it
