"""Consent to personalisation, end to end in the app channel: real Rasa, action server, pricing and
recommendations backends started by the launcher. The same logged-in customer gets their VIP price and
a list built from their history when the app says they consented (message metadata
`personalisation_consent`), and the public price and a non-personal list when they did not, withdrew,
or said nothing (the shop's default: no consent)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.e2e.conftest import Stack
from tests.e2e.test_identity import fresh_app_chat, say

KEY = "personalisation_consent"
VIP = "C1001"  # the pricing seed's VIP customer (10 % off)
PRICE_QUESTION = "how much is the Trailhead Fleece Jacket?"


def test_the_same_customer_gets_the_vip_price_only_with_consent(stack: Stack) -> None:
    chat = fresh_app_chat(stack, VIP)
    unasked = say(chat, PRICE_QUESTION)  # no flag yet: the shop's default, no consent
    assert "$58.65" in unasked and "VIP" not in unasked, unasked
    personal = say(chat, PRICE_QUESTION, metadata={KEY: True})
    assert "VIP discount" in personal and "$58.65" not in personal.split("Your price today is")[1], personal
    kept = say(chat, PRICE_QUESTION)  # the banner's answer is remembered for later messages
    assert "VIP discount" in kept, kept
    withdrawn = say(chat, PRICE_QUESTION, metadata={KEY: False})
    assert "Your price today is $58.65" in withdrawn and "VIP" not in withdrawn, withdrawn
    assert "VIP" not in say(chat, PRICE_QUESTION)  # withdrawn stays withdrawn


def lists_shown(stack: Stack, conversation_id: str) -> list[tuple[str | None, int]]:
    """(customer id, personalised) of each list the recommendations backend logged for the conversation."""
    url = stack.env.get("RECS_DB_URL") or f"sqlite+aiosqlite:///{stack.var / 'recommendations.sqlite'}"
    database = Path(make_url(url).database or "")
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT customer_id, personalised FROM rec_lists WHERE conversation_id = ? ORDER BY id", (conversation_id,)
        ).fetchall()
    return [(customer, int(personalised)) for customer, personalised in rows]


def test_the_same_customer_gets_a_personal_list_only_with_consent(stack: Stack) -> None:
    customer = "DEMO-0001"  # a shopper with a history in the recommendations seed
    chat = fresh_app_chat(stack, customer)
    say(chat, "tell me about the Aero 12")
    personal = say(chat, "what would you recommend?", metadata={KEY: True})
    assert "1." in personal, personal
    public = say(chat, "what would you recommend?", metadata={KEY: False})
    assert "1." in public, "without consent the shopper still gets picks (popular and related items)"
    assert lists_shown(stack, chat.sender) == [(customer, 1), (None, 0)]
