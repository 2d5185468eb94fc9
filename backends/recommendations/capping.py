"""Frequency capping: do not tire a shopper with the same item or with list after list.

Pure decisions over counts the service reads from the exposure log, so they are easy to test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class CapConfig:
    item_max: int = 3  # an item is shown to one shopper at most this often ...
    item_window: timedelta = timedelta(hours=24)  # ... within this window
    lists_max: int = 5  # at most this many lists per conversation ...
    lists_window: timedelta = timedelta(hours=1)  # ... within this window


def capped_items(shown: Mapping[str, int], config: CapConfig) -> set[str]:
    """Items already shown `item_max` times in the window: they are left out of the next list."""
    return {item for item, count in shown.items() if count >= config.item_max}


def list_allowed(lists_in_window: int, config: CapConfig) -> bool:
    return lists_in_window < config.lists_max
