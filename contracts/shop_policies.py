"""The shop's facts and settings (bot/shop_policies.yml), and the policy answers written with them.

Operators keep the facts of their shop (return window, fees, delivery times, contact details) and the
hand-off settings in bot/shop_policies.yml; the sentences that use them (policy answers, product-topic
answers, the messages when something goes wrong, the hand-off messages) are in the message catalogue
like every other sentence the shopper sees (bot/texts/<language>.yml, section ``policies``), with the
facts as {placeholders}. A changed fact reaches every sentence in every language; a sentence is reworded
or translated where all the others are. Both files are re-read when an operator edits them.

Shared by the action server (answers, messages, hand-off settings) and the Rasa process (the channels'
refusals and apologies, the voice gateway's spoken texts), so it lives in contracts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from contracts.texts import Catalogue, texts
from contracts.watched_files import WatchedFiles

logger = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "bot" / "shop_policies.yml"
# Where the sentences are in the catalogue: policies.answers.<intent>, policies.messages.<name>...
ANSWERS = "policies.answers"
PRODUCT_ANSWERS = "policies.product_answers"
MESSAGES = "policies.messages"


class _Facts(dict[str, Any]):
    """Leaves unknown {placeholders} visible instead of failing the whole answer."""

    def __missing__(self, key: str) -> str:
        logger.warning("shop policy text uses unknown placeholder {%s}", key)
        return "{" + key + "}"


@dataclass(frozen=True)
class ShopPolicies:
    facts: dict[str, Any]
    handoff: dict[str, Any] = field(default_factory=dict)  # human handoff settings (goodwill offer)
    catalogue: Callable[[], Catalogue] = texts  # the sentences, read when used (edits apply at once)

    def answer(self, intent: str) -> str | None:
        """The policy answer for an intent, or None when the catalogue has none."""
        return self._render(f"{ANSWERS}.{intent}")

    def message(self, key: str, **values: Any) -> str:
        """A message; `values` fill placeholders of their own besides the facts."""
        text = self._render(f"{MESSAGES}.{key}", values)
        if text is None:
            raise KeyError(f"the message catalogue has no message '{MESSAGES}.{key}'")
        return text

    def product_answer(self, topic: str) -> str | None:
        """The shop's general answer on a product topic (sizing, warranty, care...), or None."""
        return self._render(f"{PRODUCT_ANSWERS}.{topic}")

    def fact(self, key: str) -> Any:
        return self.facts.get(key)

    def _render(self, key: str, values: dict[str, Any] | None = None) -> str | None:
        catalogue = self.catalogue()
        if not catalogue.has(key):
            return None
        text = catalogue.template(key)
        if not text:
            return None
        if not isinstance(text, str):
            raise ValueError(f"catalogue message '{key}' must be a text, not plural forms")
        return text.format_map(_Facts({**self.facts, **(values or {})}))


class PolicyFile(WatchedFiles[ShopPolicies]):
    """The shop's policy file, re-read when an operator edits it; its sentences come from `catalogue`."""

    def __init__(self, path: Path, catalogue: Callable[[], Catalogue] = texts) -> None:
        super().__init__()
        self.path = path
        self.catalogue = catalogue

    def files(self) -> list[Path]:
        return [self.path]

    def load(self) -> ShopPolicies:
        data = yaml.safe_load(self.path.read_text()) or {}
        logger.info("loaded shop policies from %s", self.path)
        for moved in ("answers", "product_answers", "messages"):
            if data.get(moved):
                logger.warning(
                    "%s: '%s' is not read here any more: its sentences belong in bot/texts/<language>.yml",
                    self.path,
                    moved,
                )
        return ShopPolicies(facts=data.get("facts") or {}, handoff=data.get("handoff") or {}, catalogue=self.catalogue)


_policy_file = PolicyFile(Path(os.environ.get("SHOP_POLICIES", DEFAULT_PATH)))


def shop_policies() -> ShopPolicies:
    return _policy_file.get()
