"""The event stream's contract between Rasa (the publisher) and its consumers.

Rasa publishes every tracker event, as `{"sender_id": …, **event.as_dict()}` in JSON, to RabbitMQ's
durable fanout exchange `EXCHANGE` (channels/event_stream.py, `event_broker` in bot/endpoints.postgres.yml).
Each consumer has its own durable queue bound to it, declared by Rasa when it connects, so events
wait for a consumer that is not running yet. Delivery is at least once: a consumer acknowledges a
message only after it committed what it made of it, and recognises a message it has seen by
`event_key`. Standard library only: both venvs import it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# Durable, unlike Rasa's default `rasa-exchange`: a non-durable exchange and its bindings vanish when RabbitMQ
# restarts, and events published before every queue is bound again would be dropped as unroutable.
EXCHANGE = "assistant.events"
RECOMMENDATIONS_QUEUE = "assistant.recommendations"
ANALYTICS_QUEUE = "assistant.analytics"
STREAM_QUEUES = (RECOMMENDATIONS_QUEUE, ANALYTICS_QUEUE)  # the `queues:` of the endpoints entry, same order


def event_key(event: Mapping[str, Any]) -> str:
    """A stable id of one tracker event: conversation, type, timestamp and the rest of its body hashed.

    Rasa gives events no id; two events of one conversation with the same type, timestamp and body
    are the same event delivered twice."""
    body = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:32]
