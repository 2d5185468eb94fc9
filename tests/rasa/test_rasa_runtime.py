"""channels.rasa_runtime: same verdicts as Rasa's own validation, without the per-call schema check."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

import channels.guard  # noqa: F401  (applies the fix, as the Rasa server does)
from channels.rasa_runtime import validate_action_result

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "order_number", "value": "104532"}], "responses": [{"text": "hi"}]},
]
INVALID = [{"events": "not a list"}, {"events": [{"no_event_key": 1}]}]


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_the_fix_is_installed(action):
    assert RemoteAction._validate_action_result is validate_action_result


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
