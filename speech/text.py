"""Text normalisation for comparing what was said with what Whisper wrote.

Whisper writes the same spoken order number as "12345", "1-2-3-4-5", "1, 2, 3, 4, 5" or "one two three
four five"; all become "1 2 3 4 5" here, so word error rates and test assertions measure recognition,
not formatting.
"""

from __future__ import annotations

import re

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
CONTRACTIONS = {"where's": "where is", "what's": "what is", "it's": "it is", "i'm": "i am", "don't": "do not",
                "can't": "can not", "cannot": "can not", "i'd": "i would", "that's": "that is"}  # fmt: skip
SPELLING = {"colour": "color", "grey": "gray", "favourite": "favorite", "okay": "ok"}


def _numbers_to_digits(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in TENS:
            value = TENS[word]
            if i + 1 < len(words) and words[i + 1] in UNITS and UNITS[words[i + 1]] < 10:
                value += UNITS[words[i + 1]]
                i += 1
            out.append(str(value))
        elif word in UNITS:
            out.append(str(UNITS[word]))
        else:
            out.append(word)
        i += 1
    return out


def normalize(text: str) -> str:
    """Lower case, no punctuation, number words as digits and every digit its own token."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 10,000 → 10000
    words = [CONTRACTIONS.get(word, word) for word in re.findall(r"[a-z0-9']+", text)]
    words = " ".join(words).replace("'", "").split()
    words = [SPELLING.get(word, word) for word in _numbers_to_digits(words)]
    text = " ".join(words)
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", text)  # or12345 → or 12345, 20w → 20 w
    return " ".join(re.sub(r"(\d)", r" \1 ", text).split())


def digits(text: str) -> str:
    """Only the digits, in order: the part of an order number that must survive recognition."""
    return "".join(ch for ch in normalize(text) if ch.isdigit())


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, number of reference words) after normalisation."""
    ref, hyp = normalize(reference).split(), normalize(hypothesis).split()
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i]
        for j, hyp_word in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1], len(ref)


def wer(reference: str, hypothesis: str) -> float:
    errors, words = word_errors(reference, hypothesis)
    return errors / max(words, 1)
