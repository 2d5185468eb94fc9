"""Rewrite a training example the way real shoppers vary a request, one language phenomenon at a time.

Our examples are written by us; shoppers ask the same things indirectly ("could you ask an agent how I
can get my invoice"), politely, with swear words, typos, other word forms and chat spelling. Each
function here takes one example and returns a variant with the same intent and entities, or None when
the phenomenon does not apply to it (for example, no verb phrase to wrap). The random generator is
passed in so that a training run is reproducible.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from random import Random

from nlu.variations import words
from nlu.variations.example import Example, Segment

Phenomenon = Callable[[Example, Random], Example | None]

# Intents whose requests ask for a person: frames that name a person would be ambiguous there.
PERSON_INTENTS = frozenset({"contact_human_agent", "contact_customer_service"})

_OPENINGS = sorted(words.REQUEST_OPENINGS, key=len, reverse=True)
_TAIL = re.compile(r"(?:[\s,]*(?:please|pls|plz|thanks|thank you)?[\s.?!]*)$", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
_TYPO_WORD = re.compile(r"[A-Za-z]{4,}")
_QUESTION_START = ("could", "can", "do", "would", "is", "will")


def request_core(example: Example) -> Example | None:
    """The verb phrase of a request ("I'd like to cancel my order please" -> "cancel my order")."""
    if not example.segments or example.segments[0].entity is not None:
        return None
    first = example.segments[0].text
    lowered = first.lower()
    start = len(lowered) - len(lowered.lstrip())
    for opening in _OPENINGS:
        if lowered.startswith(opening + " ", start):
            start += len(opening) + 1
            break
    verb = _WORD.match(lowered, start)
    if verb is None or verb.group(0) not in words.REQUEST_VERBS:
        return None
    core = example.strip_prefix(start)
    if core is None:
        return None
    return _without_tail(_lower_first(core))


def _lower_first(example: Example) -> Example:
    head = example.segments[0]
    if head.entity is not None:
        return example
    return replace(example, segments=(Segment(head.text[:1].lower() + head.text[1:]), *example.segments[1:]))


def _without_tail(example: Example) -> Example | None:
    """Drop closing punctuation and a trailing "please" so a frame can follow."""
    last = example.segments[-1]
    if last.entity is not None:
        return example
    trimmed = _TAIL.sub("", last.text)
    segments = example.segments[:-1] + ((Segment(trimmed),) if trimmed else ())
    return replace(example, segments=segments) if segments else None


def _in_frame(core: Example, frame: str, rng: Random) -> Example:
    before, after = frame.split("{core}")
    if not after and before.split(" ", 1)[0].lower() in _QUESTION_START and rng.random() < 0.6:
        after = "?"
    return core.wrapped(before, after)


def _question(example: Example) -> Example | None:
    """A question as it would follow "can you tell me": lower-cased first word, no question mark."""
    first = example.segments[0] if example.segments else None
    if first is None or first.entity is not None:
        return None
    word = _WORD.match(first.text.lstrip().lower())
    if word is None or word.group(0) not in words.QUESTION_WORDS:
        return None
    return _without_tail(_lower_first(example))


def indirect(example: Example, rng: Random) -> Example | None:
    """The request said about itself: "could you ask an agent how I can <core>", "tell me if I could <core>"."""
    core = request_core(example)
    if core is None:
        question = _question(example)
        frames = words.QUESTION_FRAMES
        if example.intent in PERSON_INTENTS:
            frames = tuple(f for f in frames if "agent" not in f)
        return _in_frame(question, rng.choice(frames), rng) if question is not None else None
    frames = words.INDIRECT_FRAMES_NO_PERSON if example.intent in PERSON_INTENTS else words.INDIRECT_FRAMES
    return _in_frame(core, rng.choice(frames), rng)


def polite(example: Example, rng: Random) -> Example | None:
    """Courtesy around the request: "could you please <core>", "<example>, thank you"."""
    core = request_core(example)
    if core is not None and rng.random() < 0.6:
        return _in_frame(core, rng.choice(words.POLITE_FRAMES), rng)
    trimmed = _without_tail(example)
    if trimmed is None:
        return None
    if rng.random() < 0.5:
        return _lower_first(trimmed).wrapped(rng.choice(words.POLITE_PREFIXES))
    return trimmed.wrapped("", rng.choice(words.POLITE_SUFFIXES))


def offensive(example: Example, rng: Random) -> Example | None:
    """A swear word before a shop noun ("my fucking parcel"), or an angry interjection around the request."""
    adjective = rng.choice(words.OFFENSIVE_ADJECTIVES)
    inserted = False

    def swear_before_noun(text: str) -> str:
        nonlocal inserted

        def insert(match: re.Match[str]) -> str:
            nonlocal inserted
            if inserted or match.group(0).lower() not in words.SHOP_NOUNS:
                return match.group(0)
            inserted = True
            return f"{adjective} {match.group(0)}"

        return _WORD.sub(insert, text)

    if rng.random() < 0.6:
        varied = example.map_free_text(swear_before_noun)
        if inserted:
            return varied
    if rng.random() < 0.5:
        return _lower_first(example).wrapped(rng.choice(words.OFFENSIVE_INTERJECTIONS))
    trimmed = _without_tail(example)
    return trimmed.wrapped("", rng.choice(words.OFFENSIVE_TAILS)) if trimmed else None


def _typo(word: str, rng: Random) -> str:
    i = rng.randrange(1, len(word) - 1)  # keep the first letter, as most typos do
    kind = rng.choice(("swap", "drop", "double", "neighbour"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    neighbours = words.KEYBOARD_NEIGHBOURS.get(word[i].lower())
    return word[:i] + rng.choice(neighbours) + word[i + 1 :] if neighbours else word[:i] + word[i + 1 :]


def typos(example: Example, rng: Random) -> Example | None:
    """One or two misspelt words (swapped, dropped, doubled or neighbouring keys), never inside an entity."""
    candidates = [
        (index, match.start(), match.end())
        for index, segment in enumerate(example.segments)
        if segment.entity is None
        for match in _TYPO_WORD.finditer(segment.text)
    ]
    if not candidates:
        return None
    chosen = sorted(rng.sample(candidates, k=min(len(candidates), rng.choice((1, 1, 2)))), reverse=True)
    segments = list(example.segments)
    for index, start, end in chosen:  # from the right, so earlier offsets stay valid
        text = segments[index].text
        segments[index] = Segment(text[:start] + _typo(text[start:end], rng) + text[end:])
    return replace(example, segments=tuple(segments))


def gerund(verb: str) -> str:
    """The -ing form by English spelling rules, with the irregular doubling in words.GERUNDS."""
    if verb in words.GERUNDS:
        return words.GERUNDS[verb]
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")):
        return verb[:-1] + "ing"
    return verb + "ing"


def inflection(example: Example, rng: Random) -> Example | None:
    """Other word forms: the request as a noun phrase ("help with cancelling my order") or a noun's number."""
    core = request_core(example)
    if core is not None and rng.random() < 0.6:
        head = core.segments[0]
        verb, _, rest = head.text.partition(" ")
        if head.entity is None and rest:
            said = replace(core, segments=(Segment(f"{gerund(verb)} {rest}"), *core.segments[1:]))
            return _in_frame(said, rng.choice(words.GERUND_FRAMES), rng)
    swapped = False
    singular_of = {plural: singular for singular, plural in words.NOUN_PLURALS.items()}

    def other_number(match: re.Match[str]) -> str:
        nonlocal swapped
        word = match.group(0)
        other = words.NOUN_PLURALS.get(word) or singular_of.get(word)
        if swapped or other is None:
            return word
        swapped = True
        return other

    varied = example.map_free_text(lambda text: _WORD.sub(other_number, text))
    return varied if swapped else None


def colloquial(example: Example, rng: Random) -> Example | None:
    """Chat spelling: lower case, "u"/"pls"/"wanna", no final punctuation, a casual opening or tail."""

    def casual(text: str) -> str:
        text = text.lower()
        for formal, forms in words.COLLOQUIAL_WORDS.items():
            if rng.random() < 0.7:
                text = re.sub(rf"\b{re.escape(formal)}\b", rng.choice(forms), text)
        return text.replace("'", "") if rng.random() < 0.5 else text

    varied = _without_tail(example.map_free_text(casual))
    if varied is None:
        return None
    choice = rng.random()
    if choice < 0.3:
        varied = varied.wrapped(rng.choice(words.COLLOQUIAL_OPENINGS))
    elif choice < 0.6:
        varied = varied.wrapped("", rng.choice(words.COLLOQUIAL_TAILS))
    return varied if varied.text != example.text else None


PHENOMENA: dict[str, Phenomenon] = {
    "indirect": indirect,
    "polite": polite,
    "offensive": offensive,
    "typos": typos,
    "inflection": inflection,
    "colloquial": colloquial,
}
