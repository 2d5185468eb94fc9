"""A shopper in a real browser: the shop page, the rasa-webchat widget and Rasa's socket.io channel.

Uses Playwright (Python) driving the system Chromium (/usr/bin/chromium); no browser is downloaded.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.conversation import stored_tracker

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPLY_TIMEOUT_MS = 30_000
NO_REPLY = "no bot message reached the widget (is the socket.io channel delivering replies? see channels/webchat.py)"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, tmp_path: Path) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()


# Bot messages shown after the shopper's latest message (message groups are siblings).
REPLIES_AFTER_LAST_USER_MESSAGE = (
    "xpath=(//div[contains(@class, 'rw-from-client')])[last()]"
    "/following-sibling::div[contains(@class, 'rw-from-response')]//div[contains(@class, 'rw-message-text')]"
)


def open_widget(page: Page, web_url: str) -> None:
    """Open the chat; when the page sends an initial payload, wait for its greeting first."""
    page.goto(web_url)
    page.locator(".rw-launcher").click()
    expect(page.locator(".rw-new-message")).to_be_visible()
    settings = json.loads(page.locator("#chat-settings").text_content() or "{}")
    if settings.get("initPayload") and page.locator(".rw-from-client").count() == 0:
        expect(page.locator(".rw-from-response .rw-message-text").first, NO_REPLY).to_have_text(
            re.compile(r"\S"), timeout=REPLY_TIMEOUT_MS
        )


def say(page: Page, text: str) -> Any:
    """Type a message, press Enter, and return the first bot message that answers it."""
    page.locator(".rw-new-message").fill(text)
    page.locator(".rw-new-message").press("Enter")
    expect(page.locator(".rw-client").last).to_have_text(text)
    return page.locator(REPLIES_AFTER_LAST_USER_MESSAGE).first


def test_shopper_types_hello_and_gets_a_reply(stack: Any, page: Page, tmp_path: Path) -> None:
    requested: list[str] = []
    page_errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda error: page_errors.append(str(error)))

    open_widget(page, stack.web_url)
    reply = say(page, "hello")
    try:
        expect(reply, NO_REPLY).to_have_text(re.compile(r"\S"), timeout=REPLY_TIMEOUT_MS)
    finally:
        page.screenshot(path=str(tmp_path / "widget.png"))
    assert (tmp_path / "widget.png").stat().st_size > 0
    assert not page_errors, page_errors

    # Everything came from the shop's own server or the Rasa server: no CDN, no web fonts.
    allowed = {urlsplit(stack.web_url).netloc, urlsplit(stack.rasa_url).netloc}
    foreign = [url for url in requested if not url.startswith("data:") and urlsplit(url).netloc not in allowed]
    assert not foreign, f"the page fetched from elsewhere: {foreign}"
    assert any("/socket.io/?EIO=4" in url for url in requested), "the widget did not reach Rasa's socket.io"


def test_page_shows_the_shop_and_a_chat_button(stack: Any, page: Page) -> None:
    page.goto(stack.web_url)
    expect(page.locator(".brand")).not_to_be_empty()
    page.locator("#open-chat").click()
    expect(page.locator(".rw-conversation-container")).to_be_visible()
    expect(page.locator(".rw-title")).not_to_be_empty()


def test_conversation_survives_a_page_reload(stack: Any, page: Page) -> None:
    """session_persistence: the widget keeps its session id and Rasa the conversation."""
    open_widget(page, stack.web_url)
    expect(say(page, "hello"), NO_REPLY).to_have_text(re.compile(r"\S"), timeout=REPLY_TIMEOUT_MS)

    page.reload()
    if not page.locator(".rw-new-message").is_visible():
        page.locator(".rw-launcher").click()
    expect(page.locator(".rw-client").first).to_have_text("hello")
    expect(say(page, "thanks"), NO_REPLY).to_have_text(re.compile(r"\S"), timeout=REPLY_TIMEOUT_MS)


def test_the_pages_consent_answer_rides_with_every_later_message(stack: Any, page: Page) -> None:
    """The consent hook (app.js): the page answers its own banner through
    `window.ShopChat.setPersonalisationConsent` or a `shop:consent` event, and every later message
    carries the answer as `personalisation_consent` metadata into Rasa's tracker (actions/consent.py)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_widget(page, stack.web_url)

    def answered(text: str) -> None:
        expect(say(page, text), NO_REPLY).to_have_text(re.compile(r"\S"), timeout=REPLY_TIMEOUT_MS)

    answered("hello")  # before the banner was answered: no flag, the shop's default applies
    page.evaluate("window.ShopChat.setPersonalisationConsent(true)")
    answered("thanks")
    answered("what do you sell?")
    page.evaluate("document.dispatchEvent(new CustomEvent('shop:consent', {detail: {personalisation: false}}))")
    answered("thanks again")
    page.evaluate("window.ShopChat.setPersonalisationConsent('yes please')")  # not a boolean: ignored
    answered("bye")
    stored = page.evaluate("sessionStorage.getItem('chat_session') || localStorage.getItem('chat_session')")
    events = stored_tracker(stack, json.loads(stored)["session_id"])["events"]
    flags = [
        (event.get("metadata") or {}).get("personalisation_consent") for event in events if event["event"] == "user"
    ]
    assert flags[-5:] == [None, True, True, False, False], flags
    assert errors == []
