"""The rating question on a call: its buttons read as "press a key", and one key press is the answer
(channels/voice/spoken.py keypad_choices, call.py on_dtmf); fake Rasa and engines, own logic only."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from channels.voice.spoken import keypad_choices, spoken_reply
from contracts import satisfaction
from tests.voice.test_call_flow import Harness


def test_digit_buttons_are_read_as_keys_to_press() -> None:
    question = satisfaction.question()
    assert keypad_choices(question)["4"] == '/rate{"satisfaction": 4}'
    assert spoken_reply(question).endswith("Press a key from 1 to 5, or say the number.")
    yes_no = {
        "text": "Shall I?",
        "buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
    }
    assert keypad_choices(yes_no) == {}


@pytest.fixture
async def phone() -> Any:
    harness = Harness()
    await harness.call.start()
    yield harness
    await harness.call.finish("test over")


async def test_one_key_after_the_question_sends_that_button_at_once(phone: Harness) -> None:
    phone.rasa.replies = [{"text": "Bye!"}, satisfaction.question()]
    phone.say("bye")
    await phone.settle()
    phone.rasa.replies = [{"text": "Thank you for your rating!"}]
    phone.call.on_dtmf("4")  # no '#' and no keypad pause needed
    await phone.settle()
    assert [(text, meta.get("input_mode")) for _, text, meta in phone.rasa.received] == [
        ("bye", None),
        ('/rate{"satisfaction": 4}', "dtmf"),
    ]
    # the next keys are an ordinary keypad entry again
    for digit in "104532#":
        phone.call.on_dtmf(digit)
    await phone.settle()
    assert phone.rasa.received[-1][1] == "104532"


async def test_a_spoken_turn_after_the_question_clears_the_keys(phone: Harness) -> None:
    phone.rasa.replies = [satisfaction.question()]
    phone.say("bye")
    await phone.settle()
    phone.rasa.replies = [{"text": "Order 104532 has shipped."}]
    phone.say("where is my order")
    await phone.settle()
    for digit in "2#":
        phone.call.on_dtmf(digit)
    await asyncio.sleep(0)
    await phone.settle()
    assert phone.rasa.received[-1][1] == "2"


async def test_the_hand_backs_question_from_the_desk_is_answered_by_one_key_too(phone: Harness) -> None:
    """After an agent hands back, the rating question comes through the agent relay, not a bot turn."""
    phone.call._speak_agent_messages([{"text": "I'm handing you back to the assistant."}, satisfaction.question()])
    phone.rasa.replies = [{"text": "Thank you for your rating!"}]
    phone.call.on_dtmf("5")
    await phone.settle()
    assert [(text, meta.get("input_mode")) for _, text, meta in phone.rasa.received] == [
        ('/rate{"satisfaction": 5}', "dtmf")
    ]
