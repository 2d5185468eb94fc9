"""Ticket priority (1 low … 4 urgent) from frustration and order value, and the extractive summary.

Each threshold crossed adds one level: frustration ≥ 0.5 and ≥ 0.8, order total ≥ 100 and ≥ 500 (in
the order's own currency; thresholds set by HANDOFF_PRIORITY_FRUSTRATION / _ORDER_VALUE), and a
customer in the retention backend's `high` tier (valuable, likely to leave) adds one more. So an
angry shopper with a 600 € order is urgent (4), a calm one with a 20 € order is low (1)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

NAMES = {1: "low", 2: "normal", 3: "high", 4: "urgent"}
SENTENCE = re.compile(r"(?<=[.!?])\s+")
# Words that mark the sentence carrying the problem rather than small talk.
PROBLEM_WORDS = re.compile(
    r"\b(not|never|no|still|wrong|broken|damaged|late|missing|refund|cancel|return|charged|twice|where|why|"
    r"help|problem|issue|complain\w*|angry|ridiculous|terrible|waiting|lost|didn'?t|hasn'?t|isn'?t|can'?t|won'?t)\b",
    re.IGNORECASE,
)
MAX_SENTENCE = 160
KEY_SENTENCES = 2


@dataclass(frozen=True)
class PriorityRules:
    frustration: tuple[float, float] = (0.5, 0.8)
    order_value: tuple[float, float] = (100.0, 500.0)
    retention_tiers: frozenset[str] = frozenset({"high"})  # tiers whose tickets go up one level

    def priority(self, frustration: float, order: Mapping[str, Any] | None, retention_tier: str | None = None) -> int:
        level = 1 + sum(frustration >= limit for limit in self.frustration)
        level += retention_tier in self.retention_tiers
        total = order_total(order)
        if total is not None:
            level += sum(total >= Decimal(str(limit)) for limit in self.order_value)
        return min(4, level)


def order_total(order: Mapping[str, Any] | None) -> Decimal | None:
    if not order or order.get("total") is None:
        return None
    try:
        return Decimal(str(order["total"]))
    except InvalidOperation:
        return None


def summarise(
    intent: str | None,
    order: Mapping[str, Any] | None,
    entities: Sequence[Mapping[str, Any]],
    transcript: Sequence[Mapping[str, Any]],
) -> str:
    """ "Intent: track_order. Order #104532 (shipped, 59.90 USD). Shopper: "…" "…"" — at most two sentences
    of the shopper's, chosen for naming the order/entities or a problem, later ones preferred."""
    parts = []
    if intent:
        parts.append(f"Intent: {intent}.")
    if order and order.get("number"):
        details = [str(order["status"])] if order.get("status") else []
        if order.get("total") is not None:
            details.append(f"{order['total']} {order.get('currency') or ''}".strip())
        parts.append(f"Order #{order['number']}" + (f" ({', '.join(details)})." if details else "."))
    terms = [str(e["value"]) for e in entities if isinstance(e.get("value"), str | int | float)]
    quotes = key_sentences(transcript, terms + _order_terms(order))
    if quotes:
        parts.append("Shopper: " + " ".join(f'"{q}"' for q in quotes))
    return " ".join(parts) or "The shopper asked for a human agent."


def key_sentences(transcript: Sequence[Mapping[str, Any]], terms: Sequence[str]) -> list[str]:
    sentences: list[tuple[float, int, str]] = []
    user_lines = [line["text"] for line in transcript if line.get("role") == "user" and line.get("text")]
    for index, line in enumerate(user_lines):
        for sentence in SENTENCE.split(str(line).strip()):
            words = sentence.split()
            if len(words) < 3 or sentence.startswith("/"):
                continue  # greetings, "yes", button payloads
            score: float = len(PROBLEM_WORDS.findall(sentence)) + 2 * sum(
                1 for term in terms if term and term.lower() in sentence.lower()
            )
            score += index / max(1, len(user_lines))  # the latest lines describe the problem best
            sentences.append((score, len(sentences), _clip(sentence)))
    best = sorted(sentences, key=lambda item: -item[0])[:KEY_SENTENCES]
    return [text for _, _, text in sorted(best, key=lambda item: item[1])]


def _order_terms(order: Mapping[str, Any] | None) -> list[str]:
    return [str(order["number"])] if order and order.get("number") else []


def _clip(sentence: str) -> str:
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= MAX_SENTENCE else sentence[: MAX_SENTENCE - 1].rstrip() + "…"
