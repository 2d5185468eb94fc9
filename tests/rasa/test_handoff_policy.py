"""HandoffPolicy: when it de-escalates, when it hands off, and that it stays out of the way otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    ConversationResumed,
    Event,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from nlu.handoff_policy import HandoffPolicy, turn_ending_actions

REPO = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(REPO / "bot" / "domain.yml"))


@pytest.fixture
def policy(tmp_path: Path) -> HandoffPolicy:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**HandoffPolicy.get_default_config()}
    return HandoffPolicy(
        config,
        storage,
        Resource("handoff"),
        context,
        turn_ending_actions=frozenset({"action_answer_policy", "action_product_info"}),
    )


def said(
    text: str,
    intent: str = "track_order",
    negative: float = 0.0,
    noise: bool = False,
    frustration: float | None = None,
) -> UserUttered:
    sentiment = {"label": "negative", "score": -negative, "probabilities": {"negative": negative}}
    parse_data: dict[str, Any] = {"sentiment": sentiment}
    if frustration is not None:  # as nlu/sentiment_annotator.py sets the tone model's verdict
        parse_data["frustration"] = {"score": frustration, "frustrated": frustration >= 0.5, "source": "model"}
    if noise:  # as nlu/noise_detector.py marks keyboard noise
        parse_data["noise"] = {"noise": True, "words": 1, "known_words": 0}
    return UserUttered(text, {"name": intent, "confidence": 0.9}, parse_data=parse_data)


def tracker(*events: Event) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("shopper", [ActionExecuted("action_listen"), *events], slots=DOMAIN.slots)


def predicted(policy: HandoffPolicy, conversation: DialogueStateTracker) -> str | None:
    prediction = policy.predict_action_probabilities(conversation, DOMAIN)
    if max(prediction.probabilities) == 0:
        return None
    return DOMAIN.action_names_or_texts[prediction.probabilities.index(1.0)]


ANGRY = "THIS IS RIDICULOUS, WHERE IS MY ORDER???"


def test_a_calm_conversation_is_left_to_the_rules(policy: HandoffPolicy) -> None:
    conversation = tracker(said("where is my order", negative=0.05))
    assert predicted(policy, conversation) is None
    conversation.update(ActionExecuted("action_answer_policy"))
    assert predicted(policy, conversation) is None


def test_an_angry_message_is_answered_first_then_deescalated(policy: HandoffPolicy) -> None:
    conversation = tracker(said(ANGRY, negative=0.95))
    assert predicted(policy, conversation) is None  # the rules answer first
    conversation.update(ActionExecuted("action_answer_policy"))
    assert predicted(policy, conversation) == "action_deescalate"
    conversation.update(ActionExecuted("action_deescalate"))
    assert predicted(policy, conversation) == "action_listen"


def test_still_angry_after_deescalation_hands_off_before_any_rule(policy: HandoffPolicy) -> None:
    conversation = tracker(
        said(ANGRY, negative=0.95),
        ActionExecuted("action_answer_policy"),
        ActionExecuted("action_deescalate"),
        ActionExecuted("action_listen"),
        said("this is useless, you are not helping at all!!", negative=0.9),
    )
    prediction = policy.predict_action_probabilities(conversation, DOMAIN)
    assert predicted(policy, conversation) == "action_handoff"
    assert prediction.is_no_user_prediction  # outranks a form's happy path
    conversation.update(ActionExecuted("action_handoff"))
    assert predicted(policy, conversation) == "action_listen"


def test_calmer_after_deescalation_is_not_handed_off(policy: HandoffPolicy) -> None:
    conversation = tracker(
        said(ANGRY, negative=0.95),
        ActionExecuted("action_answer_policy"),
        ActionExecuted("action_deescalate"),
        ActionExecuted("action_listen"),
        said("ok, thanks for checking", "thank", negative=0.0),
    )
    assert predicted(policy, conversation) is None


def test_no_deescalation_while_a_form_is_asking(policy: HandoffPolicy) -> None:
    conversation = tracker(said(ANGRY, negative=0.95), ActiveLoop("order_access_form"))
    conversation.update(ActionExecuted("action_answer_policy"))
    assert predicted(policy, conversation) is None


def test_three_lines_of_keyboard_noise_do_not_hand_off(policy: HandoffPolicy) -> None:
    events: list[Any] = []
    for text in ("asdkjh qwe", "blorp", "zzzz"):
        events += [
            said(text, "nlu_fallback", negative=0.98, noise=True),
            ActionExecuted("action_fallback_rephrase"),
            ActionExecuted("action_listen"),
        ]
    assert predicted(policy, tracker(*events[:-2])) != "action_handoff"


def test_three_messages_not_understood_hand_off(policy: HandoffPolicy) -> None:
    events: list[Any] = []
    for text in ("can I get it engraved", "is your warehouse open on sundays", "do you price match abroad"):
        events += [
            said(text, "nlu_fallback"),
            ActionExecuted("action_fallback_rephrase"),
            ActionExecuted("action_listen"),
        ]
    conversation = tracker(*events[:-2])
    assert predicted(policy, conversation) == "action_handoff"


def test_turn_ending_actions_are_learned_from_the_training_data() -> None:
    def story(*actions: str) -> DialogueStateTracker:
        return DialogueStateTracker.from_events("s", [ActionExecuted(name) for name in actions])

    learned = turn_ending_actions(
        [
            story("action_listen", "action_answer_policy", "action_listen"),
            story("action_listen", "action_answer_policy", "order_access_form"),  # a digression inside a form
            story("action_listen", "action_set_request", "order_access_form", "action_listen"),
        ],
        forms={"order_access_form"},
    )
    assert learned == {"action_answer_policy", "order_access_form"}


def test_the_first_message_after_a_hand_back_is_answered_normally(policy: HandoffPolicy) -> None:
    conversation = tracker(
        said(ANGRY, negative=0.95),
        ActionExecuted("action_handoff"),
        ConversationPaused(),
        ConversationResumed(),
        said("what payment methods do you take?", "check_payment_methods"),
    )
    assert predicted(policy, conversation) is None  # not "listen" because action_handoff came last


def test_a_polite_problem_report_is_not_deescalated_whatever_its_topic(policy: HandoffPolicy) -> None:
    report = said("I have an issue paying with card and I would like to report it", negative=0.95, frustration=0.02)
    conversation = tracker(report, ActionExecuted("action_answer_policy"))
    assert predicted(policy, conversation) is None


def test_an_upset_message_is_deescalated_even_below_the_threshold(policy: HandoffPolicy) -> None:
    conversation = tracker(
        said("Still waiting. Great service.", frustration=0.55), ActionExecuted("action_answer_policy")
    )
    assert predicted(policy, conversation) == "action_deescalate"


def test_two_upset_messages_in_an_order_form_reach_a_person(policy: HandoffPolicy) -> None:
    """Issue 12: the first was asked for its order number, the second got "Sorry, I didn't quite get that"."""
    conversation = tracker(
        said("my fucking package never arrived and nobody answers", frustration=0.99),
        ActionExecuted("action_set_request"),  # opens with the apology (actions/handoff.py)
        ActionExecuted("order_access_form"),
        ActiveLoop("order_access_form"),
        ActionExecuted("action_listen"),
        said("are you kidding me? useless", "nlu_fallback", frustration=0.97),
    )
    prediction = policy.predict_action_probabilities(conversation, DOMAIN)
    assert predicted(policy, conversation) == "action_handoff"
    assert prediction.is_no_user_prediction  # before the form's fallback


def test_a_calm_answer_in_the_form_after_the_apology_is_left_to_the_form(policy: HandoffPolicy) -> None:
    conversation = tracker(
        said("my fucking package never arrived and nobody answers", frustration=0.99),
        ActionExecuted("action_set_request"),
        ActionExecuted("order_access_form"),
        ActiveLoop("order_access_form"),
        ActionExecuted("action_listen"),
        said("it's 104532", "inform", frustration=0.03),
    )
    assert predicted(policy, conversation) is None
