"""Chat replies rewritten for the ear: what a text-to-speech engine should say on a phone call.

Pure functions (no models, no I/O) so the rules are unit-tested. Why each rule exists:

- Order numbers, ZIP codes, tracking and phone numbers are read digit by digit ("one zero four…"):
  a caller copies them down or checks them; "one hundred four thousand…" is useless.
- Prices are read as "58 dollars 65", not "dollar fifty-eight point six five".
- Links cannot be read out usefully: they are dropped and the sentence says where to find them.
  Emoji and markdown (``**bold**``, bullets) are not spoken at all.
- Buttons become "You can say Yes or No." because the caller cannot see them. Buttons titled with one
  digit each (the rating question's 1-5) become "Press a key from 1 to 5, or say the number.": the
  caller's key press is that button (``keypad_choices``, used by call.py).

The words put in for digits, amounts, links and symbols, and the sentences the gateway adds, are the
``voice.reading`` messages of the catalogue (bot/texts/<language>.yml, contracts/texts.py). What the
caller says is still matched with English words here (yes/no, "oh" for zero, the digits' words come from
the catalogue).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from contracts.texts import Catalogue, texts

# Currency symbols and codes read aloud, by the catalogue's name for the currency (voice.reading.currency.*).
CURRENCY_SYMBOLS = {"$": "usd", "€": "eur", "£": "gbp"}
CURRENCY_CODES = {"USD": "$", "EUR": "€", "GBP": "£"}
MIN_SPELLED_DIGITS = 5  # order numbers (6 digits) and ZIP codes (5); years and quantities stay numbers
MAX_SENTENCE_CHARS = 220  # longer sentences are split at a comma or semicolon (first audio sooner)

URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
EMAIL = re.compile(r"\b([A-Za-z0-9._%+-]+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")
PRICE = re.compile(r"(?P<sym>[$€£])\s?(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d{2}))?(?!\d)")
CODE_PRICE = re.compile(r"(?<![\w.])(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d{2}))?\s?(?P<code>USD|EUR|GBP)\b")
PHONE = re.compile(r"(?<![\w+])(?:\+\d[\d ().-]{5,}\d|\(\d{3}\) ?\d{3}-\d{4}|\d{3}-\d{3}-\d{4})(?![\w])")
LONG_NUMBER = re.compile(rf"(?<![\w.,])#?(\d{{{MIN_SPELLED_DIGITS},}})(?![\w]|[.,]\d)")
CODE = re.compile(r"\b(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]+(?:-[A-Z0-9]+)*\b")
MARKDOWN = re.compile(r"(\*\*|__|`+|~~)")
BULLET = re.compile(r"^\s*(?:[-*•]|#{1,6})\s+", re.MULTILINE)
NUMBERED = re.compile(r"^\s*(\d{1,2})[.)]\s+", re.MULTILINE)
LEFT_OVER_LINK = re.compile(r"\s*(?:here|at|on|via)?\s*:?\s*(?=[.!?]|$)")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(]?[A-Z0-9])")
SPACES = re.compile(r"[ \t]+")


def _reading(key: str, catalogue: Catalogue | None = None, /, **values: Any) -> str:
    return (catalogue or texts()).text(f"voice.reading.{key}", **values)


def _digit_word(digit: str, catalogue: Catalogue) -> str:
    return _reading(f"digits.{digit}", catalogue)


def spell_digits(digits: str) -> str:
    """'104532' -> 'one zero four five three two'."""
    catalogue = texts()
    return " ".join(_digit_word(d, catalogue) for d in digits if d.isdigit())


def spell_code(code: str) -> str:
    """'1Z99AB' -> '1 Z 9 9 A B' spoken as 'one Z nine nine A B' (letters one by one)."""
    catalogue = texts()
    return " ".join(_digit_word(c, catalogue) if c.isdigit() else c for c in code if c.isalnum())


def say_amount(whole: str, cents: str | None, symbol: str) -> str:
    """'58', '65', '$' -> '58 dollars 65'; '1' -> '1 dollar'; '0', '50' -> '50 cents'."""
    currency = CURRENCY_SYMBOLS[symbol]
    catalogue = texts()
    units = int(whole.replace(",", ""))
    hundredths = int(cents or 0)
    if units == 0 and hundredths:
        return _reading(f"cents.{currency}", catalogue, count=hundredths)
    spoken = _reading(f"currency.{currency}", catalogue, count=units)
    return _reading("amount_and_cents", catalogue, amount=spoken, cents=hundredths) if hundredths else spoken


def without_emoji(text: str) -> str:
    """Drops pictographs, dingbats, variation selectors and joiners; keeps letters and punctuation."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("So", "Cs", "Co") or ch in "\u200d\ufe0f\ufe0e" or 0x1F000 <= ord(ch) <= 0x1FAFF:
            continue
        kept.append(ch)
    return "".join(kept)


