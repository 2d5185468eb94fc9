"""A data-subject request against conversations written by Rasa's own SQL tracker store.

Runs in the Rasa venv: Rasa's `SQLTrackerStore` writes three conversations (an app user's, with the
customer id in the metadata as channels/app_rest.py puts it; a voice call with the caller's number;
someone else's) into a SQLite file; `python -m privacy` (services venv, a real process) exports and
erases by customer id and phone; Rasa then finds nothing left of the shopper's conversations, and
the other one intact. This pins what privacy/tracker_store.py assumes about Rasa's table layout and
event JSON."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from contracts.identity import CUSTOMER_ID_KEY

REPO = Path(__file__).resolve().parents[2]
SERVICES_PYTHON = REPO / ".venv-services" / "bin" / "python"
CUSTOMER, PHONE = "C-rasa-1", "+14155550199"
APP, VOICE, OTHER = "app-0123abcd", "voice-CA0001", "web-someone-else"
STORES = ("ORDERS", "PRICING", "RECS", "HANDOFF")  # the other stores: empty files here


def conversation(sender_id: str, metadata: dict[str, Any], text: str, channel: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender_id,
        [
            UserUttered(text, {"name": "track_order", "confidence": 0.98}, metadata=metadata, input_channel=channel),
            BotUttered("Which order is it about?"),
            SlotSet("email", "someone@example.com" if sender_id == OTHER else None),
        ],
    )


def privacy(command: str, tmp_path: Path, *args: str) -> dict[str, Any]:
    env = {
        "PATH": "/usr/bin:/bin",
        "ASSISTANT_VAR": str(tmp_path),
        "TRACKER_DB_URL": f"sqlite+aiosqlite:///{tmp_path / 'tracker.db'}",
        **{f"{name}_DB_URL": f"sqlite+aiosqlite:///{tmp_path / name.lower()}.sqlite" for name in STORES},
        "SMTP_HOST": "smtp.invalid",  # no demo outbox to search
    }
    done = subprocess.run(
        [str(SERVICES_PYTHON), "-m", "privacy", command, "--customer-id", CUSTOMER, "--phone", PHONE, *args],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_export_and_erase_conversations_rasa_wrote(tmp_path: Path) -> None:
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    await store.save(conversation(APP, {CUSTOMER_ID_KEY: CUSTOMER}, "Where is my order?", "app"))
    await store.save(conversation(VOICE, {"caller": "+1 415 555 0199", "asr_confidence": 0.9}, "my parcel", "voice"))
    await store.save(conversation(OTHER, {}, "hello", "socketio"))

    exported = privacy("export", tmp_path)
    found = {c["conversation_id"]: c for c in exported["stores"]["tracker_store"]["conversations"]}
    assert set(found) == {APP, VOICE}
    assert found[APP]["matched_by"] == ["app channel customer id"]
    assert found[VOICE]["matched_by"] == ["voice caller number"]
    assert [e["text"] for e in found[APP]["events"] if e["event"] == "user"] == ["Where is my order?"]

    dry = privacy("erase", tmp_path, "--dry-run")
    assert dry["stores"]["tracker_store"]["deleted"]["events"] > 0
    assert (await store.retrieve(APP)) is not None

    erased = privacy("erase", tmp_path)
    assert erased["stores"]["tracker_store"]["deleted"] == dry["stores"]["tracker_store"]["deleted"]
    for sender_id in (APP, VOICE):
        assert await store.retrieve(sender_id) is None
    other = await store.retrieve(OTHER)
    assert other is not None and other.latest_message is not None and other.latest_message.text == "hello"
    assert privacy("export", tmp_path)["stores"]["tracker_store"]["conversations"] == []
