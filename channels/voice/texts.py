"""What the gateway itself says on a call (greeting, "I didn't catch that", ...).

The operator can override each text in bot/shop_policies.yml under ``messages`` with the key
``voice_<name>`` (facts like {shop_name} and {support_phone} work there); these are the defaults.
"""

from __future__ import annotations

import logging

from actions.shop_policies import shop_policies

logger = logging.getLogger(__name__)

DEFAULTS = {
    "greeting": "Hello, you're speaking with the {shop_name} assistant. How can I help?",
    "not_understood": "Sorry, I didn't catch that. Could you say it again?",
    "say_again": "Sorry about that. Please say it again, or type the number on your keypad and press hash.",
    "no_input": "Are you still there? You can ask me about an order, a delivery or a product.",
    "goodbye": "I haven't heard anything for a while, so I'll end the call now. Goodbye!",
    "assistant_error": "Sorry, something went wrong on my side. Please try again in a moment.",
    "missed_turns": "Sorry, you said more than I could keep up with, so I missed some of it. "
    "If I don't answer something, please say it again.",
    "time_limit": "We've reached the time limit for this call, so I'll end it now. "
    "Please call again if you need more help. Goodbye!",
}


def voice_text(name: str) -> str:
    """The operator's ``voice_<name>`` message if there is one, else the default with the shop's facts."""
    policies = shop_policies()
    try:
        return policies.message(f"voice_{name}")
    except KeyError:
        pass
    facts = {key: value for key, value in policies.facts.items() if isinstance(key, str)}
    try:
        return DEFAULTS[name].format(**{"shop_name": "shop", **facts})
    except (KeyError, IndexError, ValueError):
        logger.warning("voice text %s has a placeholder the shop facts lack; using it unfilled", name)
        return DEFAULTS[name]
