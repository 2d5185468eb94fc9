"""The abandoned-cart detector (backends/recommendations/abandoned_carts.py): which carts become one
message in the shopper's chat, over the service's real HTTP API and database (SQLite and PostgreSQL).

Rasa is replaced by a recording stand-in here (what it is asked is the detector's own logic); the
real trigger into a real widget is tests/e2e/test_abandoned_cart_browser.py. The one exception is
"Rasa down", which uses the real client against a port nobody listens on."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from backends.recommendations.abandoned_carts import (
    INTENT,
    PRODUCT_ENTITY,
    SHOPPER_ENTITY,
    AbandonedCart,
    AbandonedCarts,
    Cart,
    CartSettings,
    decide,
)
from backends.recommendations.api import CARTS
from backends.recommendations.app import TASKS, create_app
from backends.recommendations.db import make_engine, make_sessions
from backends.recommendations.demo import demo_items
from backends.recommendations.privacy import erase, export
from contracts.privacy import Subject
from service_clients.assistant import AssistantClient, ConversationState, said_after_last_user_event

TOKEN = "recs-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
AFTER = timedelta(seconds=60)
CHAT = "web-" + "1" * 32 + "." + "a" * 32  # as long as the web widget's signed ids (69)
OPEN = ConversationState(input_channel="socketio", active_form=None, paused=False)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 4, 10, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class RecordingAssistant(AssistantClient):
    """Rasa as the detector sees it: a conversation's state, and the triggers it was sent."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9", "unused")
        self.state = OPEN
        self.says_something = True
        self.triggered: list[tuple[str, str, dict[str, str]]] = []

    async def conversation(self, conversation_id: str) -> ConversationState:
        return self.state

    async def trigger_intent(self, conversation_id: str, intent: str, entities: Any) -> bool:
        self.triggered.append((conversation_id, intent, dict(entities)))
        return self.says_something


def settings(**values: Any) -> CartSettings:
    return CartSettings.from_env({"ABANDONED_CART_AFTER_S": "60", "ABANDONED_CART_CAP_H": "24", **values})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def assistant() -> RecordingAssistant:
    return RecordingAssistant()


@pytest.fixture
async def app(db_url: str, clock: Clock, assistant: RecordingAssistant) -> web.Application:
    return create_app(db_url, TOKEN, items=demo_items(), clock=clock, carts=settings(), assistant=assistant)


@pytest.fixture
async def client(aiohttp_client: Any, app: web.Application) -> TestClient:
    """The service without its timer: these tests settle carts themselves, on the test's clock."""
    started = await aiohttp_client(app)
    for task in app[TASKS]:
        if task.get_name() == "recs-abandoned-carts":
            task.cancel()
    return started


async def post(client: TestClient, kind: str, product: str = "aero-12", **extra: Any) -> None:
    body = {"customer_id": "C1", "product_id": product, "type": kind, **extra}
    response = await client.post("/interactions", json=body, headers=AUTH)
    assert response.status == 201, await response.text()


async def add_to_cart(client: TestClient, product: str = "aero-12", **extra: Any) -> None:
    await post(client, "add_to_cart", product, conversation_id=CHAT, **extra)


async def later(app: web.Application, clock: Clock, seconds: float) -> dict[str, int]:
    clock.now += timedelta(seconds=seconds)
    return await app[CARTS].settle_due()


# --------------------------------------------------------------------------- the rule itself


def cart(consent: bool | None = None) -> Cart:
    return Cart("C1", "aero-12", CHAT, consent, datetime(2026, 3, 4, 10, tzinfo=UTC))


