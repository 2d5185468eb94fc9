"""An agent in headless Chromium on the real desk, with a shopper on the real web-widget channel.

The shopper (socket.io, as the widget) asks for a person; the agent logs into the desk page, sees
the conversation in the queue, takes it, replies; the shopper receives the reply live; the
shopper's answer appears on the agent's page without a reload; the agent hands back and the bot
answers the shopper's next question.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.e2e.conftest import Stack
from tests.e2e.socketio_client import texts, widget_client
from tests.e2e.test_handoff_conversations import next_replies

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
TIMEOUT_MS = 30_000


@pytest.fixture
async def desk_page() -> AsyncIterator[Page]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`", pytrace=False)
    async with async_playwright() as playwright:
        browser: Browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)
        yield page
        await browser.close()


async def test_agent_in_the_browser_takes_over_and_hands_back(stack: Stack, desk_page: Page) -> None:
    page = desk_page
    await page.goto(stack.desk_url + "/desk/")
    await page.fill("#login-name", "admin")
    await page.fill("#login-password", stack.secrets["HANDOFF_ADMIN_PASSWORD"])
    await page.click("#login-submit")
    await expect(page.locator("#connection")).to_have_text("live")

    async with widget_client(stack.rasa_url) as shopper:
        await shopper.start_session()
        assert "colleague" in texts(await shopper.say("Could a human agent look into my missing refund?"))

        item = page.locator("#queue li").filter(has_text="refund")
        await expect(item).to_have_count(1)  # appeared live, no reload
        await item.click()
        await expect(page.locator("#transcript")).to_contain_text("a human agent look into my missing refund")
        await page.click("#take")
        await expect(page.locator("#reply-form")).to_be_visible()
        assert "joined the conversation" in await next_replies(shopper)

        await page.fill("#reply-text", "Hi, I'm checking your refund right now.")
        await page.press("#reply-text", "Enter")
        await expect(page.locator("#transcript .msg-agent").last).to_contain_text("✓ delivered")
        assert "checking your refund right now" in await next_replies(shopper)

        await shopper.sio.emit(
            "user_uttered", {"message": "Thanks, it was 49 dollars.", "session_id": shopper.session_id}
        )
        await expect(page.locator("#transcript .msg-user").last).to_contain_text("it was 49 dollars")

        await page.click("#close")
        await expect(page.locator("#conv-meta")).to_contain_text("closed")
        assert "back with the assistant" in await next_replies(shopper)
        assert "PayPal" in texts(await shopper.say("which payment methods can I use?"))
