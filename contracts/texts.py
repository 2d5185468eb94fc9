"""The message catalogue: the sentences the action server and the channels write, one YAML file per language.

Operators edit bot/texts/<language>.yml (for example en.yml) without touching Python; the code keeps only the
logic that chooses *which* message to send and formats values (lists, money, dates). Shared by both venvs
(actions and the voice gateway), so it lives in contracts and needs nothing but PyYAML.

A file holds nested sections of messages; a message is addressed by its dotted path ("orders.cancelled").
One section is different: ``responses`` holds the dialogue model's utter_ responses in Rasa's own response
format (variations with text/buttons/condition/channel, {slot} placeholders), which the Rasa server renders
through channels/catalogue_responses.py; a response a translation lacks falls back to English as a whole.
A message is either a text with named {placeholders}, or plural forms chosen by the value ``count``
(``one``/``other`` for English; see PLURAL_RULES). The language comes from SHOP_LANGUAGE (default "en");
a message a translation lacks falls back to English, and check_catalogues() (run by a unit test and logged
at load) reports every language whose keys or placeholders differ from English.
"""

from __future__ import annotations

import logging
import os
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from contracts.watched_files import WatchedFiles

logger = logging.getLogger(__name__)

CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "bot" / "texts"
FALLBACK_LANGUAGE = "en"

Message = str | dict[str, str]  # a text, or plural forms keyed by category
# One utter_ response in Rasa's response format: its variations, each a mapping (text, buttons, condition...).
Response = list[dict[str, Any]]
RESPONSES_SECTION = "responses"
# How Rasa's response interpolation finds a slot placeholder (rasa/core/nlg/interpolator.py).
_RESPONSE_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")


def _english_plural(count: int) -> str:
    return "one" if count == 1 else "other"


# Which plural form a count takes, per language (CLDR category names). Add a rule with a new language
# whose plurals differ from English (e.g. Polish needs "one", "few", "many").
PLURAL_RULES: dict[str, Callable[[int], str]] = {"en": _english_plural}


class MissingText(KeyError):
    """A message key that no catalogue has, or a placeholder the caller did not fill."""


def _flatten(section: Mapping[str, Any], prefix: str = "") -> dict[str, Message]:
    """Nested sections to dotted keys; a mapping of plural categories (one/other...) is one message."""
    messages: dict[str, Message] = {}
    for name, value in section.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping) and value.keys() <= _PLURAL_CATEGORIES and "other" in value:
            messages[key] = {str(k): str(v) for k, v in value.items()}
        elif isinstance(value, Mapping):
            messages.update(_flatten(value, key + "."))
        else:
            messages[key] = "" if value is None else str(value)
    return messages


_PLURAL_CATEGORIES = {"zero", "one", "two", "few", "many", "other"}


def placeholders(message: Message) -> set[str]:
    """The {names} a message uses (all plural forms together)."""
    forms = message.values() if isinstance(message, dict) else [message]
    return {field for form in forms for _, field, _, _ in string.Formatter().parse(form) if field}


def response_placeholders(response: Response) -> set[str]:
    """The {slot} names a response uses in any variation (texts, button titles and payloads)."""
    found: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, str):
            found.update(_RESPONSE_PLACEHOLDER.findall(value))
        elif isinstance(value, Mapping):
            for name, item in value.items():
                if name not in ("condition", "channel", "id"):
                    collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(response)
    return found


@dataclass(frozen=True)
class Catalogue:
    """The messages of one language, with English behind it for keys the translation lacks."""

    language: str
    messages: dict[str, Message]
    fallback: Catalogue | None = None
    responses: dict[str, Response] = field(default_factory=dict)

    def all_responses(self) -> dict[str, Response]:
        """Every utter_ response: this language's, and English for those the translation lacks."""
        inherited = self.fallback.all_responses() if self.fallback is not None else {}
        return {**inherited, **self.responses}

    def has(self, key: str) -> bool:
        return key in self.messages or (self.fallback is not None and self.fallback.has(key))

    def template(self, key: str) -> Message:
        """The raw message (unfilled), from this language or the fallback."""
        if key in self.messages:
            return self.messages[key]
        if self.fallback is not None:
            return self.fallback.template(key)
        raise MissingText(f"no message '{key}' in {CATALOGUE_DIR / (self.language + '.yml')}")

    def text(self, key: str, /, **values: Any) -> str:
        """The message `key` with its placeholders filled; plural forms are chosen by ``count``."""
        message = self.template(key)
        if isinstance(message, dict):
            if "count" not in values:
                raise MissingText(f"message '{key}' has plural forms and needs a count")
            language = self.language if key in self.messages else FALLBACK_LANGUAGE
            rule = PLURAL_RULES.get(language, _english_plural)
            message = message.get(rule(int(values["count"])), message["other"])
        try:
            return message.format_map(values)
        except (KeyError, IndexError) as missing:
            raise MissingText(f"message '{key}' needs a value for {{{missing.args[0]}}}") from None


