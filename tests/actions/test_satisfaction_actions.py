"""actions/satisfaction.py: asking for the rating and storing it (own logic; fake trackers)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.satisfaction import ActionAskSatisfaction, ActionRate
from contracts import satisfaction


def user(intent: str, text: str = "", entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    parse_data = {"intent": {"name": intent, "confidence": 0.9}, "entities": entities or [], "text": text}
    return {"event": "user", "text": text, "parse_data": parse_data}


QUESTION = {"event": "bot", "text": "how did I do?", "data": {"buttons": satisfaction.buttons()}}
HELPED = [{"event": "session_started"}, user("track_order", "where is my order"), {"event": "bot", "text": "shipped"}]


def tracker(events: list[dict[str, Any]], active_loop: str | None = None) -> Tracker:
    latest = events[-1]["parse_data"]
    return Tracker(
        sender_id="unit-test",
        slots={},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


async def run(action: Any, events: list[dict[str, Any]], **kwargs: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    result = await action.run(dispatcher, tracker(events, **kwargs), {})
    return dispatcher.messages, result


@pytest.fixture(autouse=True)
def survey_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SATISFACTION_SURVEY", raising=False)


async def test_a_goodbye_after_help_gets_the_question_once() -> None:
    messages, events = await run(ActionAskSatisfaction(), [*HELPED, user("goodbye", "bye")])
    assert events == [] and satisfaction.is_rating_question(messages[0])
    messages, _ = await run(ActionAskSatisfaction(), [*HELPED, QUESTION, user("goodbye", "bye")])
    assert messages == []


async def test_no_question_inside_a_form_or_when_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    messages, _ = await run(ActionAskSatisfaction(), [*HELPED, user("thank", "thanks")], active_loop="address_form")
    assert messages == []
    monkeypatch.setenv("SATISFACTION_SURVEY", "off")
    messages, _ = await run(ActionAskSatisfaction(), [*HELPED, user("goodbye", "bye")])
    assert messages == []


async def test_a_tapped_button_is_stored_and_thanked() -> None:
    tap = user("rate", '/rate{"satisfaction": 4}', [{"entity": "satisfaction", "value": 4}])
    messages, events = await run(ActionRate(), [*HELPED, QUESTION, tap])
    assert events == [{"event": "slot", "timestamp": None, "name": "satisfaction", "value": 4.0}]
    assert messages[0]["text"] == "Thank you for your rating!"


async def test_a_low_rating_offers_to_tell_a_person() -> None:
    messages, events = await run(ActionRate(), [*HELPED, QUESTION, user("inform", "1")])
    assert events[0]["value"] == 1.0
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/contact_human_agent"]


async def test_a_bare_answer_right_after_the_question_is_the_rating() -> None:
    for intent, text, rating in [("inform", "5", 5.0), ("affirm", "great", 5.0), ("nlu_fallback", "meh", 3.0)]:
        _, events = await run(ActionRate(), [*HELPED, QUESTION, user(intent, text)])
        assert events[0]["name"] == "satisfaction" and events[0]["value"] == rating


async def test_something_else_after_the_question_carries_on_as_usual() -> None:
    _, events = await run(ActionRate(), [*HELPED, QUESTION, user("affirm", "yes")])
    assert events == [{"event": "followup", "timestamp": None, "name": "action_handle_yes_no"}]
    _, events = await run(ActionRate(), [*HELPED, QUESTION, user("inform", "104532")])
    assert events == [{"event": "followup", "timestamp": None, "name": "action_handle_inform"}]


async def test_without_the_question_only_a_numbered_rating_counts() -> None:
    _, events = await run(ActionRate(), [*HELPED, user("rate", "I'd give you 4 stars")])
    assert events[0]["value"] == 4.0
    # a bare "2" nobody asked a rating for may pick the second product of a list
    _, events = await run(ActionRate(), [*HELPED, user("rate", "2")])
    assert events == [{"event": "followup", "timestamp": None, "name": "action_handle_inform"}]
    # words alone are a mood, not a rating: the buttons are offered, nothing is stored
    messages, events = await run(ActionRate(), [*HELPED, user("rate", "terrible")])
    assert events == [] and satisfaction.is_rating_question(messages[0])
