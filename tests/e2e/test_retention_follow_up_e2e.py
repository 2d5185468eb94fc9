"""The medium retention tier's follow-up, end to end in the app channel (issue 16): real Rasa, action
server, orders, recommendations and retention backends. A logged-in customer who consented to
personalisation and whom the retention backend scores `medium` asks about a product and says thanks:
the assistant offers one personal recommendation built on what they bought, counted in the retention
report. Asking and thanking again, after a new conversation and a restart of the retention backend,
brings none (the cap is stored). A `low`-tier customer saying the same gets none."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

from tests.e2e.conftest import Stack
from tests.e2e.test_identity import fresh_app_chat
from tests.e2e.test_retention_e2e import retention

CONSENT = {"personalisation_consent": True}
FOLLOW_UP = "goes well with it"


def demo_customers_in(stack: Stack, tier: str) -> list[str]:
    ids = sorted({o["customer_id"] for orders in stack.demo_orders.values() for o in orders if o.get("customer_id")})
    return [c for c in ids if (score := retention(stack, f"/customers/{c}/risk")) and score["tier"] == tier]


def make_medium(stack: Stack, customer: str) -> None:
    """Scores one demo customer `medium` as the nightly re-scoring would (the demo seed has only high and
    low customers): their row in the stack's own retention database."""
    database = stack.var / "retention.sqlite"
    assert database.exists(), f"the stack's retention database is not at {database}"
    with closing(sqlite3.connect(database)) as connection, connection:
        changed = connection.execute(
            "UPDATE risk_scores SET tier = 'medium', risk = 0.45 WHERE customer_id = ?", (customer,)
        ).rowcount
    assert changed == 1


def offers(stack: Stack) -> dict[str, int]:
    return {t["tier"]: t["offers"] for t in retention(stack, "/report")["tiers"]}


def ask_then_thank(stack: Stack, customer: str) -> str:
    """A product question, then thanks: the reply to the thanks."""
    shopper = fresh_app_chat(stack, customer)
    answer = shopper.say("how much is the Trailhead Fleece Jacket?", metadata=CONSENT)
    assert "$" in answer, answer
    return shopper.say("thanks a lot", metadata=CONSENT)


def test_a_medium_risk_customer_gets_one_follow_up_and_a_low_risk_one_none(stack: Stack) -> None:
    lows = demo_customers_in(stack, "low")
    assert len(lows) >= 2, f"the demo seed should score several customers low: {lows}"
    medium, low = lows[-1], lows[0]  # test_retention_e2e talks to the first low customer: it stays low
    make_medium(stack, medium)
    before = offers(stack)

    first = ask_then_thank(stack, medium)
    assert FOLLOW_UP in first and "Since you bought the" in first, first
    after_first: dict[str, Any] = offers(stack)
    assert after_first["medium"] == before.get("medium", 0) + 1

    stack.kill("retention")  # the cap is the backend's database, not its memory
    stack.restart()
    again = ask_then_thank(stack, medium)
    assert FOLLOW_UP not in again, again
    assert offers(stack)["medium"] == after_first["medium"]

    quiet = ask_then_thank(stack, low)
    assert FOLLOW_UP not in quiet, quiet
    assert offers(stack)["low"] == before["low"]
