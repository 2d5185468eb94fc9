"""channels.handoff_relay.rating_question: the rating question that follows an agent's hand-back."""

from __future__ import annotations

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, Restarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.handoff_relay import rating_question
from contracts import satisfaction


def handed_off(*later: Event) -> DialogueStateTracker:
    events: list[Event] = [
        UserUttered("I want a person", intent={"name": "contact_human_agent", "confidence": 1.0}),
        ActionExecuted("action_handoff"),
        *later,
    ]
    return DialogueStateTracker.from_events("shopper", events)


@pytest.fixture(autouse=True)
def survey_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(satisfaction.SURVEY_VARIABLE, raising=False)


def test_the_question_follows_a_hand_back_as_if_the_ask_action_had_run() -> None:
    events = rating_question(handed_off())
    assert [type(e) for e in events] == [ActionExecuted, BotUttered, ActionExecuted]
    assert events[0].action_name == satisfaction.ASK_ACTION and events[2].action_name == ACTION_LISTEN_NAME
    question = events[1]
    assert isinstance(question, BotUttered) and satisfaction.is_rating_question(question.data)
    assert question.message()["buttons"][4]["payload"] == '/rate{"satisfaction": 5}'


def test_not_asked_twice_nor_when_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = BotUttered("how did I do?", data={"buttons": satisfaction.buttons()})
    assert rating_question(handed_off(asked)) == []
    assert rating_question(handed_off(asked, Restarted(), *handed_off().events)) != []  # a new conversation
    monkeypatch.setenv(satisfaction.SURVEY_VARIABLE, "off")
    assert rating_question(handed_off()) == []
