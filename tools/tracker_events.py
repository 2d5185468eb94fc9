"""Generated conversations in Rasa's SQL tracker-store layout, for the analytics tests and benchmark.

Each conversation is what Rasa 3.6 writes for a short chat: `session_started`, then per shopper
message a `user` event (input channel, intent, the tone model's frustration in parse_data), the
action that answered it, a `bot` event and `action_listen`. Some conversations ask questions the
bot cannot answer (`nlu_fallback` → `action_fallback_rephrase`), some end with `action_handoff`,
some carry a `satisfaction` slot. Seeded: the same arguments give the same rows."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

Row = tuple[int, str, str, float, str | None, str | None, str]

ANSWERED = (
    ("track_order", "action_handle_order_request", "where is my order"),
    ("check_refund_policy", "action_answer_policy", "how do refunds work"),
    ("delivery_period", "action_delivery_period", "how long does delivery take"),
    ("greet", "utter_greet", "hello"),
    ("thank", "utter_noworries", "thanks"),
)
UNANSWERED = (
    "do you sell gift cards",
    "can I buy a gift card for my sister",
    "gift card balance",
    "is there a student discount",
    "do you offer a discount for students",
    "can I pick up my order in a store",
    "click and collect in store",
)
CHANNELS = ("rest", "socketio", "app", "voice")

CREATE = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT
)
"""


@dataclass(frozen=True)
class Mix:
    """Shares of conversations with a fallback, a hand-off, a rating; turns per conversation."""

    fallback: float = 0.3
    handoff: float = 0.1
    rated: float = 0.0
    turns: int = 3


def conversations(
    count: int, start: float, span_s: float, *, seed: int = 14, mix: Mix = Mix(), first_id: int = 1, prefix: str = "c"
) -> Iterator[Row]:
    """`count` conversations starting evenly over `span_s` seconds from `start` (epoch seconds); event
    ids from `first_id` and conversation ids `<prefix><number>`, so a second batch can follow a first."""
    chooser = random.Random(seed)
    next_id = first_id

    def row(
        sender: str, kind: str, at: float, data: dict[str, object], intent: str | None = None, action: str | None = None
    ) -> Row:
        nonlocal next_id
        next_id += 1
        return (next_id - 1, sender, kind, at, intent, action, json.dumps({"event": kind, "timestamp": at, **data}))

    for number in range(count):
        sender, channel = f"{prefix}{number:07d}", chooser.choice(CHANNELS)
        at = start + span_s * number / max(count, 1)
        yield row(sender, "session_started", at, {})
        yield row(sender, "action", at, {"name": "action_session_start"}, action="action_session_start")
        fallback_turn = chooser.randrange(mix.turns) if chooser.random() < mix.fallback else -1
        for turn in range(mix.turns):
            at += 5
            if turn == fallback_turn:
                intent, action, text = "nlu_fallback", "action_fallback_rephrase", chooser.choice(UNANSWERED)
            else:
                intent, action, text = chooser.choice(ANSWERED)
            score = round(chooser.random() ** 3, 3)
            parse = {
                "intent": {"name": intent, "confidence": 0.9},
                "text": text,
                "frustration": {"score": score, "frustrated": score >= 0.5, "source": "model"},
            }
            yield row(sender, "user", at, {"text": text, "parse_data": parse, "input_channel": channel}, intent=intent)
            yield row(sender, "action", at + 0.1, {"name": action}, action=action)
            yield row(sender, "bot", at + 0.2, {"text": "..."})
            yield row(sender, "action", at + 0.3, {"name": "action_listen"}, action="action_listen")
        if chooser.random() < mix.rated:
            rating = chooser.randint(1, 5)
            yield row(sender, "slot", at + 1, {"name": "satisfaction", "value": rating})
        if chooser.random() < mix.handoff:
            yield row(sender, "action", at + 2, {"name": "action_handoff"}, action="action_handoff")


def write(path: Path, rows: Iterator[Row], batch: int = 50_000) -> int:
    """Appends `rows` to the SQLite tracker store at `path` (created); returns how many were written."""
    written = 0
    with sqlite3.connect(path) as connection:
        connection.execute(CREATE)
        chunk: list[Row] = []
        for item in rows:
            chunk.append(item)
            if len(chunk) >= batch:
                written += _insert(connection, chunk)
                chunk = []
        written += _insert(connection, chunk)
    return written


def _insert(connection: sqlite3.Connection, rows: list[Row]) -> int:
    connection.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)
