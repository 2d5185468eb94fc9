"""The dialogue's numbers that only the action server sees: fallbacks, hand-offs and the outbox.

Counted where they happen (actions/conversation.py, actions/handoff.py); served on the action
server's /metrics (actions/observability.py) next to its request metrics.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

FALLBACKS = Counter(
    "shop_fallbacks_total",
    "Messages the assistant did not understand, by what it answered (rephrase, out_of_scope, human_offer).",
    ["answer"],
)
HANDOFFS = Counter(
    "shop_handoffs_total",
    "Hand-offs to a person, by reason, channel and outcome (ticket, queued in the outbox, rejected).",
    ["reason", "channel", "outcome"],
)
HANDOFF_FRUSTRATION = Histogram(
    "shop_handoff_frustration",
    "The conversation's frustration score (0..1) when it was handed to a person.",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
)
ACTION_SECONDS = Histogram(
    "shop_action_duration_seconds",
    "Time the action server took for one custom action, by action.",
    ["action"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
