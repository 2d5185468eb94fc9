"""The message catalogue (contracts/texts.py, bot/texts/<language>.yml): complete, consistent, and safe to edit."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from contracts.texts import CATALOGUE_DIR, CatalogueFiles, MissingText, check_catalogues, read_catalogue

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
