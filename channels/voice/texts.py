"""What the gateway itself says on a call (greeting, "I didn't catch that", ...).

The words are the ``voice.<name>`` messages of the catalogue (bot/texts/<language>.yml, contracts/texts.py),
where the shop's facts (bot/shop_policies.yml) like {shop_name} and {support_phone} work as placeholders.
"""

from __future__ import annotations

import logging

from contracts.shop_policies import shop_policies
from contracts.texts import MissingText, texts

logger = logging.getLogger(__name__)


def voice_text(name: str) -> str:
    """The catalogue's ``voice.<name>`` message with the shop's facts filled in."""
    facts = {key: value for key, value in shop_policies().facts.items() if isinstance(key, str)}
    key = f"voice.{name}"
    try:
        return texts().text(key, **{"shop_name": "shop", **facts})
    except (MissingText, ValueError):
        if not texts().has(key):
            raise
        logger.warning("voice text %s has a placeholder the shop facts lack; using it unfilled", name)
        return str(texts().template(key))
