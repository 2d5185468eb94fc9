"""May this conversation be personalised? The shopper's consent flag, as the shop's front end sent it.

The flag comes in the message metadata (`contracts/consent.py`: the web widget's hook, the app's
request body); a page sends it when its own consent banner is answered, so it need not ride on every
message. The newest message that carried one decides, and it is kept in the slot of the same name
(set by the actions that personalise, so the tracker shows what a personalised answer relied on).
Without any answer in the conversation, the shop's default applies (`PERSONALISATION_CONSENT_DEFAULT`,
no consent unless the shop set `granted`).

The flag is not identity: an anonymous visitor's consent is read too (it changes nothing without a
customer id), and consent alone never makes an anonymous visitor known. The backends check it again:
a request without it is never personalised, whatever customer id it carries.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.identity import app_customer_id
from contracts.consent import CONSENT_KEY, consent_of, default_consent, parse_consent

CONSENT_SLOT = CONSENT_KEY


# Where a conversation starts afresh (Rasa sends the action server every event, also older ones):
# an answer given before does not reach past it, like the slot, which is reset there too.
FRESH_START = frozenset({"restart", "session_started"})


def said_consent(tracker: Tracker) -> bool | None:
    """The newest flag a shopper's message carried in this conversation (since its last restart or
    new session), or None when none did."""
    for event in reversed(tracker.events):
        if event.get("event") in FRESH_START:
            break
        if event.get("event") == "user":
            found = consent_of(event.get("metadata"))
            if found is not None:
                return found
    return consent_of(tracker.latest_message.get("metadata"))


def personalisation_allowed(tracker: Tracker) -> bool:
    """The shopper's answer (newest message with the flag), else the slot, else the shop's default."""
    said = said_consent(tracker)
    if said is not None:
        return said
    kept = parse_consent(tracker.get_slot(CONSENT_SLOT))
    return kept if kept is not None else default_consent()


def personal_customer_id(tracker: Tracker) -> str | None:
    """The logged-in customer whose history may shape answers: only with their consent."""
    return app_customer_id(tracker) if personalisation_allowed(tracker) else None


def remember_consent(tracker: Tracker) -> list[EventType]:
    """Keeps the shopper's latest answer in the slot, when it is not there yet."""
    said = said_consent(tracker)
    if said is None or parse_consent(tracker.get_slot(CONSENT_SLOT)) is said:
        return []
    return [SlotSet(CONSENT_SLOT, said)]
