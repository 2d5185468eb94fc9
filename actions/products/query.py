"""What a product-seeking message looks for: the message without the shopper's framing.

"do you have any cordless drills?", "I'm looking for a 7 Shakra Bracelet", "hi, got any Roadster
jeans under $40 please" each wrap a product phrase in words that only say *that* the shopper is
looking. Sent as they are, those words dilute the search (a lexical index ranks "have" and
"looking", the sentence vector drifts towards "a question") and keep a name from matching a title.
`shopper_query` is the one place that cuts them off; the search (`search_results.py`) and the
name resolution (`resolution.py`) both send what it leaves.

Only the edges are cut, repeatedly: greetings, requests ("can you show me", "I need", "do you sell",
"where can I find"), articles, and at the end courtesy ("please", "thanks"), "in stock" and
punctuation. Words inside the phrase stay, and so do price limits ("under $40": the service reads
them as filters), sizes and colours. Pure standard library, so the NLU tests (Rasa venv) measure the
very function the action server runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A value the NLU found nothing in ("AURELIA", "Biba") is taken for a brand or product name only when
# it is this short (actions/products/followup.py searches it).
MAX_BARE_PHRASE_WORDS = 5

_YOU = r"(?:you|u|ya|y'all|you guys|you all|your (?:shop|store|site))"
_LEADING_FRAMES = (
    r"(?:please|pls|plz|kindly)",
    # asking whether the shop has it
    rf"(?:do|does) {_YOU} (?:guys )?(?:happen to |still |even |by any chance )?"
    r"(?:have|has|sell|carry|stock|offer|got|make)(?: (?:got|in stock|for sale))?",
    rf"(?:have|has) {_YOU}(?: got)?",
    rf"{_YOU} (?:guys )?(?:have|got|sell|carry|stock)",
    r"(?:got|gotta|have got)",
    r"(?:is|are) there(?: any)?",
    r"any chance (?:you (?:have|sell|carry)|of)",
    # looking for it
    r"(?:i'm|im|i am|we're|we are|i|we)? ?(?:looking|lookin|lookin'|searching|hunting|shopping|browsing)"
    r"(?: around)?(?: for| to (?:buy|get|find))?",
    r"(?:i'm|im|i am) (?:after|interested in|in the market for|on the hunt for|trying to find)",
    r"(?:in the market for|on the hunt for)",
    # wanting it
    r"(?:i|we)? ?(?:need|want|wanna|require|would like|'d like|d like)(?: to (?:buy|get|find|see|order|purchase))?",
    r"(?:i'd|id|i would) (?:like|love)(?: to (?:buy|get|find|see|order|purchase))?",
    r"(?:can|could|may) (?:i|we) (?:get|see|buy|have|find|order|look at)",
    r"(?:where|how) (?:can|could|do) (?:i|we) (?:find|get|buy|order)",
    r"where (?:are|is)(?: your)?",
    # asking the assistant to look
    rf"(?:can|could|would|will) {_YOU}(?: please| pls| kindly)?",
    r"(?:i was |just )?wondering (?:if|whether)(?: you (?:have|sell|carry|stock|got))?",
    r"(?:show|find|get|give|fetch|bring|send|search|list|recommend|suggest)(?: me| us)?(?: for)?",
    r"(?:let me|lemme) (?:see|look at|have)",
    r"(?:search|look) (?:for|up)",
    r"help me find",
    r"to (?:buy|get|find|see|order|purchase)",
)
# A greeting is cut only before a comma or another frame: "Hello Kitty backpack" is a product.
_GREETING = re.compile(
    r"^(?:hi|hii+|hello|hey|hiya|yo|heya|good (?:morning|afternoon|evening)|ok|okay|so|well|um+|uh+|erm|excuse me)"
    r"(?: there| all| guys| team)?(?![\w'])[\s]*",
    re.IGNORECASE,
)
_ARTICLES = r"(?:the|a|an|some|any|your|ur)"
_SEEKING_ARTICLES = {"some", "any", "your", "ur"}  # "any hoodies?" asks whether there are any
_TRAILING_FRAMES = (
    r"(?:please|pls|plz|thanks|thank you|thx|ty|cheers|asap|by any chance|at all|or not)",
    r"(?:in stock|available|for sale|on sale here|here|right now|now|today|anywhere)",
    r"(?:on|in|at) (?:your|the) (?:site|website|shop|store|catalogue|catalog)",
    rf"(?:do|does) {_YOU} (?:have|sell|carry|stock)(?: (?:it|them|any|one))?",
    rf"{_YOU} (?:have|got|sell|carry)",
    r"(?:from|with) you",
)
_EDGE_PUNCTUATION = " \t\n,;:!?.-–—'\"“”‘’()"

_LEADING = re.compile(rf"^(?:{'|'.join(_LEADING_FRAMES)})(?![\w'])[\s,!.;:-]*", re.IGNORECASE)
_ARTICLE = re.compile(rf"^({_ARTICLES})(?:\s+|$)", re.IGNORECASE)
_TRAILING = re.compile(rf"[\s,;:-]*(?<![\w'])(?:{'|'.join(_TRAILING_FRAMES)})$", re.IGNORECASE)


@dataclass(frozen=True)
class ShopperQuery:
    """What the shopper looks for (`text`), and how it was said.

    `definite`: said with "the" ("do you have the trailblazer boots?"): a particular product, which
    the search answers by asking which one when several match. `framed`: words around the phrase were
    cut ("do you have", "please"); a bare phrase ("cordless drill") has none.
    """

    text: str
    definite: bool = False
    framed: bool = False


def shopper_query(message: str) -> ShopperQuery:
    """The product phrase of a product-seeking message (the message itself when nothing frames it)."""
    text = _trim(message)
    definite = framed = False
    while text:
        before = text
        text = _without_greeting(text)
        text, leading = _cut(_LEADING, text)
        article = _ARTICLE.match(text)
        if article:
            definite = article.group(1).lower() == "the"
            framed = framed or article.group(1).lower() in _SEEKING_ARTICLES
            text = _trim(text[article.end() :])
        text, trailing = _cut(_TRAILING, text)
        framed = framed or leading or trailing
        if text == before:
            break
    if not text:
        return ShopperQuery(_trim(message))
    return ShopperQuery(text, definite, framed)


def _without_greeting(text: str) -> str:
    greeting = _GREETING.match(text)
    if greeting is None:
        return text
    rest = text[greeting.end() :]
    return _trim(rest) if rest[:1] in {",", "!", ".", ";", "-"} or _LEADING.match(rest) else text


def _cut(frame: re.Pattern[str], text: str) -> tuple[str, bool]:
    cut = _trim(frame.sub("", text, count=1))
    return cut, cut != text


def _trim(text: str) -> str:
    return " ".join(text.split()).strip(_EDGE_PUNCTUATION)
