"""The conversation scripts (benchmarks/conversations/*.yml) and the demo orders they are played with.

A script lists conversations of turns, each with the text the shopper sends and what the reply must
contain; `{order.number}`-style placeholders are filled from a demo order of the wanted status
(the orders seed's index, var/demo-orders.json), so every run asks about orders that exist.
"""

from __future__ import annotations

import json
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT_DIR = REPO_ROOT / "benchmarks" / "conversations"
VAR_DIR = Path(os.environ.get("ASSISTANT_VAR", REPO_ROOT / "var"))
DEFAULT_ORDERS = VAR_DIR / "demo-orders.json"
PLACEHOLDER = re.compile(r"\{order\.(\w+)\}")
ORDER_FIELD_ALIASES = {"number": "order_number"}

Order = dict[str, Any]


@dataclass(frozen=True)
class Turn:
    """One user message and what its reply must contain."""

    user: str
    expect: tuple[str, ...] = ()
    calls_backend: bool = False


@dataclass(frozen=True)
class Conversation:
    """A scripted conversation; `order_status` selects a demo order for placeholders."""

    name: str
    turns: tuple[Turn, ...]
    weight: int = 1
    order_status: str | None = None

    def needs_order(self) -> bool:
        """True if any text refers to `{order.…}`."""
        texts = [t.user for t in self.turns] + [e for t in self.turns for e in t.expect]
        return self.order_status is not None or any(PLACEHOLDER.search(text) for text in texts)


@dataclass(frozen=True)
class Script:
    """All conversations for one target."""

    name: str
    conversations: tuple[Conversation, ...]


def _expect_tuple(value: object) -> tuple[str, ...]:
    """`expect` may be absent, one string, or a list of alternatives."""
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(_yaml_text(v) for v in value)
    return (_yaml_text(value),)


def _yaml_text(value: object) -> str:
    """A script string; YAML turns bare yes/no/on/off into booleans, so those must be quoted."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"{value!r} is not a string: quote it in the YAML")
    return str(value)


def parse_script(data: dict[str, Any], default_name: str = "script") -> Script:
    """Build a Script from the YAML structure (see conversations/starter.yml)."""
    conversations = []
    for i, conv in enumerate(data.get("conversations") or []):
        turns = tuple(
            Turn(
                user=_yaml_text(turn["user"]),
                expect=_expect_tuple(turn.get("expect")),
                calls_backend=bool(turn.get("calls_backend", False)),
            )
            for turn in conv["turns"]
        )
        if not turns:
            raise ValueError(f"conversation {i} has no turns")
        conversations.append(
            Conversation(
                name=str(conv.get("name", f"conversation {i}")),
                turns=turns,
                weight=int(conv.get("weight", 1)),
                order_status=conv.get("order_status"),
            )
        )
    if not conversations:
        raise ValueError("script has no conversations")
    return Script(name=str(data.get("name", default_name)), conversations=tuple(conversations))


def load_script(path: Path) -> Script:
    """Read a conversation script from YAML."""
    return parse_script(yaml.safe_load(path.read_text(encoding="utf-8")), path.stem)


def orders_by_status(data: object) -> dict[str, list[Order]]:
    """Status -> orders from the seed's index ({"statuses": {...}, "scenarios": {...}}).

    A bare `{status: [orders]}` object is accepted too, for hand-written order files.
    """
    if isinstance(data, dict) and isinstance(data.get("statuses"), dict):
        data = data["statuses"]
    if not isinstance(data, dict):
        raise TypeError("demo orders: expected an object status -> list of orders")
    return {str(status): list(orders) for status, orders in data.items() if isinstance(orders, list)}


def load_orders(path: Path) -> dict[str, list[Order]]:
    """Read the seed's demo orders: {order_number, email, postcode, customer_id} per status."""
    return orders_by_status(json.loads(path.read_text(encoding="utf-8")))


def pick_order(orders: dict[str, list[Order]], status: str | None, rng: random.Random) -> Order:
    """A demo order with the wanted status (any status if None)."""
    pool = list(orders.get(status, [])) if status else [o for group in orders.values() for o in group]
    if not pool:
        known = ", ".join(sorted(orders)) or "none"
        raise LookupError(f"no demo order with status {status!r} (statuses: {known})")
    return rng.choice(pool)


def fill_placeholders(text: str, order: Order | None) -> str:
    """Replace `{order.number}`, `{order.email}`, … with the order's fields."""

    def replace(match: re.Match[str]) -> str:
        if order is None:
            raise LookupError(f"{match.group(0)} used but no demo order is available")
        key = ORDER_FIELD_ALIASES.get(match.group(1), match.group(1))
        if key not in order:
            raise KeyError(f"{match.group(0)}: order has no field {key!r} (fields: {sorted(order)})")
        return str(order[key])

    return PLACEHOLDER.sub(replace, text)


def materialise(conv: Conversation, order: Order | None) -> Conversation:
    """The conversation with placeholders filled for one order."""
    turns = tuple(
        Turn(
            user=fill_placeholders(t.user, order),
            expect=tuple(fill_placeholders(e, order) for e in t.expect),
            calls_backend=t.calls_backend,
        )
        for t in conv.turns
    )
    return Conversation(conv.name, turns, conv.weight, conv.order_status)


def plan_conversations(script: Script, n: int, rng: random.Random) -> list[Conversation]:
    """n conversations in the proportions of their weights, in a seeded random order."""
    pool = [c for c in script.conversations for _ in range(max(c.weight, 0))]
    if not pool:
        raise ValueError("all conversation weights are 0")
    plan = [pool[i % len(pool)] for i in range(n)]
    rng.shuffle(plan)
    return plan
