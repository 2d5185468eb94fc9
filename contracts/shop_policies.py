"""The shop policy file (bot/shop_policies.yml), re-read whenever an operator edits it.

Shared by the action server (answers, messages, hand-off settings) and the Rasa process (the
channels' refusals and apologies, the voice gateway's spoken texts), so it lives in contracts.
"""

from __future__ import annotations

import logging
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from contracts.watched_files import WatchedFiles

logger = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "bot" / "shop_policies.yml"


class _Facts(dict[str, Any]):
    """Leaves unknown {placeholders} visible instead of failing the whole answer."""

    def __missing__(self, key: str) -> str:
        logger.warning("shop policy text uses unknown placeholder {%s}", key)
        return "{" + key + "}"


@dataclass(frozen=True)
class ShopPolicies:
    facts: dict[str, Any]
    answers: dict[str, Any]
    messages: dict[str, Any]
    product_answers: dict[str, Any] = field(default_factory=dict)
    handoff: dict[str, Any] = field(default_factory=dict)  # human handoff settings (goodwill offer)

    def answer(self, intent: str) -> str | None:
        """The policy answer for an intent, or None when the operator wrote none."""
        return self._render(self.answers.get(intent))

    def message(self, key: str, **values: Any) -> str:
        """A message; `values` fill placeholders of their own besides the facts."""
        text = self._render(self.messages.get(key), values)
        if text is None:
            raise KeyError(f"shop_policies.yml has no message '{key}'")
        return text

    def product_answer(self, topic: str) -> str | None:
        """The shop's general answer on a product topic (sizing, warranty, care...), or None."""
        return self._render(self.product_answers.get(topic))

    def fact(self, key: str) -> Any:
        return self.facts.get(key)

    def _render(self, entry: Any, values: dict[str, Any] | None = None) -> str | None:
        if not entry:
            return None
        text = random.choice(entry) if isinstance(entry, list) else str(entry)
        return text.format_map(_Facts({**self.facts, **(values or {})}))


class PolicyFile(WatchedFiles[ShopPolicies]):
    """The shop's policy file, re-read when an operator edits it."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def files(self) -> list[Path]:
        return [self.path]

    def load(self) -> ShopPolicies:
        data = yaml.safe_load(self.path.read_text()) or {}
        logger.info("loaded shop policies from %s", self.path)
        return ShopPolicies(
            facts=data.get("facts") or {},
            answers=data.get("answers") or {},
            messages=data.get("messages") or {},
            product_answers=data.get("product_answers") or {},
            handoff=data.get("handoff") or {},
        )


_policy_file = PolicyFile(Path(os.environ.get("SHOP_POLICIES", DEFAULT_PATH)))


def shop_policies() -> ShopPolicies:
    return _policy_file.get()
