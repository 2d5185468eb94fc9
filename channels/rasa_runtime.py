"""A fix for the Rasa 3.6 server process: validate action-server responses without re-checking the schema.

Rasa validates every action server response with `jsonschema.validate(result, schema)`, which first
checks the *schema itself* against the JSON Schema meta-schema, on every call. Profiling our REST
turns (py-spy, see docs/benchmarks.md) showed that this meta-schema check took over half of the Rasa
server's CPU time per turn. Here the same schema is checked once and a compiled validator reused:
the same responses are accepted and the same `ValidationError` (with Rasa's hint) is raised.

Installed explicitly, once, by the process that runs the Rasa server (`install()`, called by
bot/rasa_server.py before Rasa's command line starts); importing this module changes nothing.
A Rasa started as plain `rasa run` works the same, only without the speed-up.
"""

from __future__ import annotations

import functools
from typing import Any

import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@functools.lru_cache(maxsize=1)
def action_response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    error = jsonschema.exceptions.best_match(action_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Replaces Rasa's per-call validation with `validate_action_result`; calling it again does nothing."""
    if RemoteAction._validate_action_result is validate_action_result:
        return
    RemoteAction._validate_action_result = validate_action_result
