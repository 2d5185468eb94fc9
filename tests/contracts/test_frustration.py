"""The conversation-level frustration score (contracts/frustration.py), from tracker events as dicts."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.frustration import Weights, current_episode, profanity, should_acknowledge, shouting, swearing


def user(text: str, intent: str = "track_order", negative: float | None = None, ts: float = 0.0) -> dict[str, Any]:
    parse: dict[str, Any] = {"intent": {"name": intent, "confidence": 0.9}, "entities": []}
    if negative is not None:
        parse["sentiment"] = {
            "label": "negative" if negative > 0.5 else "neutral",
            "score": -negative,
            "probabilities": {"negative": negative, "neutral": 1 - negative, "positive": 0.0},
        }
    return {"event": "user", "text": text, "parse_data": parse, "timestamp": ts}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def test_calm_conversation_stays_calm() -> None:
    events = [user("hi", "greet", 0.05), action("utter_greet"), user("where is my order 123456", negative=0.1)]
    assert current_episode(events).frustration < 0.15


def test_one_furious_shouted_message_crosses_the_default_threshold() -> None:
    episode = current_episode([user("WHERE IS MY ORDER??? THIS IS RIDICULOUS", negative=0.95)])
    assert episode.frustration >= 0.6


def test_mildly_negative_messages_accumulate_and_calm_messages_decay() -> None:
    mild = [user("still nothing, this is annoying", negative=0.6, ts=i) for i in range(3)]
    scores = [current_episode(mild[: i + 1]).frustration for i in range(3)]
    assert scores[0] < scores[1] < scores[2]
    calmer = current_episode([*mild, user("ok thanks", "thank", negative=0.0)])
    assert calmer.frustration < scores[2]


def test_repeated_question_and_not_understood_count() -> None:
    repeated = current_episode([user("where is my parcel"), user("where is my parcel")])
    assert repeated.messages[-1].repeated == 1.0
    lost = current_episode([user("blorf", "nlu_fallback"), user("zzqx", "nlu_fallback"), user("grr", "nlu_fallback")])
    assert lost.consecutive_not_understood == 3
    assert lost.frustration > current_episode([user("blorf", "nlu_fallback")]).frustration


def test_episode_restarts_after_an_agent_hands_back() -> None:
    events = [user("THIS IS A SCAM!!!", negative=0.95), action("action_handoff"), {"event": "pause"}]
    assert current_episode(events).handed_off
    after = current_episode([*events, {"event": "resume"}, user("thanks, all sorted", "thank", negative=0.0)])
    assert not after.handed_off and after.frustration < 0.1 and len(after.messages) == 1


def test_deescalation_is_remembered_with_its_position() -> None:
    events = [user("useless bot", negative=0.9), action("action_answer_policy"), action("action_deescalate")]
    assert current_episode(events).deescalated_at == 1


def test_missing_or_malformed_sentiment_counts_as_neutral() -> None:
    event = user("where is my order")
    event["parse_data"]["sentiment"] = {"score": "not a number"}
    assert current_episode([event]).messages[0].negative == 0.0


@pytest.mark.parametrize(
    ("text", "expected"), [("WHY IS THIS SO SLOW", 1.0), ("Why is this so slow", 0.0), ("OK", 0.0)]
)
def test_shouting(text: str, expected: float) -> None:
    assert shouting(text) == expected


def test_profanity_and_weights_are_configurable() -> None:
    assert profanity("this is bullshit") == 1.0 and profanity("this is fine") == 0.0
    events = [user("this is bullshit", negative=0.0)]
    assert current_episode(events, Weights(profanity=0.0)).frustration == 0.0
    assert current_episode(events).frustration > 0.3


def test_a_request_to_stop_is_not_read_as_upset_but_its_words_still_count() -> None:
    never_mind = current_episode([user("never mind", "stop", negative=0.92)])
    assert never_mind.messages[0].negative == 0.0 and never_mind.frustration == 0.0
    useless = current_episode([user("never mind, this is useless!!", "stop", negative=0.99)])
    assert useless.frustration == pytest.approx(1 - (1 - 0.45) * (1 - 0.15))  # profanity and punctuation
    assert current_episode([user("never mind", "track_order", negative=0.92)]).frustration > 0.5


def noise(text: str) -> dict[str, Any]:
    """A message the NLU marked as keyboard noise (nlu/noise_detector.py)."""
    event = user(text, "nlu_fallback", negative=0.98)
    event["parse_data"]["noise"] = {"noise": True, "words": 2, "known_words": 0}
    return event


def test_keyboard_noise_neither_counts_as_not_understood_nor_breaks_a_run() -> None:
    mash = current_episode([noise("asdkjh qwe"), noise("blorp"), noise("zzzz")])
    assert mash.consecutive_not_understood == 0 and mash.frustration == 0.0
    real = [user("can I get it engraved", "nlu_fallback"), noise("asdkjh"), user("engraving?", "nlu_fallback")]
    assert current_episode(real).consecutive_not_understood == 2
    not_marked = user("asdkjh qwe", "nlu_fallback")
    not_marked["parse_data"]["noise"] = {"noise": False, "words": 2, "known_words": 1}
    assert current_episode([not_marked]).consecutive_not_understood == 1
    understood = user("quiero devolver mi pedido", "get_refund", negative=0.9)  # the encoder is multilingual
    understood["parse_data"]["noise"] = {"noise": True, "words": 4, "known_words": 0}
    assert current_episode([understood]).messages[0].negative == 0.9


def test_sentiment_of_a_message_that_was_not_understood_does_not_count() -> None:
    gibberish = current_episode([user("blorf snickety wub", "nlu_fallback", negative=0.98)])
    assert gibberish.messages[0].negative == 0.0
    assert gibberish.frustration == pytest.approx(0.35)  # only "not understood"


def toned(text: str, score: float, intent: str = "track_order", negative: float = 0.0) -> dict[str, Any]:
    """A message as the sentiment annotator leaves it: topic sentiment and the tone model's frustration."""
    event = user(text, intent, negative=negative)
    event["parse_data"]["frustration"] = {"score": score, "frustrated": score >= 0.5, "source": "model"}
    return event


