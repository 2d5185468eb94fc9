"""The end-of-conversation rating (1-5): when to ask, the question, and reading an answer.

Shared by both venvs because three processes take part: the action server asks after a goodbye or a
thank-you and stores the answer (actions/satisfaction.py), the hand-off relay asks when an agent hands
the conversation back (channels/handoff_relay.py), and the voice gateway turns a key press after the
question into the tapped button (channels/voice). Standard library only; events are Rasa's event
dicts (``event.as_dict()`` in Rasa, ``tracker.events`` in rasa-sdk).

The question is a bot message with five buttons whose payloads are ``/rate{"satisfaction": n}``; that
message is also how every side recognises, from the events alone, that the question was asked (no
extra slot, so nothing else in the dialogue changes). The answer is stored in the float slot
``satisfaction``, the one the analytics warehouse reads (analytics/warehouse.py).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from contracts.frustration import current_episode
from contracts.texts import texts

logger = logging.getLogger(__name__)

Event = Mapping[str, Any]

SLOT = "satisfaction"
INTENT = "rate"
ASK_ACTION = "action_ask_satisfaction"
SURVEY_VARIABLE = "SATISFACTION_SURVEY"
LOWEST, HIGHEST = 1, 5
LOW_RATING = 2  # a rating at or below this offers to tell a person what went wrong
FRUSTRATED = 0.5  # the frustration score (contracts/frustration.py) the analytics count as upset
PAYLOAD_PREFIX = f"/{INTENT}"
SESSION_STARTS = frozenset({"session_started", "restart"})  # a restarted conversation is a new one

# Messages that are not a request the assistant helped with: a session made only of these was not
# "helped", so a "thanks" or "bye" in it is not asked for a rating.
NOT_A_REQUEST = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "stop", "chitchat", "bot_challenge", INTENT})

_OFF = frozenset({"off", "false", "0", "no"})
_ON = frozenset({"on", "true", "1", "yes", ""})

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
# Words that say the rating without a number. Only whole-word matches count, and a negation before any
# of them ("not bad", "not great") makes the answer ambiguous: no rating is read from it.
_RATING_WORDS = {
    5: ("excellent", "perfect", "amazing", "awesome", "fantastic", "brilliant", "great", "superb", "outstanding"),
    4: ("good", "helpful", "nice"),
    3: ("ok", "okay", "fine", "average", "alright", "so-so", "meh"),
    2: ("bad", "poor", "unhelpful", "disappointing"),
    1: ("terrible", "awful", "horrible", "useless", "worst", "dreadful", "rubbish"),
}
_WORD_RATING = {word: rating for rating, words in _RATING_WORDS.items() for word in words}
_SCALE = re.compile(r"\s*(?:/|out of|of)\s*(?:5|five)\b")  # "4/5", "4 out of 5": the 5 is the scale, not a rating
_OTHER_SCALE = re.compile(r"(?:/|out of)\s*(?:[0-46-9]|\d\d+|ten|hundred)\b")  # "8/10": another scale, not read
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)?")
_NEGATION = re.compile(r"\b(?:not|never|no)\b|n't\b")
MAX_WORDS_WITH_NUMBER_WORD = 3  # longer: "one", "two" are more likely "that one", "those two"
MAX_WORDS_WITHOUT_NUMBER = 6  # a longer message is feedback or a new question, not a one-word rating


def survey_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """``SATISFACTION_SURVEY`` (on by default): ``off`` stops every side asking. An unknown value
    keeps it on and says so in the log, so a typo never silences the survey unnoticed."""
    value = (os.environ if environ is None else environ).get(SURVEY_VARIABLE, "").strip().lower()
    if value in _OFF:
        return False
    if value not in _ON:
        logger.warning("%s=%r is not on or off: the rating is asked", SURVEY_VARIABLE, value)
    return True


def payload(rating: int) -> str:
    """The button payload of one rating: Rasa reads it as the intent ``rate`` with the entity."""
    return f"{PAYLOAD_PREFIX}{json.dumps({SLOT: rating})}"


def buttons() -> list[dict[str, str]]:
    """The five one-tap choices, titled with their digit so a caller can press the same key."""
    return [{"title": str(n), "payload": payload(n)} for n in range(LOWEST, HIGHEST + 1)]


def question() -> dict[str, Any]:
    """The rating question as a bot message (text and buttons) in the shop's language."""
    return {"text": texts().text("satisfaction.question"), "buttons": buttons()}


