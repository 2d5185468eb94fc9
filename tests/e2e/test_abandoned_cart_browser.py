"""An abandoned cart becomes one message in the shopper's open chat, in a real browser on the real stack.

The shop's page would post its cart events to the recommendations backend (`POST /interactions` with
the widget's conversation id); the test posts them as that page's server would. The shared stack runs with
a 3-second delay (`ABANDONED_CART_AFTER_S`); the detector triggers `EXTERNAL_cart_abandoned` through
Rasa's trigger-intent API, the action server asks the pricing backend for a coupon within its goodwill
budget, and the sentence reaches the widget over socket.io (docs/recommendations-backend.md).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, WebSocket, expect

from tests.e2e.conftest import Stack
from tests.e2e.test_browser_widget import NO_REPLY, REPLY_TIMEOUT_MS, browser, open_widget, say  # noqa: F401

DELAY_S = 3.0
SETTLE_TIMEOUT_S = 30.0
NOTE = "still in your cart"


@pytest.fixture(scope="module")
def cart_stack(stack: Stack) -> Stack:
    """The shared default stack: it runs with the test delay (conftest's `stack`, ABANDONED_CART_AFTER_S),
    and no other test posts a cart with a conversation id."""
    assert float(stack.env["ABANDONED_CART_AFTER_S"]) == DELAY_S
    return stack


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def open_chat_with_consent(page: Page, stack: Stack) -> str:
    """The shopper opens the widget and answers the shop's banner with yes; returns the conversation id."""
    open_widget(page, stack.web_url)
    page.evaluate("window.ShopChat.setPersonalisationConsent(true)")
    expect(say(page, "hello"), NO_REPLY).to_have_text(re.compile(r"\S"), timeout=REPLY_TIMEOUT_MS)
    stored = page.evaluate("sessionStorage.getItem('chat_session') || localStorage.getItem('chat_session')")
    return str(json.loads(stored)["session_id"])


def shop_event(stack: Stack, kind: str, customer: str, product: str, conversation: str | None = None) -> float:
    """What the shop's server posts; returns the time it was posted."""
    body: dict[str, Any] = {"customer_id": customer, "product_id": product, "type": kind}
    if conversation:
        body["conversation_id"] = conversation
    response = requests.post(
        f"http://127.0.0.1:{stack.env['RECS_PORT']}/interactions",
        json=body,
        headers={"Authorization": f"Bearer {stack.secrets['RECS_API_TOKEN']}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return time.monotonic()


def settled(stack: Stack, customer: str, product: str) -> str:
    """How the detector settled the cart, read from its own table once it has."""
    database = Path(stack.var) / "recommendations.sqlite"
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        with sqlite3.connect(database) as connection:
            row = connection.execute(
                "SELECT outcome FROM rec_abandoned_carts WHERE customer_id = ? AND product_id = ?",
                (customer, product),
            ).fetchone()
        if row and row[0] not in (None, "sending"):
            return str(row[0])
        time.sleep(0.2)
    pytest.fail(f"the cart of {customer} ({product}) was not settled within {SETTLE_TIMEOUT_S} s")


def bot_messages(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(".rw-from-response .rw-message-text").all_text_contents()]


def socket_arrivals(page: Page, text: str) -> list[float]:
    """When socket.io frames carrying `text` reached the page (before the widget's typing pause:
    rasa-webchat shows a bot message 30 ms per character later, 0.8 to 3 s)."""
    arrivals: list[float] = []

    def watch(socket: WebSocket) -> None:
        socket.on("framereceived", lambda frame: arrivals.append(time.monotonic()) if text in str(frame) else None)

    page.on("websocket", watch)
    return arrivals


def test_an_abandoned_cart_brings_a_coupon_into_the_open_chat_once(cart_stack: Stack, page: Page) -> None:
    arrivals = socket_arrivals(page, NOTE)
    conversation = open_chat_with_consent(page, cart_stack)
    before = len(bot_messages(page))

    posted = shop_event(cart_stack, "add_to_cart", "cart-shopper-1", "aero-12", conversation)
    note = page.locator(".rw-from-response .rw-message-text", has_text=NOTE)
    expect(note, "no abandoned-cart message reached the widget").to_have_count(1, timeout=30_000)
    shown = time.monotonic()
    text = note.first.text_content() or ""
    assert "coupon" in text and "GW-" in text, text
    arrived = f"{arrivals[0] - posted - DELAY_S:.2f} s" if arrivals else "not seen (no websocket transport)"
    print(
        f"\nadd_to_cart → message at the browser's socket {arrived} after the {DELAY_S} s delay; "
        f"shown by the widget {shown - posted - DELAY_S:.2f} s after it"
    )
    assert settled(cart_stack, "cart-shopper-1", "aero-12") == "sent"
    assert len(bot_messages(page)) == before + 1

    # A second cart by the same shopper within the cap (24 h): nothing more in the chat.
    shop_event(cart_stack, "add_to_cart", "cart-shopper-1", "merino-hiking-socks", conversation)
    assert settled(cart_stack, "cart-shopper-1", "merino-hiking-socks") == "capped"
    time.sleep(1.0)  # a message sent anyway would have arrived by now
    assert len(bot_messages(page)) == before + 1, bot_messages(page)


def test_a_purchase_before_the_delay_gives_nothing(cart_stack: Stack, page: Page) -> None:
    conversation = open_chat_with_consent(page, cart_stack)
    before = bot_messages(page)
    shop_event(cart_stack, "add_to_cart", "cart-shopper-2", "aero-12", conversation)
    shop_event(cart_stack, "purchase", "cart-shopper-2", "aero-12")
    assert settled(cart_stack, "cart-shopper-2", "aero-12") == "bought"
    time.sleep(1.0)
    assert bot_messages(page) == before


def test_without_pricing_the_note_offers_alternatives(cart_stack: Stack, page: Page) -> None:
    """The pricing backend down: no crash, a log line, and alternatives instead of a coupon."""
    conversation = open_chat_with_consent(page, cart_stack)
    cart_stack.kill("pricing")
    try:
        shop_event(cart_stack, "add_to_cart", "cart-shopper-3", "granite-hiking-boots", conversation)
        note = page.locator(".rw-from-response .rw-message-text", has_text=NOTE)
        expect(note, "no abandoned-cart message reached the widget").to_have_count(1, timeout=30_000)
        text = note.first.text_content() or ""
        assert "GW-" not in text and "might like" in text, text
    finally:
        cart_stack.restart()
    log = (Path(cart_stack.var) / "logs" / "actions.log").read_text(errors="replace")
    assert "cart reminder: no coupon for cart-shopper-3, pricing backend unavailable" in log
