"""The message catalogue (contracts/texts.py, bot/texts/<language>.yml): complete, consistent, and safe to edit."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from contracts.texts import (
    CATALOGUE_DIR,
    CatalogueFiles,
    MissingText,
    check_catalogues,
    read_catalogue,
    read_responses,
)

REPO = Path(__file__).resolve().parents[2]
# A literal message key the code asks for: texts().text("orders.cancelled", ...), _say("products.fits", ...).
KEY_IN_CODE = re.compile(r"""\b(?:text|_say|has)\(\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")


def test_every_language_has_the_same_keys_and_placeholders_as_english() -> None:
    assert check_catalogues() == []


def test_every_key_the_code_uses_is_in_the_english_catalogue() -> None:
    english = read_catalogue(CATALOGUE_DIR / "en.yml")
    used = {
        (path.relative_to(REPO).as_posix(), key)
        for folder in ("actions", "channels", "handoff", "contracts")
        for path in (REPO / folder).rglob("*.py")
        for key in KEY_IN_CODE.findall(path.read_text(encoding="utf-8"))
    }
    assert used, "the scan found no keys: the pattern is out of date"
    assert [(path, key) for path, key in sorted(used) if key not in english] == []


def _write(directory: Path, language: str, text: str) -> None:
    (directory / f"{language}.yml").write_text(text, encoding="utf-8")


ENGLISH = """
orders:
  cancelled: "Done: order {number} is cancelled."
  kept: "Order {number} stays as it is."
products:
  shown:
    one: "I showed you {count} product."
    other: "I showed you {count} products."
"""


def test_translation_is_used_and_english_fills_its_gaps(tmp_path: Path) -> None:
    _write(tmp_path, "en", ENGLISH)
    _write(tmp_path, "de", 'orders:\n  cancelled: "Erledigt: Bestellung {number} ist storniert."\n')
    catalogue = CatalogueFiles(tmp_path, "de").get()
    assert catalogue.text("orders.cancelled", number="104532") == "Erledigt: Bestellung 104532 ist storniert."
    assert catalogue.text("orders.kept", number="104532") == "Order 104532 stays as it is."
    assert check_catalogues(tmp_path) == ["de.yml: missing 'orders.kept'", "de.yml: missing 'products.shown'"]


def test_a_translation_with_other_placeholders_is_reported_and_not_used(tmp_path: Path) -> None:
    _write(tmp_path, "en", ENGLISH)
    _write(tmp_path, "de", 'orders:\n  cancelled: "Erledigt: Bestellung {nummer}."\n')
    catalogue = CatalogueFiles(tmp_path, "de").get()
    assert catalogue.text("orders.cancelled", number="1") == "Done: order 1 is cancelled."
    assert "de.yml: 'orders.cancelled' uses ['nummer'], English uses ['number']" in check_catalogues(tmp_path)


def test_plural_forms_follow_the_count(tmp_path: Path) -> None:
    _write(tmp_path, "en", ENGLISH)
    catalogue = CatalogueFiles(tmp_path, "en").get()
    assert catalogue.text("products.shown", count=1) == "I showed you 1 product."
    assert catalogue.text("products.shown", count=3) == "I showed you 3 products."
    with pytest.raises(MissingText, match="needs a count"):
        catalogue.text("products.shown")


def test_a_missing_key_or_value_names_what_is_missing(tmp_path: Path) -> None:
    _write(tmp_path, "en", ENGLISH)
    catalogue = CatalogueFiles(tmp_path, "en").get()
    with pytest.raises(MissingText, match=r"no message 'orders\.lost'"):
        catalogue.text("orders.lost")
    with pytest.raises(MissingText, match=r"'orders\.cancelled' needs a value for \{number\}"):
        catalogue.text("orders.cancelled")


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    _write(tmp_path, "en", ENGLISH)
    files = CatalogueFiles(tmp_path, "en")
    assert files.get().text("orders.kept", number="1") == "Order 1 stays as it is."
    _write(tmp_path, "en", ENGLISH.replace("stays as it is", "is unchanged"))
    stat = (tmp_path / "en.yml").stat()
    os.utime(tmp_path / "en.yml", (stat.st_atime, stat.st_mtime + 5))
    assert files.get().text("orders.kept", number="1") == "Order 1 is unchanged."


RESPONSES = """
orders:
  kept: "Order {number} stays as it is."
responses:
  utter_greet:
    - text: "Hi {name}!"
  utter_goodbye:
    - text: "Bye!"
    - text: "See you!"
"""


def test_responses_are_a_section_of_their_own(tmp_path: Path) -> None:
    _write(tmp_path, "en", RESPONSES)
    catalogue = CatalogueFiles(tmp_path, "en").get()
    assert catalogue.all_responses()["utter_goodbye"] == [{"text": "Bye!"}, {"text": "See you!"}]
    assert not any(key.startswith("responses") for key in catalogue.messages)


def test_a_translation_lacking_a_response_falls_back_to_english_response_by_response(tmp_path: Path) -> None:
    _write(tmp_path, "en", RESPONSES)
    _write(tmp_path, "de", 'responses:\n  utter_greet:\n    - text: "Hallo {name}!"\n')
    responses = CatalogueFiles(tmp_path, "de").get().all_responses()
    assert responses["utter_greet"] == [{"text": "Hallo {name}!"}]
    assert responses["utter_goodbye"] == [{"text": "Bye!"}, {"text": "See you!"}]
    assert "de.yml: missing response 'utter_goodbye'" in check_catalogues(tmp_path)


def test_a_response_with_other_slots_is_reported_and_not_used(tmp_path: Path) -> None:
    _write(tmp_path, "en", RESPONSES)
    _write(
        tmp_path, "de", 'responses:\n  utter_greet:\n    - text: "Hallo {vorname}!"\n  utter_extra:\n    - text: "?"\n'
    )
    assert CatalogueFiles(tmp_path, "de").get().all_responses()["utter_greet"] == [{"text": "Hi {name}!"}]
    problems = check_catalogues(tmp_path)
    assert "de.yml: response 'utter_greet' uses ['vorname'], English uses ['name']" in problems
    assert "de.yml: unknown response 'utter_extra'" in problems


def test_a_response_that_is_not_a_list_of_variations_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "en", 'responses:\n  utter_greet: "Hi!"\n')
    with pytest.raises(ValueError, match="utter_greet"):
        CatalogueFiles(tmp_path, "en").get()


def test_every_utter_action_of_the_domain_has_an_english_response_and_every_response_an_action() -> None:
    domain = yaml.safe_load((REPO / "bot" / "domain.yml").read_text(encoding="utf-8"))
    utter_actions = {name for name in domain["actions"] if name.startswith("utter_")}
    assert "responses" not in domain, "response texts belong in bot/texts/<language>.yml"
    assert set(read_responses(CATALOGUE_DIR / "en.yml")) == utter_actions
