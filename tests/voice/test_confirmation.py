"""channels.voice.processors.confirmation: unsure turns are checked with the caller before Rasa hears them."""

from __future__ import annotations

from channels.voice.processors.confirmation import Confirmation, Verdict


def test_a_sure_turn_is_sent_as_heard() -> None:
    assert Confirmation(0.45).judge("where is order 104532", 0.9) == Verdict("send", "where is order 104532")


def test_an_unsure_turn_is_asked_about_and_a_yes_sends_it_confirmed() -> None:
    gate = Confirmation(0.45)
    assert gate.judge("where is order 12345", 0.3) == Verdict(
        "ask", "Did you say where is order one two three four five?"
    )
    assert gate.judge("yes that's right", 0.2) == Verdict("send", "where is order 12345", confirmed=True)
    assert gate.pending is None


def test_a_no_sends_nothing_and_asks_to_say_it_again() -> None:
    gate = Confirmation(0.45)
    gate.judge("track order 99999", 0.2)
    assert gate.judge("no", 0.9) == Verdict("say_again")
    assert gate.pending is None


def test_anything_but_yes_or_no_is_a_new_turn_judged_on_its_own() -> None:
    gate = Confirmation(0.45)
    gate.judge("track order 99999", 0.2)
    assert gate.judge("what are your opening hours", 0.8) == Verdict("send", "what are your opening hours")
    gate.judge("track order 99999", 0.2)
    assert gate.judge("cancel order 55555", 0.1) == Verdict("ask", "Did you say cancel order five five five five five?")
    assert gate.pending == "cancel order 55555"


def test_an_unsure_yes_or_no_on_its_own_is_not_asked_about() -> None:
    assert Confirmation(0.45).judge("yes", 0.1) == Verdict("send", "yes")