def drop_links(text: str) -> str:
    """Removes URLs; a sentence that pointed at one says the link is on the website instead."""

    def replace(match: re.Match[str]) -> str:
        return "\x00"

    marked = URL.sub(replace, text)
    if "\x00" not in marked:
        return text
    parts = []
    for sentence in SENTENCE_END.split(marked):
        if "\x00" in sentence:
            sentence = sentence.replace("\x00", "")
            sentence = LEFT_OVER_LINK.sub("", sentence, count=1).rstrip(" :,;")
            if sentence and sentence[-1] not in ".!?":
                sentence += "."
            sentence = _reading("on_website", sentence=sentence[:-1]) + sentence[-1] if sentence else ""
        parts.append(sentence)
    return " ".join(part for part in parts if part)


def _say_email(user: str, domain: str) -> str:
    """'support', 'northwind.example' -> 'support at northwind dot example'."""
    dot = f" {_reading('dot')} "
    return _reading("email", user=user.replace(".", dot), domain=domain.replace(".", dot))


def spoken_text(text: str) -> str:
    """One chat message as it should be said on the phone."""
    text = unicodedata.normalize("NFKC", text)
    text = without_emoji(text)
    text = drop_links(text)
    text = MARKDOWN.sub("", text)
    text = BULLET.sub("", text)
    text = NUMBERED.sub(r"\1, ", text)
    text = EMAIL.sub(lambda m: _say_email(m[1], m[2]), text)
    text = PRICE.sub(lambda m: say_amount(m["whole"], m["cents"], m["sym"]), text)
    text = CODE_PRICE.sub(lambda m: say_amount(m["whole"], m["cents"], CURRENCY_CODES[m["code"]]), text)
    text = PHONE.sub(lambda m: spell_digits(m[0]) if sum(c.isdigit() for c in m[0]) >= 7 else m[0], text)
    text = LONG_NUMBER.sub(lambda m: spell_digits(m[1]), text)
    text = CODE.sub(lambda m: spell_code(m[0]) if len(m[0]) >= 4 else m[0], text)
    catalogue = texts()
    text = text.replace("–", f" {_reading('range_to', catalogue)} ").replace("—", ", ").replace(" × ", " ")
    text = text.replace("&", f" {_reading('and', catalogue)} ")
    text = re.sub(r"(\d)\s?%", lambda m: _reading("percent", catalogue, number=m[1]), text)
    text = re.sub(r"\be\.g\.", lambda m: _reading("for_example", catalogue), text)
    # Line breaks (lists) become sentence ends so the speaker pauses between items.
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    text = " ".join(line if line[-1] in ".!?:;," else line + "." for line in lines)
    return SPACES.sub(" ", text).strip()


def keypad_choices(message: Mapping[str, Any]) -> dict[str, str]:
    """Key → button payload when every button of a bot message is titled with one digit, else {}."""
    buttons = message.get("buttons")
    if not isinstance(buttons, list) or not buttons:
        return {}
    choices: dict[str, str] = {}
    for button in buttons:
        title = str(button.get("title", "")).strip() if isinstance(button, Mapping) else ""
        payload = button.get("payload") if isinstance(button, Mapping) else None
        if len(title) != 1 or not title.isdigit() or not isinstance(payload, str) or not payload:
            return {}
        choices[title] = payload
    return choices


def button_hint(buttons: Iterable[Mapping[str, Any]]) -> str:
    """'You can say Yes or No.' for the titles of a message's buttons ('Press a key from 1 to 5, or say
    the number.' when they are digits)."""
    buttons = list(buttons)
    keys = sorted(keypad_choices({"buttons": buttons}))
    if keys:
        return _reading("press_or_say", first=keys[0], last=keys[-1])
    titles = [str(b.get("title", "")).strip() for b in buttons if isinstance(b, Mapping)]
    titles = [spoken_text(t).rstrip(".") for t in titles if t]
    if not titles:
        return ""
    listed = titles[0] if len(titles) == 1 else _reading("choices", items=", ".join(titles[:-1]), last=titles[-1])
    return _reading("you_can_say", choices=listed)


