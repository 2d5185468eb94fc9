"""Conversations stored redacted (TRACKER_REDACT=on, channels/tracker_redaction.py) on a whole stack.

The stack is the launcher's, with the setting on (its own state and ports: offset 1100). Order
questions proven by a bare ZIP code and by e-mail, a follow-up that needs the proof kept, a phone
number typed, and an address change confirmed with the mailed code all work as usual; afterwards
no string in Rasa's stored events holds an e-mail, ZIP, phone number or the new street in clear."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import Stack, stack_env, start_stack
from tests.e2e.conversation import Conversation
from tests.e2e.outbox import mailed_code
from tests.e2e.test_address_change_e2e import shipping_address

PHONE = "+1 415 555 0142"
NEW_STREET, NEW_CITY, NEW_ZIP = "77 Elm Road", "Boston", "02118"


@pytest.fixture(scope="module")
def redacting_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var = tmp_path_factory.mktemp("redacting-stack")
    started = start_stack(var, stack_env(var, port_offset=1100, TRACKER_REDACT="on"))
    yield started
    started.launcher("stop")


def stored_strings(stack: Stack, *, bot: bool) -> list[str]:
    """Every string value in Rasa's stored events (numbers such as timestamps and hex ids left out):
    of the bot's messages (`bot`), or of all other events (what the shopper said, slots, metadata)."""
    found: list[str] = []

    def walk(value: Any, key: str | None) -> None:
        if isinstance(value, str) and key not in ("message_id", "request_id", "model_id"):
            found.append(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)

    with sqlite3.connect(stack.var / "tracker.db") as db:
        for (data,) in db.execute("SELECT data FROM events WHERE (type_name = 'bot') = ?", (bot,)):
            walk(json.loads(data), None)
    return found


def in_clear(values: list[str], strings: list[str]) -> list[str]:
    """The values found as whole words in any of the strings."""
    return sorted({v for v in values for s in strings if re.search(rf"(?<![\w@.+-]){re.escape(v)}(?![\w@-])", s, re.I)})


@pytest.fixture(scope="module")
def conversations(redacting_stack: Stack) -> dict[str, dict[str, Any]]:
    """The orders the module's conversations are about (started by the test below)."""
    stack = redacting_stack
    return {
        "by_zip": stack.order("shipped"),
        "by_email": stack.order("shipped", 1),
        "moving": stack.order("processing"),
    }


def test_order_conversations_work_and_are_stored_masked(
    redacting_stack: Stack, conversations: dict[str, dict[str, Any]]
) -> None:
    stack = redacting_stack
    by_zip, by_email, moving = conversations["by_zip"], conversations["by_email"], conversations["moving"]

    chat = Conversation(stack.rasa_url)
    chat.say("where is my order?")
    assert "zip" in chat.say(by_zip["order_number"]).lower()
    answer = chat.say(f"my zip is {by_zip['postcode']}")
    assert by_zip["order_number"] in answer and "shipped" in answer.lower(), answer
    follow_up = chat.say("and when will it arrive?")  # the proof kept, across a reload from the store
    assert by_zip["order_number"] in follow_up and "arrive by" in follow_up, follow_up

    chat = Conversation(stack.rasa_url)
    chat.say("track my order " + by_email["order_number"])
    answer = chat.say(by_email["email"])
    assert by_email["order_number"] in answer and "shipped" in answer.lower(), answer
    chat.say(f"you can call me on {PHONE}")

    chat = Conversation(stack.rasa_url)
    chat.say("I need to change the delivery address of my order")
    chat.say(moving["order_number"])
    assert "new address" in chat.say(moving["email"])
    question = chat.say(f"{NEW_STREET}, {NEW_CITY}, MA {NEW_ZIP}")
    assert f"to {NEW_STREET}, {NEW_CITY} {NEW_ZIP}?" in question, question
    asked = time.time() - 1
    assert "one-time code" in chat.say("yes")
    done = chat.say(mailed_code(stack.var, moving["email"], after=asked))
    assert f"will now ship to {NEW_STREET}, {NEW_CITY} {NEW_ZIP}" in done, done
    address = shipping_address(stack, moving["order_number"])
    assert (address["line1"], address["city"], address["postcode"]) == (NEW_STREET, NEW_CITY, NEW_ZIP)

    said = stored_strings(stack, bot=False)
    assert said, "the conversations were not stored"
    typed = [by_zip["postcode"], by_email["email"], moving["email"], PHONE, PHONE.replace(" ", ""), NEW_STREET, NEW_ZIP]
    assert not in_clear(typed, said)
    assert any("[proof]" in s for s in said) and any("[email]" in s for s in said)
    assert any(by_zip["order_number"] in s for s in said), "order numbers are no personal data: kept"
    # The bot's read-back of the new address ("… to 77 Elm Road, Boston 02118?") is masked as well.
    assert not in_clear([NEW_STREET, NEW_ZIP], stored_strings(stack, bot=True))


def test_the_bots_read_back_of_the_old_address_is_masked(
    redacting_stack: Stack, conversations: dict[str, dict[str, Any]]
) -> None:
    """Runs after the conversations above (file order): the address-change intro read the order's
    current address back."""
    bot = stored_strings(redacting_stack, bot=True)
    assert bot, "run with the test above"
    assert not in_clear([conversations["moving"]["postcode"]], bot)
