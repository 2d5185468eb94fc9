"""The redacting tracker store (channels/tracker_redaction.py) with Rasa's own tracker objects and the
shop's domain, turn by turn as Rasa runs them: retrieve the tracker from the store, add the turn's
events, save. The stored rows must hold no e-mail, ZIP, phone or street in clear, and what later
turns read (the order number, the verified orders, an address change under way) must come back."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from rasa.core.tracker_store import SQLTrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig

from channels.tracker_redaction import RedactingSQLTrackerStore
from tests.support.postgres import postgres_server  # noqa: F401 - the PostgreSQL fixture

REPO = Path(__file__).resolve().parents[2]
ORDER, EMAIL, ZIP, PHONE, STREET = "10042", "jane.doe@example.com", "94107", "+1 415 555 0142", "12 Main Street"


def shows(stored_text: str, value: str) -> bool:
    """Whether `value` is in the stored text as itself: not as digits inside a longer number (an event's
    timestamp such as 1796650155.1794107 holds the ZIP 94107 by chance)."""
    return re.search(rf"(?<!\d){re.escape(value)}(?!\d)", stored_text) is not None


SENDER = "web-redaction-1"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "bot" / "domain.yml"))


def tracker_store_entry(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """The endpoints entry as bot/endpoints.yml (SQLite) or bot/endpoints.postgres.yml (PostgreSQL) has it."""
    entry: dict[str, Any] = {"type": "channels.tracker_redaction.RedactingSQLTrackerStore"}
    if request.param == "sqlite":
        return {**entry, "dialect": "sqlite", "db": str(tmp_path / "t.db")}
    url = urlsplit(request.getfixturevalue("postgres_server").create_database("tracker"))
    return {**entry, "dialect": "postgresql", "url": url.hostname, "port": url.port} | {
        "db": url.path.lstrip("/"),
        "username": url.username,
    }


@pytest.fixture(params=["sqlite", "postgres"])
def store(
    request: pytest.FixtureRequest, domain: Domain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> RedactingSQLTrackerStore:
    monkeypatch.setenv("TRACKER_REDACT", "on")
    created = create_tracker_store(EndpointConfig.from_dict(tracker_store_entry(request, tmp_path)), domain)
    assert isinstance(created, RedactingSQLTrackerStore), "Rasa fell back to another store"
    return created


def said(text: str, intent: str, entities: list[dict[str, Any]] | None = None, **metadata: Any) -> UserUttered:
    return UserUttered(
        text, {"name": intent, "confidence": 0.97}, entities or [], metadata=metadata, input_channel="socketio"
    )


async def turn(store: SQLTrackerStore, *events: Event) -> None:
    """One message as Rasa handles it: the tracker from the store, the turn's events, saved."""
    tracker = await store.get_or_create_tracker(SENDER)
    for event in events:
        tracker.update(event)
    await store.save(tracker)


def stored(store: SQLTrackerStore) -> str:
    """Every stored event's JSON, in order (through the store's own session: SQLite or PostgreSQL)."""
    with store.session_scope() as session:
        return "\n".join(data for (data,) in session.query(store.SQLEvent.data).order_by(store.SQLEvent.id))


def asking_proof() -> list[Event]:
    return [
        SlotSet("order_number", ORDER),
        SlotSet("pending_request", "track_order"),
        ActiveLoop("order_access_form"),
        SlotSet("requested_slot", "order_proof"),
        BotUttered("What is the e-mail address or ZIP code of the order?"),
    ]


def proven(answer: str) -> list[Event]:
    """The form's extraction and validation of one answer (actions/order_form.py), in the same turn."""
    return [
        SlotSet("order_proof", answer),
        SlotSet("order_proof", None),
        SlotSet("verified_orders", [ORDER]),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        BotUttered(f"Order {ORDER} was shipped, it should arrive on Friday."),
    ]


