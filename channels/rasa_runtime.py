"""What the Rasa 3.6 server process gets before it starts: a faster response validation, a tracker store
that fails loudly, and our metrics.

**Validation.**
Rasa validates every action server response with `jsonschema.validate(result, schema)`, which first
checks the *schema itself* against the JSON Schema meta-schema, on every call. Profiling our REST
turns (py-spy, see docs/benchmarks.md) showed that this meta-schema check took over half of the Rasa
server's CPU time per turn. Here the same schema is checked once and a compiled validator reused:
the same responses are accepted and the same `ValidationError` (with Rasa's hint) is raised.

**No in-memory fallback for the tracker store.** Rasa wraps the configured tracker store in a
`FailSafeTrackerStore`: when the database fails, a conversation is read as empty and saved to
memory instead, so during a PostgreSQL outage a shopper's message is answered out of context (the
order flow starts over) and the turns are gone when the database is back. Here the wrapper re-raises:
the turn fails, the channel guard answers "please try again" and logs the error, and the stored
conversation goes on where it was once the database is back (benchmarks/faults.py --stores postgres).

**Metrics.** Rasa builds its Sanic app in `rasa.core.run.configure_app` and offers no hook for more
routes or middlewares on it; `serve_application` looks that function up by name, so wrapping it adds
`GET /metrics` and the request metrics (channels/rasa_metrics.py) to the app the server runs.

Installed explicitly, once, by the process that runs the Rasa server (`install()`, called by
bot/rasa_server.py before Rasa's command line starts); importing this module changes nothing.
A Rasa started as plain `rasa run` works the same, only without the speed-up and the metrics.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jsonschema
import rasa.core.run
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, TrackerStore
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.domain import Domain
from sanic import Sanic

from channels import rasa_metrics


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


def raise_store_error(error: Exception) -> None:
    """FailSafeTrackerStore's error callback: the error reaches the channel guard instead of a fallback."""
    raise error


def tracker_store_without_memory_fallback(store: TrackerStore | None, domain: Domain) -> TrackerStore:
    """Rasa's `Agent._create_tracker_store`, with a fail-safe wrapper that does not fall back to memory."""
    if store is None:
        store = InMemoryTrackerStore(domain)
    else:
        store.domain = domain
    return FailSafeTrackerStore(store, on_tracker_store_error=raise_store_error)


def with_metrics(configure_app: Callable[..., Sanic]) -> Callable[..., Sanic]:
    """Rasa's `configure_app`, whose app also serves our metrics."""

    @functools.wraps(configure_app)
    def configure_app_with_metrics(*args: Any, **kwargs: Any) -> Sanic:
        return rasa_metrics.attach(configure_app(*args, **kwargs))

    configure_app_with_metrics.with_shop_metrics = True  # type: ignore[attr-defined]
    return configure_app_with_metrics


def install() -> None:
    """Replaces Rasa's per-call validation with `validate_action_result`, its tracker store's memory
    fallback with `tracker_store_without_memory_fallback`, and adds the metrics to the app Rasa
    builds; calling it again does nothing."""
    RemoteAction._validate_action_result = validate_action_result
    Agent._create_tracker_store = staticmethod(tracker_store_without_memory_fallback)
    if not getattr(rasa.core.run.configure_app, "with_shop_metrics", False):
        rasa.core.run.configure_app = with_metrics(rasa.core.run.configure_app)
