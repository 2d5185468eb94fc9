"""An agent in a real browser (headless Chromium through Playwright): log in, see the queued ticket,
take it, read the transcript, reply (the fake Rasa relay receives it), get a shopper message live over
the WebSocket, retry a reply that failed, write a note, hand back."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from handoff.passwords import hash_password
from tests.handoff.handoff_support import PASSWORD, Desk

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
TIMEOUT_MS = 10_000


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The browser test runs on SQLite only; the store and API tests cover PostgreSQL."""
    return f"sqlite+aiosqlite:///{tmp_path / 'handoff.sqlite'}"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`", pytrace=False)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    yield page
    await context.close()


async def test_agent_handles_a_conversation_end_to_end(desk: Desk, page: Page, tmp_path: Path) -> None:
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda error: problems.append(str(error)))
    # The 401s of "am I logged in?" and of the wrong password are expected; anything else (a CSP
    # violation, a 404, a script error) is a problem.
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if message.type == "error" and "status of 401" not in message.text else None
        ),
    )
    await desk.service.store.upsert_agent("alex", "Alex", hash_password(PASSWORD))
    ticket = await desk.handoff()
    number = ticket["ticket_id"]

    # Log in (a wrong password first).
    await page.goto(desk.base_url + "/desk/")
    await page.fill("#login-name", "alex")
    await page.fill("#login-password", "not the password")
    await page.click("#login-submit")
    await expect(page.locator("#login-error")).to_have_text("Wrong name or password.")
    await page.fill("#login-password", PASSWORD)
    await page.click("#login-submit")
    await expect(page.locator("#me")).to_have_text("Alex")
    await expect(page.locator("#connection")).to_have_text("live")

    # The queue shows the ticket with its priority and summary; open it.
    item = page.locator(f'#queue li[data-ticket-id="{number}"]')
    await expect(item).to_contain_text("Jane Doe")
    await expect(item).to_contain_text("normal")
    await expect(item).to_contain_text("Order #104532")
    await item.click()
    await expect(page.locator("#transcript")).to_contain_text("Where is my order 104532?")
    await expect(page.locator("#transcript .msg-bot")).to_have_text(re.compile("It shipped on Monday."))
    await expect(page.locator("#customer")).to_contain_text("c1@example.com")
    await expect(page.locator("#sentiment li")).to_have_count(2)
    await expect(page.locator("#orders-note")).to_contain_text("Orders unavailable")
    await expect(page.locator("#reply-form")).to_be_hidden()

    # Take it: the shopper is told, the reply box appears, the ticket moves to "My conversations".
    await page.click("#take")
    await expect(page.locator("#reply-form")).to_be_visible()
    await expect(page.locator(f'#mine li[data-ticket-id="{number}"]')).to_be_visible()
    await expect(page.locator("#queue li")).to_have_count(0)
    await desk.relay.wait_for(1)
    assert desk.relay.texts() == ["Alex has joined the conversation."]

    # Reply with Enter.
    await page.fill("#reply-text", "Hi Jane, I'm looking into your parcel now.")
    await page.press("#reply-text", "Enter")
    sent = page.locator("#transcript .msg-agent").last
    await expect(sent).to_contain_text("I'm looking into your parcel now.")
    await expect(sent).to_contain_text("✓ delivered")
    assert desk.relay.calls[-1] == (
        "agent_message",
        {"conversation_id": "conv-1", "text": "Hi Jane, I'm looking into your parcel now.", "agent_name": "Alex"},
    )

    # The shopper writes: it appears without a reload.
    response = await desk.shopper_says("conv-1", "Thank you, it was a birthday present!")
    assert response.status == 201
    await expect(page.locator("#transcript .msg-user").last).to_contain_text("birthday present")

    # Rasa is down: the reply is marked undelivered with a retry button, which works once it is back.
    desk.relay.mode = "fail"
    await page.fill("#reply-text", "It will arrive tomorrow.")
    await page.click("#reply-send")
    failed = page.locator("#transcript .msg-agent.undelivered")
    await expect(failed).to_contain_text("Not delivered")
    desk.relay.mode = "live"
    await failed.locator("button.retry").click()
    await expect(page.locator("#transcript .msg-agent").last).to_contain_text("✓ delivered")
    await expect(page.locator("#transcript .undelivered")).to_have_count(0)
    assert desk.relay.texts()[-1] == "It will arrive tomorrow."

    # An internal note stays on the desk.
    await page.fill("#note-text", "Offer a 10% voucher if it is late again.")
    await page.click("#note-add")
    await expect(page.locator("#transcript .msg-note")).to_contain_text("10% voucher")
    assert "Offer a 10% voucher if it is late again." not in desk.relay.texts()

    # Hand back to the bot.
    await page.click("#close")
    await expect(page.locator("#conv-meta")).to_contain_text("closed")
    await expect(page.locator("#reply-form")).to_be_hidden()
    await desk.relay.wait_for(4)
    assert desk.relay.calls[-1] == ("release", {"conversation_id": "conv-1", "agent_name": "Alex"})
    await expect(page.locator(f'#mine li[data-ticket-id="{number}"]')).to_have_count(0)
    await page.screenshot(path=str(tmp_path / "desk.png"))

    # A new handoff shows up in the queue live.
    await desk.handoff("conv-2", customer={"name": "Max Mustermann"}, frustration=0.9)
    await expect(page.locator("#queue li")).to_contain_text("Max Mustermann")

    assert not problems, problems
    own = urlsplit(desk.base_url).netloc
    assert all(urlsplit(url).netloc == own for url in requested), requested


async def test_logging_out_returns_to_the_login_form(desk: Desk, page: Page) -> None:
    await desk.service.store.upsert_agent("bo", "Bo", hash_password(PASSWORD))
    await page.goto(desk.base_url + "/desk/")
    await page.fill("#login-name", "bo")
    await page.fill("#login-password", PASSWORD)
    await page.click("#login-submit")
    await expect(page.locator("#me")).to_have_text("Bo")
    await page.click("#logout")
    await expect(page.locator("#login")).to_be_visible()
    await page.reload()
    await expect(page.locator("#login")).to_be_visible()
    cookies = await page.context.cookies()
    session = [c for c in cookies if c["name"] == "handoff_session"]
    assert not session or session[0]["httpOnly"]