def _read_sections(path: Path) -> Mapping[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: a message catalogue is a mapping of sections")
    return data


def read_catalogue(path: Path) -> dict[str, Message]:
    """The dotted-key messages of a file (everything but its ``responses`` section)."""
    return _flatten({name: section for name, section in _read_sections(path).items() if name != RESPONSES_SECTION})


def read_responses(path: Path) -> dict[str, Response]:
    """The ``responses`` section of a file: utter_ name -> variations, as Rasa's domain writes them."""
    section = _read_sections(path).get(RESPONSES_SECTION) or {}
    if not isinstance(section, Mapping):
        raise ValueError(f"{path}: '{RESPONSES_SECTION}' maps utter_ names to lists of variations")
    responses: dict[str, Response] = {}
    for name, variations in section.items():
        if not isinstance(variations, list) or not all(isinstance(v, Mapping) for v in variations):
            raise ValueError(f"{path}: response '{name}' must be a list of variations (- text: ...)")
        responses[str(name)] = [dict(variation) for variation in variations]
    return responses


def _response_problems(name: str, reference: dict[str, Response], found: dict[str, Response]) -> list[str]:
    problems = [f"{name}: missing response '{key}'" for key in sorted(reference.keys() - found.keys())]
    problems += [f"{name}: unknown response '{key}'" for key in sorted(found.keys() - reference.keys())]
    for key in sorted(reference.keys() & found.keys()):
        expected, used = response_placeholders(reference[key]), response_placeholders(found[key])
        if expected != used:
            problems.append(f"{name}: response '{key}' uses {sorted(used)}, English uses {sorted(expected)}")
    return problems


def check_catalogues(directory: Path = CATALOGUE_DIR) -> list[str]:
    """Every difference between a translation and English: missing or extra keys, other placeholders."""
    reference = read_catalogue(directory / f"{FALLBACK_LANGUAGE}.yml")
    reference_responses = read_responses(directory / f"{FALLBACK_LANGUAGE}.yml")
    problems = []
    for path in sorted(directory.glob("*.yml")):
        if path.stem == FALLBACK_LANGUAGE:
            continue
        messages = read_catalogue(path)
        problems += [f"{path.name}: missing '{key}'" for key in sorted(reference.keys() - messages.keys())]
        problems += [f"{path.name}: unknown key '{key}'" for key in sorted(messages.keys() - reference.keys())]
        for key in sorted(reference.keys() & messages.keys()):
            expected, found = placeholders(reference[key]), placeholders(messages[key])
            if expected != found:
                problems.append(f"{path.name}: '{key}' uses {sorted(found)}, English uses {sorted(expected)}")
            if isinstance(reference[key], dict) != isinstance(messages[key], dict):
                problems.append(
                    f"{path.name}: '{key}' must be {'plural forms' if isinstance(reference[key], dict) else 'a text'}"
                )
        problems += _response_problems(path.name, reference_responses, read_responses(path))
    return problems


class CatalogueFiles(WatchedFiles[Catalogue]):
    """A language's catalogue (with English as its fallback), re-read when an operator edits a file."""

    def __init__(self, directory: Path, language: str) -> None:
        super().__init__()
        self.directory = directory
        self.language = language

    def files(self) -> list[Path]:
        paths = [self.directory / f"{FALLBACK_LANGUAGE}.yml"]
        if self.language != FALLBACK_LANGUAGE:
            paths.append(self.directory / f"{self.language}.yml")
        return paths

    def load(self) -> Catalogue:
        english_file = self.files()[0]
        english = Catalogue(FALLBACK_LANGUAGE, read_catalogue(english_file), responses=read_responses(english_file))
        if self.language == FALLBACK_LANGUAGE:
            catalogue = english
        else:
            for problem in check_catalogues(self.directory):
                logger.warning("message catalogue: %s (English is used there)", problem)
            translated_file = self.files()[1]
            translated = read_catalogue(translated_file)
            english_placeholders = {key: placeholders(message) for key, message in english.messages.items()}
            usable = {k: m for k, m in translated.items() if placeholders(m) == english_placeholders.get(k)}
            usable_responses = {
                name: response
                for name, response in read_responses(translated_file).items()
                if name in english.responses
                and response_placeholders(response) == response_placeholders(english.responses[name])
            }
            catalogue = Catalogue(self.language, usable, fallback=english, responses=usable_responses)
        logger.info("loaded message catalogue '%s' from %s", self.language, self.directory)
        return catalogue


_files = CatalogueFiles(
    Path(os.environ.get("SHOP_TEXTS_DIR", CATALOGUE_DIR)), os.environ.get("SHOP_LANGUAGE", FALLBACK_LANGUAGE)
)


def texts() -> Catalogue:
    """The catalogue of the shop's language (SHOP_LANGUAGE), re-read when its files change."""
    return _files.get()
