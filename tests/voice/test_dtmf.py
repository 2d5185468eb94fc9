"""channels.voice.processors.dtmf: keypad digits become one text turn (the clock is passed in)."""

from __future__ import annotations

from channels.voice.processors.dtmf import MAX_DIGITS, DigitCollector


def test_keypad_entries_end_with_hash_or_a_pause() -> None:
    keys = DigitCollector(timeout_s=3)
    assert [keys.press(d, now=i) for i, d in enumerate("1045")] == [None] * 4
    assert keys.press("*", now=5) is None and not keys.pending  # '*' starts over
    for i, d in enumerate("104532"):
        keys.press(d, now=10 + i)
    assert keys.press("#", now=17) == "104532"
    assert keys.press("#", now=18) is None  # nothing typed
    keys.press("9", now=20)
    assert keys.due(now=22) is None
    assert keys.due(now=23) == "9" and keys.due(now=30) is None


def test_only_digits_count_and_an_entry_is_bounded() -> None:
    keys = DigitCollector(timeout_s=3)
    for i, key in enumerate("1A2B"):
        keys.press(key, now=i)
    assert keys.press("#", now=5) == "12"
    for i in range(MAX_DIGITS + 5):
        keys.press("7", now=10 + i)
    assert keys.press("#", now=40) == "7" * MAX_DIGITS
