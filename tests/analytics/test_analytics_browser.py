"""The analytics page of the desk in a real browser (headless Chromium through Playwright): a lead
agent opens it and sees the figures, the plots (SVG images, no CDN) and the knowledge-base gaps;
an agent who is not a lead never sees the button."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from analytics.desk_source import DeskAnalytics
from analytics.settings import AnalyticsSettings
from tests.analytics.analytics_support import expected, fill_stores, tracker_rows, urls_for
from tests.analytics.test_analytics_desk import DeskWithAnalytics, start
from tests.handoff.handoff_support import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
TIMEOUT_MS = 20_000
PLOTS = 8


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`", pytrace=False)
    async with async_playwright() as playwright:
        browser: Browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1400, "height": 900})
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)
        yield page
        await browser.close()


@pytest.fixture
async def desk(aiohttp_client: Any, tmp_path: Path) -> AsyncIterator[DeskWithAnalytics]:
    await fill_stores(urls_for(tmp_path), tracker_rows())
    source = DeskAnalytics(urls_for(tmp_path), AnalyticsSettings(days=3650, embedding="tfidf"))
    harness = await start(aiohttp_client, tmp_path, source)
    yield harness
    for session in harness.sessions:
        await session.close()


async def log_in(page: Page, desk: DeskWithAnalytics, name: str) -> None:
    await page.goto(desk.base_url + "/desk/")
    await page.fill("#login-name", name)
    await page.fill("#login-password", PASSWORD)
    await page.click("#login-submit")
    await expect(page.locator("#me")).to_have_text(name.capitalize())


async def test_lead_sees_figures_plots_and_gaps(desk: DeskWithAnalytics, page: Page) -> None:
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if message.type == "error" and "status of 401" not in message.text else None
        ),
    )
    await desk.agent("admin")
    await log_in(page, desk, "admin")

    toggle = page.locator("#analytics-toggle")
    await expect(toggle).to_be_visible()
    await toggle.click()
    await expect(page.locator("#workspace")).to_be_hidden()
    conversations = sum(expected(tracker_rows()).conversations.values())
    await expect(page.locator("#analytics-summary .figure").first).to_contain_text(str(conversations))
    images = page.locator("#analytics-plots figure img")
    await expect(images).to_have_count(PLOTS)
    for index in range(PLOTS):  # each SVG decoded and drawn by the browser
        width = await images.nth(index).evaluate("image => image.complete ? image.naturalWidth : 0")
        assert width > 0
    await expect(page.locator("#analytics-gaps")).to_contain_text("gift")
    await expect(page.locator("#analytics-satisfaction")).to_contain_text("Mean rating")
    await expect(page.locator("#analytics-reasons")).to_contain_text("asked_for_person")
    revenue = page.locator("#analytics-summary .figure", has_text="revenue influenced by recommendations")
    await expect(revenue).to_contain_text("75.00")  # REC_REVENUE for each of the three consented lists
    await expect(page.locator("#analytics-plots figure[data-plot=recommendations] img")).to_have_count(1)

    await page.select_option("#analytics-grain", "week")
    await expect(page.locator("#analytics-meta")).to_contain_text("generated")
    await expect(images).to_have_count(PLOTS)
    await toggle.click()
    await expect(page.locator("#workspace")).to_be_visible()

    origin = urlsplit(desk.base_url).netloc
    assert all(urlsplit(url).netloc == origin for url in requested if url.startswith("http")), requested
    assert problems == []


async def test_agent_who_is_not_a_lead_has_no_analytics_button(desk: DeskWithAnalytics, page: Page) -> None:
    await desk.agent("alex")
    await log_in(page, desk, "alex")
    await expect(page.locator("#connection")).to_have_text("live")
    await expect(page.locator("#analytics-toggle")).to_be_hidden()
