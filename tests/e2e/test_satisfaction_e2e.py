"""The end-of-conversation rating on the running stack: asked after help, answered with a tap or a typed
number on the app channel, after an agent hands back (REST), and with a click in the real web widget
(headless Chromium). Each ends with the ``satisfaction`` slot read from Rasa's tracker store itself,
and the app ratings are counted by the analytics report run on the same stores."""

from __future__ import annotations

import asyncio
import csv
import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from privacy.tracker_store import tracker_db_url
from tests.e2e.conftest import REPO, Stack
from tests.e2e.test_browser_widget import NO_REPLY, REPLY_TIMEOUT_MS, open_widget, say
from tests.e2e.test_browser_widget import browser as browser  # the module's Chromium fixture, shared
from tests.e2e.test_channels_app import customers
from tests.e2e.test_handoff_conversations import DeskAgent
from tests.e2e.test_identity import fresh_app_chat

RATING_PAYLOAD = re.compile(r'^/rate\{"satisfaction": (\d)\}$')


def stored_ratings(stack: Stack, sender: str) -> list[float]:
    """The ``satisfaction`` slot events of the conversation since its latest restart (the app tests
    restart one conversation per customer), straight from the tracker store's table."""

    async def read() -> list[dict[str, Any]]:
        engine = create_async_engine(tracker_db_url(stack.env))
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    text(
                        "SELECT data FROM events WHERE sender_id = :sender"
                        " AND type_name IN ('slot', 'restart') ORDER BY id"
                    ),
                    {"sender": sender},
                )
                return [json.loads(row[0]) for row in rows]
        finally:
            await engine.dispose()

    ratings: list[float] = []
    # In a thread of its own: the browser test's Playwright keeps an event loop on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        events = pool.submit(asyncio.run, read()).result()
    for event in events:
        if event.get("event") == "restart":
            ratings = []
        elif event.get("name") == "satisfaction":
            ratings.append(event["value"])
    return ratings


def rating_buttons(replies: list[dict[str, Any]]) -> dict[str, str]:
    """Button title → payload of the rating question among the replies ({} when it was not asked)."""
    for reply in replies:
        buttons = reply.get("buttons") or []
        if buttons and all(RATING_PAYLOAD.match(str(b.get("payload"))) for b in buttons):
            return {b["title"]: b["payload"] for b in buttons}
    return {}


def app_ratings_today(stack: Stack, out: Path) -> int:
    """The analytics report command on the stack's stores: ratings of today's app conversations."""
    env = {**stack.env, "ANALYTICS_EMBEDDING": "tfidf"}
    command = [sys.executable, "-m", "analytics.report", "--out", str(out), "--days", "1"]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    with (out / "conversations.csv").open() as handle:
        rows = [row for row in csv.DictReader(handle) if row["channel"] == "app"]
    return sum(int(row["ratings"] or 0) for row in rows)


def test_app_shopper_taps_or_types_a_rating_and_the_report_counts_them(stack: Stack, tmp_path: Path) -> None:
    before = app_ratings_today(stack, tmp_path / "before")
    tapping, typing = (fresh_app_chat(stack, customer) for customer in customers(stack))

    assert "PayPal" in tapping.say("what payment methods do you accept?")
    thanked = tapping.send("thanks")
    assert thanked.status_code == 200, thanked.text[:300]
    buttons = rating_buttons(thanked.json())
    assert sorted(buttons) == ["1", "2", "3", "4", "5"], thanked.json()
    assert "Thank you for your rating" in tapping.say(buttons["5"])
    assert stored_ratings(stack, tapping.sender) == [5.0]

    assert "PayPal" in typing.say("which payment options do you accept")
    bye = typing.send("bye")
    assert rating_buttons(bye.json()), bye.json()
    assert "Thank you for your rating" in typing.say("4")  # typed, right after the question
    assert stored_ratings(stack, typing.sender) == [4.0]
    # Asked once per conversation: another thank-you gets no second question.
    assert rating_buttons(typing.send("thanks again").json()) == {}

    assert app_ratings_today(stack, tmp_path / "after") == before + 2


def test_ignoring_the_question_carries_on_and_nothing_is_stored(stack: Stack) -> None:
    chat = fresh_app_chat(stack, customers(stack)[0])
    chat.say("what payment methods do you accept?")
    assert rating_buttons(chat.send("bye").json())
    assert "refund" in chat.say("what is your refund policy?").lower()
    assert stored_ratings(stack, chat.sender) == []


def test_rating_after_an_agent_hands_the_conversation_back(stack: Stack) -> None:
    shopper = requests.post(f"{stack.rasa_url}/webhooks/rest/session", timeout=30).json()["sender"]
    webhook = f"{stack.rasa_url}/webhooks/rest/webhook"

    def send(message: str) -> list[dict[str, Any]]:
        reply = requests.post(webhook, json={"sender": shopper, "message": message}, timeout=30)
        assert reply.status_code == 200, reply.text[:300]
        return reply.json()

    assert "colleague" in " ".join(r.get("text", "") for r in send("I want to talk to a real person please"))
    agent = DeskAgent(stack)
    ticket = agent.ticket_for(shopper)
    agent.post(f"/tickets/{ticket['ticket_id']}/take")
    agent.post(f"/tickets/{ticket['ticket_id']}/messages", {"text": "Sorted, your parcel is on its way."})
    agent.post(f"/tickets/{ticket['ticket_id']}/close")
    polled: list[dict[str, Any]] = []
    for _ in range(100):  # the release reaches Rasa through the desk's relay
        polled = requests.get(
            f"{stack.rasa_url}/webhooks/rest/messages", params={"sender": shopper, "since": 0}, timeout=10
        ).json()
        if rating_buttons(polled):
            break
        time.sleep(0.2)
    assert rating_buttons(polled), polled
    answer = " ".join(r.get("text", "") for r in send("5 stars"))
    assert "Thank you for your rating" in answer
    assert stored_ratings(stack, shopper) == [5.0]


def test_web_shopper_clicks_a_rating_in_the_widget(stack: Stack, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page: Page = context.new_page()
    try:
        open_widget(page, stack.web_url)
        expect(say(page, "what payment methods do you accept?"), NO_REPLY).to_contain_text(
            "PayPal", timeout=REPLY_TIMEOUT_MS
        )
        say(page, "bye")
        four = page.locator(".rw-reply", has_text=re.compile(r"^4$"))
        expect(four).to_be_visible(timeout=REPLY_TIMEOUT_MS)
        expect(page.locator(".rw-reply")).to_have_count(5)
        four.click()
        expect(page.locator(".rw-message-text", has_text="Thank you for your rating")).to_be_visible(
            timeout=REPLY_TIMEOUT_MS
        )
        session = json.loads(page.evaluate("sessionStorage.getItem('chat_session')") or "{}")
    finally:
        context.close()
    assert stored_ratings(stack, session["session_id"]) == [4.0]
