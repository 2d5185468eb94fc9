"""The desk's privacy page in a real browser (headless Chromium through Playwright), over the seeded
stores and the coordinator: a privacy agent looks a shopper up, downloads the export, erases after
the dry run and the confirmation; a new look-up finds nothing. Other agents never see the button.
Every request stays on the desk's origin (no CDN)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from contracts.privacy import Subject
from privacy.requests import Stores, SubjectRequests
from tests.analytics.test_analytics_browser import log_in, page  # noqa: F401 - the Chromium page fixture
from tests.privacy.privacy_support import SHOPPERS
from tests.privacy.test_privacy_desk_api import DeskUnderTest, start_desk
from tools.privacy_seed import ORDERS_PER_SHOPPER

JANE, OTHER = SHOPPERS[0], SHOPPERS[1]


@pytest.fixture
async def desk(aiohttp_client: Any, urls: dict[str, str], stores: Stores) -> AsyncIterator[DeskUnderTest]:
    harness = await start_desk(aiohttp_client, urls, SubjectRequests(stores))
    yield harness
    for session in harness.sessions:
        await session.close()


def watch(tab: Page, desk: DeskUnderTest) -> tuple[list[str], list[str]]:
    """Requests that left the desk's origin, and script errors."""
    elsewhere: list[str] = []
    problems: list[str] = []
    tab.on(
        "request",
        lambda r: None if r.url.startswith((desk.base_url, "data:", "blob:")) else elsewhere.append(r.url),
    )
    tab.on("pageerror", lambda error: problems.append(str(error)))
    return elsewhere, problems


@pytest.mark.parametrize("urls", ["sqlite"], indirect=True)
async def test_privacy_agent_exports_and_erases_a_shopper(
    desk: DeskUnderTest,
    page: Page,  # noqa: F811 - the fixture imported above
    stores: Stores,
    tmp_path: Path,
) -> None:
    elsewhere, problems = watch(page, desk)
    await desk.agent("admin")
    await log_in(page, desk, "admin")  # type: ignore[arg-type]
    toggle = page.locator("#privacy-toggle")
    await expect(toggle).to_be_visible()
    await toggle.click()
    await expect(page.locator("#workspace")).to_be_hidden()

    await page.select_option("#privacy-kind", "email")
    await page.fill("#privacy-value", JANE.email)
    await page.click("#privacy-look-up")
    await expect(page.locator("#privacy-status")).to_contain_text("records found")
    await expect(page.locator("#privacy-found tr", has_text="orders")).to_contain_text(["orders"])
    await expect(page.locator("#privacy-subject")).to_contain_text(JANE.customer_id)

    async with page.expect_download() as download_info:
        await page.click("#privacy-download")
    download = await download_info.value
    saved = tmp_path / "export.json"
    await download.save_as(saved)
    document = json.loads(saved.read_text())
    assert len(document["stores"]["orders"]["orders"]) == ORDERS_PER_SHOPPER
    assert len(document["stores"]["tracker_store"]["conversations"]) == 2  # app and web; the call needs the phone

    await page.click("#privacy-erase")
    await expect(page.locator("#privacy-confirm")).to_be_visible()
    await expect(page.locator("#privacy-plan")).to_contain_text("anonymised")
    await expect(page.locator("#privacy-erase-now")).to_be_disabled()
    still = await SubjectRequests(stores).export(Subject.named(email=JANE.email))
    assert len(still["stores"]["handoff"]["tickets"]) == 1, "the dry run changed nothing"
    await page.check("#privacy-confirm-check")
    await page.click("#privacy-erase-now")
    await expect(page.locator("#privacy-status")).to_contain_text("Erased:")

    await page.click("#privacy-look-up")
    await expect(page.locator("#privacy-status")).to_have_text("Nothing found about this shopper.")
    other = await SubjectRequests(stores).export(Subject.named(email=OTHER.email))
    assert len(other["stores"]["orders"]["orders"]) == ORDERS_PER_SHOPPER
    assert not elsewhere, elsewhere
    assert not problems, problems


@pytest.mark.parametrize("urls", ["sqlite"], indirect=True)
async def test_other_agents_do_not_see_the_privacy_page(desk: DeskUnderTest, page: Page) -> None:  # noqa: F811
    await desk.agent("alex")
    await log_in(page, desk, "alex")  # type: ignore[arg-type]
    await expect(page.locator("#queue-count")).to_be_visible()
    await expect(page.locator("#privacy-toggle")).to_be_hidden()
    status = await page.evaluate("fetch('/desk/api/privacy/export?email=x@example.com').then(r => r.status)")
    assert status == 403
