"""How frustrated the shopper is in this conversation, from the events Rasa keeps.

Pure standard library on purpose: the Rasa process (handoff policy, nlu/handoff_policy.py) and the
action server (ticket priority, sentiment history, actions/handoff.py) both compute the same score
from the same tracker events, as dicts (`event.as_dict()` in Rasa, `tracker.events` in rasa-sdk).

Every user message gets signals in [0, 1]: its tone, a message the assistant did not understand,
and asking the same thing again. The tone is the sentiment service's `frustration` score (tone, not
topic: a polite problem report is calm, swearing, insults, shouting and sarcasm are not; the
annotator puts it in parse_data, docs/sentiment.md). When the service gave none (it did not answer
in time, or an older event), the tone comes from what the message shows itself: negative sentiment,
shouting (all caps), piled-up punctuation and profanity. They combine as a noisy-or into a message
score; the conversation score accumulates message scores and decays over calm messages:

    message  m = 1 - prod(1 - weight_k * signal_k)
    episode  F = 1 - (1 - decay * F_previous) * (1 - m)

An episode starts at session start, restart, or when an agent hands the conversation back, so a
handed-back conversation is not handed off again for what was already handled.

The first upset message of an episode is acknowledged by the action that opens an order question
(ACKNOWLEDGING_ACTIONS; the order form then asks its question, so the policy cannot apologise after
the answer): the action server and the policy both replay that from the events (`should_acknowledge`),
and it counts as the de-escalation, so the next upset message reaches a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

Event = Mapping[str, Any]

# Intents that say nothing about being stuck when repeated ("yes", "no", an order number...).
NEUTRAL_INTENTS = frozenset(
    {"affirm", "deny", "inform", "greet", "goodbye", "thank", "stop", "chitchat", "bot_challenge", "apply_coupon"}
)
NOT_HELPED_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
# A request to stop ("never mind", "cancel that", "stop") reads as negative to the sentiment model
# (0.92 for "never mind") but says nothing about the shopper's mood: its sentiment does not count.
# Its profanity, shouting and punctuation still do ("never mind, this is useless!!").
COMMAND_INTENTS = frozenset({"stop"})
# The parse data key nlu/noise_detector.py sets: {"noise": bool, ...}. Keyboard noise ("asdkjh qwe")
# is not a request the assistant failed: it neither counts toward nor breaks a run of messages not understood.
NOISE_KEY = "noise"
EXPLICIT_REQUEST_INTENT = "contact_human_agent"
# Events after which an earlier frustration no longer counts.
EPISODE_STARTS = frozenset({"session_started", "restart", "resume"})
# Swear words, spelled out or starred ("f***ing", "f…ing"): offensive whatever the message is about,
# so the sentiment service counts them as frustration on their own (sentiment/frustration.py).
SWEARING = re.compile(
    r"(?<!\w)(fuck\w*|f[*…]+\w*|shit\w*|sh[*]+t\w*|crap\w*|goddamn\w*|damn\w*|bullshit|wtf|ffs|bloody|hell|"
    r"bastard\w*|asshole\w*|arsehole\w*|piss\w*)(?!\w)",
    re.IGNORECASE,
)
# Insults: upset in context, but "useless" or "joke" also come up calmly; the tone model weighs them.
INSULTS = re.compile(r"\b(idiot\w*|stupid|useless|pathetic|scam\w*|rip-?off|ridiculous|joke)\b", re.IGNORECASE)
# Frustration the sentiment service gives the message itself (parse_data["frustration"]).
FRUSTRATION_KEY = "frustration"
# Actions that open with an acknowledgement when the message they answer is the first upset one.
ACKNOWLEDGING_ACTIONS = frozenset({"action_set_request"})
PILED_PUNCTUATION = re.compile(r"[!?]{2,}")


@dataclass(frozen=True)
class Weights:
    """How much each signal counts; operators tune them in config.yml (HandoffPolicy)."""

    frustration: float = 0.9  # the tone model's score; when there is one, the next four do not count
    negative_sentiment: float = 0.65
    shouting: float = 0.25
    punctuation: float = 0.15
    profanity: float = 0.45
    not_understood: float = 0.35
    repeated: float = 0.35
    decay: float = 0.7


@dataclass(frozen=True)
class MessageSignals:
    text: str
    intent: str
    negative: float
    sentiment_label: str
    sentiment_score: float
    shouting: float
    punctuation: float
    profanity: float
    not_understood: float
    repeated: float
    timestamp: float | None = None
    noise: bool = False
    frustration: float | None = None  # the tone model's score; None when the service gave none
    frustrated: bool = False  # the tone model's verdict

    def tone(self, weights: Weights) -> list[tuple[float, float]]:
        """The tone model's score when there is one (it has seen the words, caps and marks), else
        the surface cues and topic negativity."""
        if self.frustration is not None:
            return [(weights.frustration, self.frustration)]
        return [
            (weights.negative_sentiment, self.negative),
            (weights.shouting, self.shouting),
            (weights.punctuation, self.punctuation),
            (weights.profanity, self.profanity),
        ]

    def score(self, weights: Weights) -> float:
        calm = 1.0
        for weight, signal in (
            *self.tone(weights),
            (weights.not_understood, self.not_understood),
            (weights.repeated, self.repeated),
        ):
            calm *= 1.0 - min(1.0, max(0.0, weight * signal))
        return 1.0 - calm


@dataclass
class Episode:
    """The user messages and the handoff-related actions since the episode started."""

    messages: list[MessageSignals] = field(default_factory=list)
    message_scores: list[float] = field(default_factory=list)
    frustration_history: list[float] = field(default_factory=list)
    deescalated_at: int | None = None  # number of messages seen when the bot de-escalated
    handed_off: bool = False
    consecutive_not_understood: int = 0

    @property
    def frustration(self) -> float:
        return self.frustration_history[-1] if self.frustration_history else 0.0

    @property
    def latest_message_score(self) -> float:
        return self.message_scores[-1] if self.message_scores else 0.0

    @property
    def explicit_request(self) -> bool:
        return bool(self.messages) and self.messages[-1].intent == EXPLICIT_REQUEST_INTENT


def shouting(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 8:
        return 0.0
    upper = sum(1 for ch in letters if ch.isupper()) / len(letters)
    return 1.0 if upper >= 0.7 else 0.0


def piled_punctuation(text: str) -> float:
    return 1.0 if PILED_PUNCTUATION.search(text) else 0.0


def swearing(text: str) -> float:
    return 1.0 if SWEARING.search(text) else 0.0


def profanity(text: str) -> float:
    return 1.0 if SWEARING.search(text) or INSULTS.search(text) else 0.0


def frustration_of(parse_data: Mapping[str, Any]) -> tuple[float | None, bool]:
    """(the tone model's frustration score, its verdict); (None, False) when the sentiment service
    gave none (its fallback, or an event from before it did)."""
    verdict = parse_data.get(FRUSTRATION_KEY)
    if not isinstance(verdict, Mapping) or verdict.get("source") != "model":
        return None, False
    return _clamp(_number(verdict.get("score"), 0.0)), verdict.get("frustrated") is True


def sentiment_of(parse_data: Mapping[str, Any]) -> tuple[float, str, float]:
    """(probability the message is negative, label, score in [-1, 1]); neutral when unknown."""
    sentiment = parse_data.get("sentiment")
    if not isinstance(sentiment, Mapping):
        return 0.0, "neutral", 0.0
    label = str(sentiment.get("label") or "neutral")
    score = _number(sentiment.get("score"), 0.0)
    probabilities = sentiment.get("probabilities")
    if isinstance(probabilities, Mapping) and "negative" in probabilities:
        return _clamp(_number(probabilities["negative"], 0.0)), label, score
    return _clamp(-score), label, score


def is_repeat(text: str, intent: str, earlier: Sequence[MessageSignals]) -> bool:
    """The same request as one of the last two messages: the assistant did not settle it."""
    for previous in earlier[-2:]:
        if intent and intent == previous.intent and intent not in NEUTRAL_INTENTS | NOT_HELPED_INTENTS:
            return True
        if len(text) >= 12 and SequenceMatcher(None, text.lower(), previous.text.lower()).ratio() >= 0.85:
            return True
    return False


def message_signals(event: Event, earlier: Sequence[MessageSignals]) -> MessageSignals:
    parse_data = event.get("parse_data") or {}
    text = str(event.get("text") or "")
    intent = str((parse_data.get("intent") or {}).get("name") or "")
    negative, label, score = sentiment_of(parse_data)
    noise = intent in NOT_HELPED_INTENTS and is_noise(parse_data)  # a message the NLU understood is never noise
    not_understood = intent in NOT_HELPED_INTENTS and not noise
    if not_understood or noise or intent in COMMAND_INTENTS:
        # The sentiment model is guesswork on text the NLU could not make sense of (gibberish and
        # heavy typos scored 0.98 negative): such a message counts as "not understood", and its
        # shouting, punctuation and profanity still count. Commands: see COMMAND_INTENTS.
        negative = 0.0
    # The tone model counts on messages the NLU did not understand ("are you kidding me? useless" is
    # the upset shopper this is for): it was trained on gibberish, typos and commands as calm. Text
    # the noise detector marked has no tone at all.
    frustration, frustrated = frustration_of(parse_data)
    if noise and frustration is not None:
        frustration, frustrated = 0.0, False
    return MessageSignals(
        text=text,
        intent=intent,
        negative=negative,
        sentiment_label=label,
        sentiment_score=score,
        shouting=shouting(text),
        punctuation=piled_punctuation(text),
        profanity=profanity(text),
        not_understood=1.0 if not_understood else 0.0,
        repeated=1.0 if is_repeat(text, intent, earlier) else 0.0,
        timestamp=event.get("timestamp"),
        noise=noise,
        frustration=frustration,
        frustrated=frustrated,
    )


def should_acknowledge(episode: Episode) -> bool:
    """The latest message is upset (the tone model says so) and nothing in this episode apologised yet."""
    return bool(episode.messages) and episode.messages[-1].frustrated and episode.deescalated_at is None


def is_noise(parse_data: Mapping[str, Any]) -> bool:
    verdict = parse_data.get(NOISE_KEY)
    return isinstance(verdict, Mapping) and verdict.get("noise") is True


def current_episode(
    events: Iterable[Event],
    weights: Weights = Weights(),
    deescalate_action: str = "action_deescalate",
    handoff_action: str = "action_handoff",
) -> Episode:
    """Replays the events since the last episode start."""
    episode = Episode()
    for event in events:
        kind = event.get("event")
        if kind in EPISODE_STARTS:
            episode = Episode()
        elif kind == "user":
            signals = message_signals(event, episode.messages)
            episode.messages.append(signals)
            score = signals.score(weights)
            episode.message_scores.append(score)
            episode.frustration_history.append(1.0 - (1.0 - weights.decay * episode.frustration) * (1.0 - score))
            if signals.not_understood:
                episode.consecutive_not_understood += 1
            elif not signals.noise:
                episode.consecutive_not_understood = 0
        elif kind == "action" and (
            event.get("name") == deescalate_action
            or (event.get("name") in ACKNOWLEDGING_ACTIONS and should_acknowledge(episode))
        ):
            episode.deescalated_at = len(episode.messages)
        elif kind == "action" and event.get("name") == handoff_action:
            episode.handed_off = True
    return episode


def _number(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))
