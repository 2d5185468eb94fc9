"""channels.voice.spoken takes the words it reads aloud from the message catalogue (voice.reading)."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.voice.spoken import button_hint, confirmation_question, heard_text, spoken_text
from contracts import texts
from contracts.texts import CATALOGUE_DIR, CatalogueFiles

REWORDED = {
    '"1": "one"': '"1": "uno"',
    'other: "{count} dollars"': 'other: "{count} bucks"',
    'on_website: "{sentence} on our website"': 'on_website: "{sentence} (see the shop online)"',
    'you_can_say: "You can say {choices}."': 'you_can_say: "Say {choices}."',
    'did_you_say: "Did you say {heard}?"': 'did_you_say: "Was that {heard}?"',
}


@pytest.fixture
def reworded_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    english = (CATALOGUE_DIR / "en.yml").read_text(encoding="utf-8")
    for old, new in REWORDED.items():
        assert english.count(old) == 1, old
        english = english.replace(old, new)
    (tmp_path / "en.yml").write_text(english, encoding="utf-8")
    monkeypatch.setattr(texts, "_files", CatalogueFiles(tmp_path, "en"))


@pytest.mark.usefixtures("reworded_catalogue")
def test_the_spoken_words_are_the_catalogues() -> None:
    assert spoken_text("Order 104531 costs $58.65.") == "Order uno zero four five three uno costs 58 bucks 65."
    assert spoken_text("Download it here: https://shop.example/x") == "Download it (see the shop online)."
    assert button_hint([{"title": "Yes"}, {"title": "No"}]) == "Say Yes or No."
    assert confirmation_question("order 104532") == "Was that order uno zero four five three two?"


@pytest.mark.usefixtures("reworded_catalogue")
def test_callers_digits_are_heard_with_the_catalogues_words() -> None:
    assert heard_text("my order is uno zero four five three two") == "my order is 104532"