def is_rating_question(message: Mapping[str, Any]) -> bool:
    """A bot message (or a bot event's ``data``) carrying the rating buttons."""
    found = message.get("buttons")
    if not isinstance(found, list):
        return False
    return any(isinstance(b, Mapping) and str(b.get("payload", "")).startswith(PAYLOAD_PREFIX + "{") for b in found)


def session_events(events: Iterable[Event]) -> list[Event]:
    """The events since the latest session start: the survey is once per session."""
    session: list[Event] = []
    for event in events:
        if event.get("event") in SESSION_STARTS:
            session = []
        else:
            session.append(event)
    return session


def _bot_asked(event: Event) -> bool:
    data = event.get("data")
    return event.get("event") == "bot" and isinstance(data, Mapping) and is_rating_question(data)


def asked_in_session(events: Iterable[Event]) -> bool:
    return any(_bot_asked(event) for event in session_events(events))


def asked_just_before(events: Sequence[Event]) -> bool:
    """The question is the last bot message before the latest user message (the one being answered)."""
    seen_user = False
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return False
            seen_user = True
        elif kind == "bot" and seen_user:
            return _bot_asked(event)
        elif kind in SESSION_STARTS and seen_user:
            return False
    return False


def was_helped(events: Iterable[Event]) -> bool:
    """The session holds at least one request beyond greetings, thanks and yes/no."""
    for event in session_events(events):
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if intent.get("name") and intent.get("name") not in NOT_A_REQUEST:
            return True
    return False


def should_ask(
    events: Sequence[Event], *, leaving: bool, active_loop: str | None = None, environ: Mapping[str, str] | None = None
) -> bool:
    """Whether to ask for a rating now.

    Never when the survey is off, when it was asked already this session, inside a form (the shopper
    is in the middle of something), or when nothing was asked of the assistant. A frustrated shopper
    is asked only when leaving (a goodbye, or an agent handed the conversation back): a "thanks" from
    an upset shopper is usually mid-complaint, but the rating of one who leaves upset is the one the
    shop most needs; leaving them out would make the mean look better than it is."""
    if not survey_enabled(environ) or active_loop or asked_in_session(events) or not was_helped(events):
        return False
    return leaving or current_episode(session_events(events)).frustration < FRUSTRATED


def _valid(value: float) -> float | None:
    return float(value) if LOWEST <= value <= HIGHEST else None


def rating_from_entity(value: Any) -> float | None:
    """The ``satisfaction`` entity of a tapped button (a number), or a typed one the NLU tagged."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _valid(float(value))
    if isinstance(value, str):
        return parse_rating(value)
    return None


def names_a_number(text: str) -> bool:
    """The message names its rating with a number ("4 stars", "I'd give you four"), not only words."""
    lowered = text.lower()
    return bool(_NUMBER.search(lowered)) or any(w in _NUMBER_WORDS for w in _WORD.findall(lowered))


def parse_rating(text: str) -> float | None:
    """A rating read from what the shopper typed or said, or None when it is not unambiguous.

    "5", "4 stars", "4/5", "four out of five", "it was great" (5), "pretty good" (4). One number decides
    (digits, or a number word in a message of at most three words besides the scale); without one, the
    rating words above, all pointing at the same rating, none negated, in a short message. "8/10",
    "3 or 4", "not bad" and anything else give None."""
    lowered = text.lower().replace("’", "'")
    if _OTHER_SCALE.search(lowered):
        return None
    unscaled = _SCALE.sub(" ", lowered)
    numbers = {float(n.replace(",", ".")) for n in _NUMBER.findall(unscaled)}
    words = _WORD.findall(unscaled)
    if len(words) <= MAX_WORDS_WITH_NUMBER_WORD:  # "four", "four stars"; not "the one in blue"
        numbers |= {float(_NUMBER_WORDS[w]) for w in words if w in _NUMBER_WORDS}
    if numbers:
        return _valid(numbers.pop()) if len(numbers) == 1 else None
    if _NEGATION.search(lowered):
        return None
    if len(words) > MAX_WORDS_WITHOUT_NUMBER:
        return None
    ratings = {_WORD_RATING[w] for w in words if w in _WORD_RATING}
    return float(ratings.pop()) if len(ratings) == 1 else None
