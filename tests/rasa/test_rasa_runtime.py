"""channels.rasa_runtime: same verdicts as Rasa's own validation, without the per-call schema check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import rasa.core.run
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from channels import rasa_runtime
from channels.rasa_runtime import validate_action_result

REPO = Path(__file__).resolve().parents[2]
VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "order_number", "value": "104532"}], "responses": [{"text": "hi"}]},
]
INVALID = [{"events": "not a list"}, {"events": [{"no_event_key": 1}]}]


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1/webhook"))


@pytest.fixture(autouse=True)
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed as bot/rasa_server.py does; monkeypatch puts Rasa's own method back afterwards."""
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(rasa.core.run, "configure_app", rasa.core.run.configure_app)
    monkeypatch.setattr(Agent, "_create_tracker_store", Agent.__dict__["_create_tracker_store"])
    rasa_runtime.install()


def test_the_fix_is_installed(action):
    assert RemoteAction._validate_action_result is validate_action_result


def test_installing_twice_changes_nothing():
    configure_app = rasa.core.run.configure_app
    rasa_runtime.install()
    assert RemoteAction._validate_action_result is validate_action_result
    assert rasa.core.run.configure_app is configure_app, "the metrics are added once"


def test_importing_the_channels_patches_nothing():
    """Only install() patches Rasa: a fresh interpreter importing every channel module keeps Rasa's method."""
    code = (
        "import channels.guard, channels.rest, channels.app_rest, channels.webchat, channels.voice_input, "
        "channels.handoff_relay, channels.rasa_runtime\n"
        "from rasa.core.actions.action import RemoteAction\n"
        "assert RemoteAction._validate_action_result.__module__ == 'rasa.core.actions.action'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})


@pytest.mark.parametrize("result", VALID)
def test_valid_results_pass_like_jsonschema(action, result):
    jsonschema.validate(result, RemoteAction.action_response_format_spec())
    assert action._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_results_fail_like_jsonschema(action, result):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(result)


class DownStore(InMemoryTrackerStore):
    """A tracker store whose database is down."""

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        raise ConnectionRefusedError("the database is down")

    async def save(self, tracker: DialogueStateTracker) -> None:
        raise ConnectionRefusedError("the database is down")


async def test_a_tracker_store_error_reaches_the_caller_instead_of_a_memory_fallback():
    """Rasa's own wrapper reads a failing store's conversation as empty and saves it in memory: the
    shopper is answered out of context and the turn is lost when the database is back."""
    domain = Domain.empty()
    store = Agent(domain=domain, tracker_store=DownStore(domain)).tracker_store
    with pytest.raises(ConnectionRefusedError):
        await store.retrieve("shopper")
    with pytest.raises(ConnectionRefusedError):
        await store.save(DialogueStateTracker("shopper", []))
    assert list(await store.fallback_tracker_store.keys()) == []  # nothing went to memory


async def test_a_working_tracker_store_is_used_as_it_is():
    domain = Domain.empty()
    store = Agent(domain=domain, tracker_store=InMemoryTrackerStore(domain)).tracker_store
    await store.save(DialogueStateTracker("shopper", []))
    assert (await store.retrieve("shopper")).sender_id == "shopper"