@pytest.mark.parametrize(
    ("since", "consent", "last_sent", "expected"),
    [
        ([], None, None, "send"),
        ([("purchase", "aero-12")], None, None, "bought"),
        ([("purchase", "other")], None, None, "send"),  # bought something else: the cart is still left
        ([("remove_from_cart", "aero-12")], None, None, "removed"),
        ([], False, None, "no_consent"),
        ([], True, timedelta(hours=23), "capped"),
        ([], True, timedelta(hours=25), "send"),
    ],
)
def test_decide(since: list[tuple[str, str]], consent: bool | None, last_sent: timedelta | None, expected: str) -> None:
    now = datetime(2026, 3, 5, 12, tzinfo=UTC)
    sent_at = now - last_sent if last_sent else None
    assert decide(cart(consent), since, sent_at, now, timedelta(hours=24)) == expected


# --------------------------------------------------------------------------- through the service


async def test_an_abandoned_cart_triggers_one_message_with_the_product(
    client: TestClient, app: web.Application, clock: Clock, assistant: RecordingAssistant
) -> None:
    await add_to_cart(client)
    assert await later(app, clock, 30) == {}, "not before the delay"
    assert await later(app, clock, 31) == {"sent": 1}
    assert assistant.triggered == [(CHAT, INTENT, {PRODUCT_ENTITY: "aero-12", SHOPPER_ENTITY: "C1"})]
    assert await later(app, clock, 120) == {}, "a cart is settled once"


async def test_bought_or_removed_in_time_gives_nothing(
    client: TestClient, app: web.Application, clock: Clock, assistant: RecordingAssistant
) -> None:
    await add_to_cart(client, "aero-12")
    await add_to_cart(client, "merino-hiking-socks")
    clock.now += timedelta(seconds=10)
    await post(client, "purchase", "aero-12")
    await post(client, "remove_from_cart", "merino-hiking-socks")
    assert await later(app, clock, 60) == {"bought": 1, "removed": 1}
    assert assistant.triggered == []


async def test_one_message_per_shopper_within_the_cap_kept_across_a_restart(
    client: TestClient, app: web.Application, clock: Clock, assistant: RecordingAssistant
) -> None:
    await add_to_cart(client, "aero-12")
    assert await later(app, clock, 61) == {"sent": 1}
    await add_to_cart(client, "merino-hiking-socks")
    # A new detector on the same database (the service restarted) still knows the message was sent.
    restarted = AbandonedCarts(app[CARTS].sessions, settings(), assistant, clock)
    clock.now += timedelta(seconds=61)
    assert await restarted.settle_due() == {"capped": 1}
    clock.now += timedelta(hours=24)
    await add_to_cart(client, "granite-hiking-boots")
    assert await later(app, clock, 61) == {"sent": 1}, "after the cap a new cart may be mentioned"
    assert len(assistant.triggered) == 2


async def test_a_cart_found_hours_late_is_let_go(
    client: TestClient, app: web.Application, clock: Clock, assistant: RecordingAssistant
) -> None:
    """E.g. the service was down: a reminder six hours after it was due would not help."""
    await add_to_cart(client)
    assert await later(app, clock, 60 + 6 * 3600 + 1) == {"expired": 1}
    assert assistant.triggered == []


async def test_no_consent_or_no_chat_gives_nothing(
    client: TestClient, app: web.Application, clock: Clock, assistant: RecordingAssistant
) -> None:
    await add_to_cart(client, personalisation_consent=False)
    await post(client, "add_to_cart", "merino-hiking-socks")  # no conversation: nothing to watch
    assert await later(app, clock, 61) == {"no_consent": 1}
    assert assistant.triggered == []


@pytest.mark.parametrize(
    ("state", "outcome"),
    [
        (ConversationState(input_channel=None, active_form=None, paused=False), "no_chat"),
        (ConversationState(input_channel="socketio", active_form="address_form", paused=False), "form"),
        (ConversationState(input_channel="socketio", active_form=None, paused=True), "handoff"),
    ],
)
async def test_never_into_a_form_an_agents_chat_or_a_chat_never_opened(
    client: TestClient,
    app: web.Application,
    clock: Clock,
    assistant: RecordingAssistant,
    state: ConversationState,
    outcome: str,
) -> None:
    assistant.state = state
    await add_to_cart(client)
    assert await later(app, clock, 61) == {outcome: 1}
    assert assistant.triggered == []


