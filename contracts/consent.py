"""The shopper's consent to personalisation: its one name on every wire, how a value is read, and the
shop's default when nobody said.

GDPR (art. 6(1)(a), and the ePrivacy rules behind cookie banners) allows profiling a shopper's
history for recommendations and prices only with their consent, so the flag travels with every
request that could be personalised: the shop's front end sets it in the message metadata (the web
widget's hook, the app's request body), the action server keeps it in the slot of the same name and
passes it to the recommendations, pricing and retention backends, which personalise only when it is
true. One name everywhere (`CONSENT_KEY`) keeps the channels, the actions and the backends from
drifting apart. Standard library only: both venvs import it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

CONSENT_KEY = "personalisation_consent"  # metadata key, slot name, backend query/body field
DEFAULT_VARIABLE = "PERSONALISATION_CONSENT_DEFAULT"  # the shop's default when the shopper said nothing
_TRUE = frozenset({"true", "1", "yes", "granted", "on"})
_FALSE = frozenset({"false", "0", "no", "denied", "off"})


def parse_consent(value: object) -> bool | None:
    """True or False for a clear answer (a JSON boolean or one of the usual words), None otherwise:
    a value we cannot read is no answer, never a yes."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def default_consent(env: Mapping[str, str] | None = None) -> bool:
    """The shop's setting for a shopper who has not answered: False unless the shop set `granted`
    (e.g. outside the GDPR's reach); an unreadable setting is False too, the safe side."""
    env = os.environ if env is None else env
    return parse_consent(env.get(DEFAULT_VARIABLE, "")) is True


def consent_of(metadata: object) -> bool | None:
    """The flag a message's metadata carries, or None when it carries none (or an unreadable one)."""
    if not isinstance(metadata, Mapping):
        return None
    return parse_consent(metadata.get(CONSENT_KEY))
