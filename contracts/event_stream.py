"""The event stream's contract between Rasa (the publisher) and its consumers.

Rasa publishes every tracker event, as `{"sender_id": …, **event.as_dict()}` in JSON, to RabbitMQ's
durable fanout exchange `EXCHANGE` (channels/event_stream.py, `event_broker` in bot/endpoints.postgres.yml).
Each consumer has its own durable queue bound to it, declared by Rasa when it connects, so events
wait for a consumer that is not running yet. Delivery is at least once: a consumer acknowledges a
message only after it committed what it made of it, and recognises a message it has seen by
`event_key`. Standard library only: both venvs import it.

The shop's own events (a shopper viewed a product, put one in the cart, removed it, bought it) come
from the shop front-end through the recommendations backend's `POST /interactions`, which publishes
each one to a second durable fanout exchange, `SHOP_EXCHANGE`, as `{"event": "shop_interaction",
"interaction_id": …, **the interaction}`. The abandoned-cart detector reads them from `CARTS_QUEUE`
(backends/recommendations/shop_events.py); other consumers bind their own queue.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Durable, unlike Rasa's default `rasa-exchange`: a non-durable exchange and its bindings vanish when RabbitMQ
# restarts, and events published before every queue is bound again would be dropped as unroutable.
EXCHANGE = "assistant.events"
RECOMMENDATIONS_QUEUE = "assistant.recommendations"
ANALYTICS_QUEUE = "assistant.analytics"
STREAM_QUEUES = (RECOMMENDATIONS_QUEUE, ANALYTICS_QUEUE)  # the `queues:` of the endpoints entry, same order
SHOP_EXCHANGE = "shop.events"
SHOP_INTERACTION = "shop_interaction"  # the `event` of a shop event
CARTS_QUEUE = "assistant.carts"


def event_key(event: Mapping[str, Any]) -> str:
    """A stable id of one tracker event: conversation, type, timestamp and the rest of its body hashed.

    Rasa gives events no id; two events of one conversation with the same type, timestamp and body
    are the same event delivered twice."""
    body = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:32]


# The analytics copy of the stream: one JSON line `{"key", "event"}` per event in a file per UTC day
# (analytics/stream_events.py writes them, privacy/stream_files.py erases and expires them). Both sides
# change a file only while holding `stream_files_lock`, so a rewrite never drops a line appended meanwhile.
STREAM_DIR_VARIABLE = "ANALYTICS_STREAM_DIR"
STREAM_FILE_PREFIX = "events-"
STREAM_FILE_SUFFIX = ".jsonl"
STREAM_LOCK_FILE = ".lock"


def analytics_stream_dir(env: Mapping[str, str]) -> Path:
    """ANALYTICS_STREAM_DIR, default `$ASSISTANT_VAR/analytics-stream`."""
    return Path(env.get(STREAM_DIR_VARIABLE) or Path(env.get("ASSISTANT_VAR", "var")) / "analytics-stream")


def stream_file(directory: Path, day: str) -> Path:
    """The file of one UTC day (`YYYY-MM-DD`)."""
    return directory / f"{STREAM_FILE_PREFIX}{day}{STREAM_FILE_SUFFIX}"


@contextmanager
def stream_files_lock(directory: Path) -> Iterator[None]:
    """An exclusive lock on the directory's files across processes (flock on a lock file beside them)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / STREAM_LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
