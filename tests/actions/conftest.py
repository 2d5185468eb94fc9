"""Helpers to build rasa-sdk trackers for unit tests of the actions' own logic."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker

from contracts.identity import sender_id_for
from tests.actions.order_tests import SECRET


def make_tracker(
    text: str = "",
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    sender_id: str = "unit-test",
    input_channel: str = "rest",
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "metadata": metadata or {},
    }
    user_event = {"event": "user", "text": text, "input_channel": input_channel, "parse_data": latest}
    return Tracker(
        sender_id=sender_id,
        slots=slots or {},
        latest_message=latest,
        events=events if events is not None else [user_event],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture
def tracker_factory():
    return make_tracker


class _Down:
    """A backend client whose every call fails the way a stopped service does."""

    def __init__(self, error: type[Exception]) -> None:
        self.error = error

    def __getattr__(self, name: str):
        async def fail(*args, **kwargs):
            raise self.error(f"{name}: not running in unit tests")

        return fail


@pytest.fixture(autouse=True)
def optional_backends_down(monkeypatch):
    """Unit tests never reach a real pricing, recommendations or retention service (one may run on this machine);
    a test that wants one patches `actions.backend` itself."""
    from actions import backend
    from service_clients.pricing import PricingUnavailable
    from service_clients.recommendations import RecommendationsUnavailable
    from service_clients.retention import RetentionUnavailable

    monkeypatch.setattr(backend, "pricing_client", lambda: _Down(PricingUnavailable))
    monkeypatch.setattr(backend, "recommendations_client", lambda: _Down(RecommendationsUnavailable))
    monkeypatch.setattr(backend, "retention_client", lambda: _Down(RetentionUnavailable))


@pytest.fixture
def app_user(monkeypatch: pytest.MonkeyPatch, tracker_factory):
    """Trackers of the logged-in app customer C7, as the app channel delivers their messages."""
    monkeypatch.setenv("APP_JWT_SECRET", SECRET)
    monkeypatch.delenv("APP_SENDER_ID_KEY", raising=False)

    def make(consent: bool | None = None, **kwargs: Any):
        """`consent`: the personalisation flag the app sent with the message (None: none sent)."""
        metadata: dict[str, Any] = {"customer_id": "C7"}
        if consent is not None:
            metadata["personalisation_consent"] = consent
        return tracker_factory(metadata=metadata, input_channel="app", sender_id=sender_id_for("C7", SECRET), **kwargs)

    return make
