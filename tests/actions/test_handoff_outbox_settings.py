"""HANDOFF_OUTBOX_RETRY_S and ASSISTANT_VAR of the hand-off outbox: read when used, wrong values named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from actions.handoff_outbox import OutboxSettings, default_path
from settings_kit.settings import InvalidSetting


def test_defaults_and_the_queue_file_under_the_state_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    assert OutboxSettings.from_env({}).retry_every_s == 15.0
    assert OutboxSettings.from_env({"HANDOFF_OUTBOX_RETRY_S": "0.5"}).retry_every_s == 0.5
    monkeypatch.setenv("ASSISTANT_VAR", "/srv/shop/var")
    assert default_path() == Path("/srv/shop/var/handoff-outbox.sqlite")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "HANDOFF_OUTBOX_RETRY_S must be more than 0 and at most 3600 (got '0')"),
        ("soon", "HANDOFF_OUTBOX_RETRY_S must be a number (got 'soon')"),
    ],
)
def test_a_wrong_retry_interval_names_its_variable(value: str, message: str) -> None:
    with pytest.raises(InvalidSetting, match=re.escape(message)):
        OutboxSettings.from_env({"HANDOFF_OUTBOX_RETRY_S": value})