def spoken_reply(message: Mapping[str, Any]) -> str:
    """A Rasa bot message (text, buttons, image, custom) as one spoken text ('' when nothing to say)."""
    text = message.get("text")
    spoken = spoken_text(text) if isinstance(text, str) else ""
    buttons = message.get("buttons")
    if isinstance(buttons, list) and buttons:
        hint = button_hint(buttons)
        spoken = f"{spoken} {hint}".strip()
    return spoken


def sentences(text: str, max_chars: int = MAX_SENTENCE_CHARS, first_max_chars: int = 0) -> list[str]:
    """Splits spoken text into parts, each synthesised (and heard) as soon as it is ready.

    ``first_max_chars``: the first part is cut early (at a comma), so the first audio of a reply is
    ready sooner; then each part may be at most twice as long as the one before it. A part is
    synthesised while the one before plays, so a short part followed by a long one ("I'm a bot." then
    a 120-character sentence) would leave the caller in silence on a busy machine."""
    parts: list[str] = []
    for sentence in SENTENCE_END.split(text.strip()):
        sentence = sentence.strip()
        while len(sentence) > (limit := part_limit(parts, max_chars, first_max_chars)):
            cut = max(sentence.rfind(sep, 0, limit) for sep in ("; ", ", ", ": "))
            if cut <= 0 and limit == max_chars:
                cut = sentence.rfind(" ", 0, max_chars)
            if cut <= 0:
                break
            parts.append(sentence[: cut + 1].strip())
            sentence = sentence[cut + 1 :].strip()
        if sentence:
            parts.append(sentence)
    return parts


def part_limit(parts: list[str], max_chars: int, first_max_chars: int) -> int:
    """How long the next part may be: without ``first_max_chars``, ``max_chars``; with it, that for the
    first part and twice the previous part after it (never shorter than the first, never over max)."""
    if not first_max_chars:
        return max_chars
    if not parts:
        return first_max_chars
    return min(max_chars, max(first_max_chars, 2 * len(parts[-1])))


def confirmation_question(text: str) -> str:
    """The short check asked when recognition was unsure: 'Did you say order one zero four…?'."""
    heard = spoken_text(text).rstrip(".!?")
    return _reading("did_you_say", heard=heard)


YES_WORDS = frozenset({"yes", "yeah", "yep", "yup", "correct", "right", "sure", "exactly", "affirmative", "ok", "okay"})
NO_WORDS = frozenset({"no", "nope", "nah", "wrong", "incorrect", "not"})


def yes_or_no(text: str) -> bool | None:
    """True/False for a short yes/no answer ('Yes, that's right.'), None for anything else."""
    words = re.findall(r"[a-z']+", text.lower())
    if not words or len(words) > 6:
        return None
    if any(w in NO_WORDS for w in words) or "that's not" in text.lower():
        return False
    if words[0] in YES_WORDS or " ".join(words[:2]) in ("that's right", "that is", "it is", "you got"):
        return True
    return None


HEARD_ZERO = {"oh": "0", "o": "0"}  # how English callers also say zero


@functools.lru_cache(maxsize=4)
def _spoken_digits(words: tuple[str, ...]) -> tuple[dict[str, str], re.Pattern[str]]:
    """The digit words (the catalogue's, in the order 0-9) and a pattern for a run of four or more."""
    number_words = {word.lower(): str(i) for i, word in enumerate(words)} | HEARD_ZERO
    alternatives = "|".join(re.escape(word) for word in sorted(number_words, key=len, reverse=True))
    return number_words, re.compile(rf"\b(?:(?:(?:{alternatives})\b|\d)[\s-]*){{4,}}(?<![\s-])", re.IGNORECASE)


def heard_text(text: str) -> str:
    """A transcript as the chat NLU expects it: digit runs joined ("one zero four 5 3 2" -> "104532")."""
    text = " ".join(text.split())
    catalogue = texts()
    number_words, spoken_digits = _spoken_digits(tuple(_digit_word(str(d), catalogue) for d in range(10)))

    def join(match: re.Match[str]) -> str:
        tokens = re.findall(r"[^\W\d_]+|\d", match[0].lower())
        digits = [number_words.get(token, token) for token in tokens]
        return "".join(digits) if all(d.isdigit() for d in digits) else match[0]

    return spoken_digits.sub(join, text).strip()