@pytest.mark.parametrize("answer", [ZIP, EMAIL])
async def test_an_order_question_with_proof_is_stored_masked_and_still_works(
    store: RedactingSQLTrackerStore, answer: str
) -> None:
    order = {"entity": "order_number", "value": ORDER, "start": 19, "end": 24}
    await turn(store, said(f"where is my order {ORDER}", "track_order", [order]), *asking_proof())
    # Worded so that only the form's context shows a ZIP code (contracts/redaction.py alone would not).
    await turn(
        store, said(f"hm, {answer} I think", "inform", [{"entity": "email", "value": EMAIL}] if "@" in answer else [])
    )
    tracker = await store.get_or_create_tracker(SENDER)
    assert tracker.get_slot("requested_slot") == "order_proof"
    for event in proven(answer):
        tracker.update(event)
    await store.save(tracker)
    await turn(store, said(f"call me on {PHONE}", "contact_human_agent", caller=PHONE))

    later = await store.retrieve(SENDER)
    assert later is not None
    assert later.get_slot("order_number") == ORDER
    assert later.get_slot("verified_orders") == [ORDER]
    assert later.active_loop_name is None
    rows = stored(store)
    for personal in (EMAIL, ZIP, PHONE, "415 555"):
        assert not shows(rows, personal)
    assert "[proof]" in rows and "[phone]" in rows
    assert ("[email]" if "@" in answer else "[postcode]") in rows
    assert f"where is my order {ORDER}" in rows  # an order number is no personal datum


async def test_an_address_change_keeps_its_address_until_it_is_done(
    store: RedactingSQLTrackerStore,
) -> None:
    request = f"please send order {ORDER} to {STREET}, Springfield, IL {ZIP}"
    address = [
        SlotSet("address_street", STREET),
        SlotSet("address_city", "Springfield"),
        SlotSet("address_postcode", ZIP),
    ]
    await turn(
        store,
        said(request, "change_shipping_address"),
        *address,
        SlotSet("awaiting_confirmation", "change_shipping_address"),
        BotUttered("Change the address to that? (yes/no)"),
    )
    # The yes comes in the next message: the address must still be there, as typed.
    tracker = await store.get_or_create_tracker(SENDER)
    assert [tracker.get_slot(s) for s in ("address_street", "address_city", "address_postcode")] == [
        STREET,
        "Springfield",
        ZIP,
    ]
    assert STREET in stored(store)
    tracker.update(said("yes", "affirm"))
    tracker.update(SlotSet("awaiting_confirmation", None))
    tracker.update(BotUttered("Done: the order goes to the new address."))
    await store.save(tracker)

    rows = stored(store)
    assert not shows(rows, STREET) and not shows(rows, ZIP) and not shows(rows, "Main Street")
    after = await store.retrieve(SENDER)
    assert after is not None and after.get_slot("address_street") == "[address]"
    assert json.loads(rows.splitlines()[0])["event"] in ("action", "user")


async def test_without_the_setting_the_store_is_rasas(
    domain: Domain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACKER_REDACT", raising=False)
    store = RedactingSQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "t.db"))
    await turn(store, said(f"it's {EMAIL}", "inform"), SlotSet("order_proof", EMAIL))
    assert EMAIL in stored(store)


class Broker:
    """Takes what the store publishes (an event broker's `publish`)."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


async def test_the_event_stream_gets_the_events_masked(
    domain: Domain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_REDACT", "on")
    broker = Broker()
    store = RedactingSQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "t.db"), event_broker=broker)
    await turn(store, said(f"where is my order {ORDER}", "track_order"), *asking_proof())
    await turn(store, said(f"hm, {ZIP} I think", "inform"), *proven(ZIP))

    assert [e["event"] for e in broker.published].count("user") == 2
    streamed = json.dumps(broker.published)
    assert not shows(streamed, ZIP) and "[postcode]" in streamed and "[proof]" in streamed
    assert {e["sender_id"] for e in broker.published} == {SENDER}