async def test_a_trigger_the_action_declined_does_not_use_up_the_cap(
    client: TestClient, app: web.Application, clock: Clock, assistant: RecordingAssistant
) -> None:
    assistant.says_something = False  # e.g. the chat said no to personalisation
    await add_to_cart(client, "aero-12")
    assert await later(app, clock, 61) == {"declined": 1}
    assistant.says_something = True
    await add_to_cart(client, "merino-hiking-socks")
    assert await later(app, clock, 61) == {"sent": 1}


async def test_switched_off_nothing_is_watched(db_url: str, aiohttp_client: Any, clock: Clock) -> None:
    off = create_app(db_url, TOKEN, items=demo_items(), clock=clock, carts=settings(ABANDONED_CART="off"))
    client = await aiohttp_client(off)
    await add_to_cart(client)
    assert CARTS not in off
    engine = make_engine(db_url)
    try:
        async with make_sessions(engine)() as session:
            assert list(await session.scalars(select(AbandonedCart))) == []
    finally:
        await engine.dispose()


async def test_rasa_down_is_a_log_line_and_no_crash(
    db_url: str, aiohttp_client: Any, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = AssistantClient(f"http://127.0.0.1:{port}", "token", timeout_s=1.0, get_retries=0)
    app = create_app(db_url, TOKEN, items=demo_items(), clock=clock, carts=settings(), assistant=down)
    client = await aiohttp_client(app)
    await add_to_cart(client)
    with caplog.at_level(logging.WARNING, logger="backends.recommendations.abandoned_carts"):
        assert await later(app, clock, 61) == {"failed": 1}
    assert "the assistant is unavailable" in caplog.text
    health = await client.get("/health", headers=AUTH)
    assert health.status == 200


async def test_privacy_exports_and_erases_the_watched_carts(
    client: TestClient, app: web.Application, clock: Clock
) -> None:
    """Found by the chat's whole id, which is longer than the interaction log keeps."""
    await add_to_cart(client)
    sessions = app[CARTS].sessions
    subject = Subject(conversation_ids=frozenset({CHAT}))
    async with sessions() as session:
        exported = await export(session, subject)
    assert [row["product_id"] for row in exported["abandoned_carts"]] == ["aero-12"]
    assert [row["product_id"] for row in exported["interactions"]] == ["aero-12"]
    async with sessions() as session, session.begin():
        erased = await erase(session, subject)
    assert erased.deleted == {"abandoned_carts": 1, "interactions": 1}
    async with sessions() as session:
        assert list(await session.scalars(select(AbandonedCart))) == []


@pytest.mark.parametrize(
    ("events", "said"),
    [
        ([{"event": "user"}, {"event": "action"}, {"event": "bot"}, {"event": "action"}], True),
        ([{"event": "bot"}, {"event": "user"}, {"event": "action"}], False),  # only an older reply
        ([], False),
    ],
)
def test_whether_the_triggered_turn_said_anything(events: list[dict[str, str]], said: bool) -> None:
    assert said_after_last_user_event({"events": events}) is said
    assert said_after_last_user_event(None) is False


async def test_the_timer_settles_a_cart_when_it_is_due_not_at_the_next_look(db_url: str, aiohttp_client: Any) -> None:
    """On the real clock: a 0.3 s delay and a look only every 30 s; the message goes at about 0.3 s."""
    assistant = RecordingAssistant()
    timed = settings(ABANDONED_CART_AFTER_S="0.3", ABANDONED_CART_POLL_S="30")
    client = await aiohttp_client(create_app(db_url, TOKEN, items=demo_items(), carts=timed, assistant=assistant))
    posted = time.monotonic()
    await add_to_cart(client)
    while not assistant.triggered and time.monotonic() - posted < 5:
        await asyncio.sleep(0.02)
    took = time.monotonic() - posted
    assert assistant.triggered, "the cart was not settled"
    assert 0.3 <= took < 2.0, f"settled after {took:.2f} s"
