"""What the tone of shoppers' messages looks like over time, for the operator's dashboard.

Rasa's sentiment annotator sends every shopper message here, so these count scored messages (web,
app and voice alike) and the distribution of their frustration scores.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram

MESSAGES_SCORED = Counter(
    "shop_messages_scored_total",
    "Shopper messages scored, by sentiment label and frustrated or not.",
    ["label", "frustrated"],
)
FRUSTRATION = Histogram(
    "shop_message_frustration",
    "Frustration score (0..1) of each scored shopper message.",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
)


def count_scored(results: list[dict[str, Any]]) -> None:
    for result in results:
        frustration = result["frustration"]
        MESSAGES_SCORED.labels(result["label"], "yes" if frustration["frustrated"] else "no").inc()
        FRUSTRATION.observe(frustration["score"])
