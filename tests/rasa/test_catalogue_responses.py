"""channels.catalogue_responses: Rasa's responses rendered from the message catalogue, and the server
refusing to start without it (bot/rasa_server.py)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from channels.catalogue_responses import NLG_TYPE, CatalogueResponses
from contracts.texts import CatalogueFiles

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bot"))
import rasa_server  # noqa: E402

DOMAIN = Domain.from_yaml("""
version: "3.1"
slots:
  order_number: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  tier: {type: text, influence_conversation: false, mappings: [{type: custom}]}
actions: [utter_ask_order_proof, utter_welcome]
""")
ENGLISH = """
responses:
  utter_ask_order_proof:
    - text: "To check order {order_number}, tell me the email address on it."
  utter_welcome:
    - text: "Welcome!"
    - condition: [{type: slot, name: tier, value: gold}]
      text: "Welcome back, gold member!"
      buttons: [{title: "My orders", payload: "/track_order"}]
"""


def write(directory: Path, language: str, text: str) -> None:
    (directory / f"{language}.yml").write_text(text, encoding="utf-8")


def renderer(directory: Path, language: str = "en") -> CatalogueResponses:
    return CatalogueResponses(domain=DOMAIN, catalogue=CatalogueFiles(directory, language).get)


def tracker(**slots: str) -> DialogueStateTracker:
    state = DialogueStateTracker("shopper", DOMAIN.slots)
    for name, value in slots.items():
        state.update(SlotSet(name, value))
    return state


async def test_a_catalogue_response_is_filled_with_the_slot_value(tmp_path: Path) -> None:
    write(tmp_path, "en", ENGLISH)
    message = await renderer(tmp_path).generate("utter_ask_order_proof", tracker(order_number="104532"), "rest")
    assert message == {"text": "To check order 104532, tell me the email address on it."}


async def test_slot_conditions_and_buttons_work_as_in_a_domain(tmp_path: Path) -> None:
    write(tmp_path, "en", ENGLISH)
    message = await renderer(tmp_path).generate("utter_welcome", tracker(tier="gold"), "rest")
    assert message is not None
    assert message["text"] == "Welcome back, gold member!"
    assert message["buttons"] == [{"title": "My orders", "payload": "/track_order"}]
    assert await renderer(tmp_path).generate("utter_welcome", tracker(tier="silver"), "rest") == {"text": "Welcome!"}


async def test_the_shop_language_is_used_and_english_fills_a_missing_response(tmp_path: Path) -> None:
    write(tmp_path, "en", ENGLISH)
    write(
        tmp_path, "de", 'responses:\n  utter_ask_order_proof:\n    - text: "Bestellung {order_number}: Ihre E-Mail?"\n'
    )
    nlg = renderer(tmp_path, "de")
    proof = await nlg.generate("utter_ask_order_proof", tracker(order_number="104532"), "rest")
    assert proof == {"text": "Bestellung 104532: Ihre E-Mail?"}
    assert await nlg.generate("utter_welcome", tracker(), "rest") == {"text": "Welcome!"}


async def test_an_edit_is_used_on_the_next_turn_and_a_broken_edit_keeps_the_last_good_texts(tmp_path: Path) -> None:
    write(tmp_path, "en", ENGLISH)
    nlg = renderer(tmp_path)
    for number, text in enumerate(
        [ENGLISH.replace("Welcome!", "Hello there!"), "responses:\n  utter_welcome:\n    - buttons: 3\n"], start=1
    ):
        write(tmp_path, "en", text)
        stat = (tmp_path / "en.yml").stat()
        os.utime(tmp_path / "en.yml", (stat.st_atime, stat.st_mtime + 5 * number))
        assert await nlg.generate("utter_welcome", tracker(), "rest") == {"text": "Hello there!"}


def test_a_catalogue_rasa_would_refuse_fails_at_start(tmp_path: Path) -> None:
    write(tmp_path, "en", "responses:\n  utter_welcome:\n    - buttons: 3\n")
    with pytest.raises(Exception, match="buttons"):
        renderer(tmp_path)


def test_the_model_domain_responses_rasa_hands_over_are_not_used(tmp_path: Path) -> None:
    """rasa/core/agent.py sets `nlg.responses = domain.responses` when it loads a model."""
    write(tmp_path, "en", ENGLISH)
    nlg = renderer(tmp_path)
    nlg.responses = {"utter_welcome": [{"text": "from the domain"}]}
    assert nlg.responses["utter_welcome"][0] == {"text": "Welcome!"}


@pytest.mark.parametrize("endpoints", ["bot/endpoints.yml", "bot/endpoints.postgres.yml"])
def test_every_endpoints_file_makes_rasa_build_the_catalogue_renderer(
    endpoints: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in re.findall(r"\$\{(\w+)\}", (REPO / endpoints).read_text()):
        monkeypatch.setenv(variable, "1")  # the launcher sets them; Rasa expands them when it reads the file
    config = read_endpoint_config(str(REPO / endpoints), "nlg")
    assert NaturalLanguageGenerator.create(config, DOMAIN).__class__ is CatalogueResponses
    rasa_server.require_response_renderer(["run", "--endpoints", str(REPO / endpoints)], NLG_TYPE)


def test_the_server_refuses_to_start_without_the_renderer(tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("action_endpoint:\n  url: http://127.0.0.1:5055/webhook\n")
    with pytest.raises(SystemExit, match="nlg"):
        rasa_server.require_response_renderer(["run", "--endpoints", str(endpoints)], NLG_TYPE)
    rasa_server.require_response_renderer(["train", "--endpoints", str(endpoints)], NLG_TYPE)  # only `run` speaks