def test_tone_not_topic_when_the_model_gave_a_frustration() -> None:
    polite = current_episode(
        [toned("I have an issue paying with card and I would like to report it", 0.02, negative=0.9)]
    )
    assert polite.frustration < 0.05  # the topic is negative, the tone is calm
    upset = current_episode([toned("are you kidding me? useless", 0.98, "nlu_fallback", negative=0.0)])
    assert upset.frustration >= 0.6  # understood or not, the tone counts
    assert upset.messages[0].frustrated


def test_the_model_tone_replaces_the_surface_cues_but_a_fallback_does_not() -> None:
    calm_caps = current_episode([toned("IS THE KETTLE IN STOCK", 0.1)])
    assert calm_caps.frustration == pytest.approx(0.9 * 0.1)  # shouting is not counted twice
    fallback = user("WHERE IS MY ORDER??? THIS IS RIDICULOUS", negative=0.0)
    fallback["parse_data"]["frustration"] = {"score": 0.0, "frustrated": False, "source": "fallback"}
    episode = current_episode([fallback])
    assert episode.messages[0].frustration is None and episode.frustration > 0.5  # cues still speak


def test_keyboard_noise_has_no_tone() -> None:
    event = toned("asdkjh qwe", 0.9, "nlu_fallback")
    event["parse_data"]["noise"] = {"noise": True, "words": 2, "known_words": 0}
    assert current_episode([event]).frustration == 0.0


def test_the_first_upset_order_question_is_acknowledged_once_and_that_counts_as_deescalation() -> None:
    first = [toned("my fucking package never arrived and nobody answers", 0.99)]
    assert should_acknowledge(current_episode(first))
    acknowledged = [*first, action("action_set_request"), action("order_access_form")]
    episode = current_episode(acknowledged)
    assert episode.deescalated_at == 1 and not should_acknowledge(episode)
    again = current_episode([*acknowledged, toned("where is my order then??", 0.9), action("action_set_request")])
    assert again.deescalated_at == 1  # the second upset message is for the policy, not another apology
    calm = current_episode([toned("where is my parcel?", 0.03), action("action_set_request")])
    assert calm.deescalated_at is None


@pytest.mark.parametrize(
    "text", ["where the f***ing hell is it", "my f…ing package", "goddamn website", "what a load of crap", "WTF"]
)
def test_swearing_spelled_out_or_starred(text: str) -> None:
    assert swearing(text) == 1.0


@pytest.mark.parametrize("text", ["hello there", "the shell of the case cracked", "class A", "scrap the order"])
def test_no_swearing_inside_other_words(text: str) -> None:
    assert swearing(text) == 0.0
