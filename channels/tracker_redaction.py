"""Rasa's SQL tracker store, writing conversations with personal data masked (TRACKER_REDACT=on).

Rasa keeps every event of a conversation in its tracker store: what the shopper typed, what the bot
answered, the entities and slot values, in clear. With TRACKER_REDACT=on this store masks them with
`contracts/redaction.py` (the rules the log lines are masked with) before they are written:

- every text of an event (user and bot texts, entity values, metadata such as the caller's number)
  through `redact` ("my mail is [email]");
- a message that answers the ownership proof or the address form's postcode (what the form asked for
  is in `requested_slot`) also loses the bare ZIP or postcode `redact` cannot tell from a number;
- slots whose whole value is personal (`WHOLE_VALUE_SLOTS`: the proof answer, the address parts, the
  emailed code) are stored as `[proof]`, `[address]`, `[postcode]`, `[code]`.

The order flow still works because Rasa rebuilds the tracker from the stored events on every message,
and what a later turn reads is not personal or is held back:

- the proof answer (`order_proof`) is checked by the backend in the turn it is given (the form's
  validation, actions/order_form.py) and reset; later turns read `verified_orders` (order numbers);
- the new address of an address change is read turns later (the form asks part by part, then a yes,
  then maybe an emailed code, actions/order_requests.py). While such a change is pending
  (`holding_address`), its slots and the message that asked for it are written in clear; the first
  save after it is done or dropped masks them, the rows already stored included (in the same
  transaction as the new events).

Rasa's `SQLTrackerStore.save` writes what `_additional_events` returns (the events not stored yet),
through `event.as_dict()` and `event.type_name` only: this store hands it masked copies. The memory
tracker of the running turn is not touched, so the actions of this turn see the values as typed.
The event stream (an event broker, channels/event_stream.py) is sent the masked events as well.

With TRACKER_REDACT unset or `off` the store is Rasa's own. endpoints::

    tracker_store:
      type: channels.tracker_redaction.RedactingSQLTrackerStore
      dialect: "sqlite"
      db: ${ASSISTANT_VAR}/tracker.db
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker, TrackerEventDiffEngine

from contracts.redaction import redact

logger = logging.getLogger(__name__)

ENABLED = ("on", "true", "1", "yes")
REQUESTED_SLOT = "requested_slot"
# Slots whose whole value is the personal datum: masked as a whole, whatever the rules would find.
WHOLE_VALUE_SLOTS = {
    "order_proof": "[proof]",
    "address_street": "[address]",
    "address_city": "[address]",
    "address_postcode": "[postcode]",
    "change_code": "[code]",
}
# Order numbers, read in later turns: the rules would take a 5-digit one for a ZIP code.
KEPT_SLOTS = frozenset({"order_number", "verified_orders", "change_order"})
# An answer to these questions may be a bare ZIP or postcode ("94107", "SW1A 1AA").
POSTCODE_QUESTIONS = ("order_proof", "address_postcode")
POSTCODE_LIKE = re.compile(r"(?<![\w-])(?=[A-Za-z]*\d)[A-Za-z0-9]{3,10}(?![\w-])")  # a word with a digit
# Values that name things, never a person: kept as they are (an id that looked like a number would
# otherwise be masked).
KEPT_KEYS = frozenset(
    {"event", "name", "policy", "entity", "extractor", "input_channel", "message_id", "role", "group"}
)
# The address change (actions/address_change.py, actions/order_requests.py) and what it reads later.
ADDRESS_CHANGE = "change_shipping_address"
ADDRESS_SLOTS = ("address_street", "address_city", "address_postcode")
ADDRESS_FORM, ORDER_ACCESS_FORM = "address_form", "order_access_form"


def redaction_enabled(env: dict[str, str] | None = None) -> bool:
    return (os.environ if env is None else env).get("TRACKER_REDACT", "").strip().lower() in ENABLED


def masked(value: Any, *, asked: str | None = None, key: str | None = None) -> Any:
    """Every string in `value` (a JSON tree) through `redact`; `asked` is the slot the form asked for
    when the shopper wrote it (its bare postcodes go too)."""
    if isinstance(value, str):
        if key in KEPT_KEYS:
            return value
        text = redact(value)
        return POSTCODE_LIKE.sub("[postcode]", text) if asked in POSTCODE_QUESTIONS else text
    if isinstance(value, dict):
        return {k: masked(v, asked=asked, key=k) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, asked=asked, key=key) for v in value]
    return value


def masked_event(data: dict[str, Any], *, asked: str | None = None) -> dict[str, Any]:
    """One event's JSON as it is stored: slots of `WHOLE_VALUE_SLOTS` as their placeholder, those of
    `KEPT_SLOTS` as they are."""
    if data.get("event") == "slot" and data.get("name") in KEPT_SLOTS:
        return data
    if data.get("event") == "slot" and data.get("name") in WHOLE_VALUE_SLOTS and data.get("value") is not None:
        return {**data, "value": WHOLE_VALUE_SLOTS[data["name"]]}
    return masked(data, asked=asked)


def holding_address(tracker: DialogueStateTracker) -> bool:
    """An address change is under way: its parts and the request that named them are read in later
    turns (the proof form first, then the address form, the yes, the emailed code)."""
    loop = tracker.active_loop_name
    return (
        loop == ADDRESS_FORM
        or (loop == ORDER_ACCESS_FORM and tracker.get_slot("pending_request") == ADDRESS_CHANGE)
        or ADDRESS_CHANGE in (tracker.get_slot("awaiting_confirmation"), tracker.get_slot("pending_change"))
    )


def is_address_event(data: dict[str, Any]) -> bool:
    if data.get("event") == "slot":
        return data.get("name") in ADDRESS_SLOTS
    intent = ((data.get("parse_data") or {}).get("intent") or {}).get("name")
    return data.get("event") == "user" and intent == ADDRESS_CHANGE


@dataclass(frozen=True)
class StoredEvent:
    """What `SQLTrackerStore.save` reads of an event: its type and its JSON."""

    type_name: str
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return self.data


def stored_events(tracker: DialogueStateTracker, new: list[Event], *, hold_address: bool) -> Iterator[StoredEvent]:
    """The new events as they are written. The slot the form asked for is followed from the start
    of the tracker's events (the stored ones of this session, then the new ones)."""
    asked: str | None = None
    first_new = len(tracker.events) - len(new)
    for index, event in enumerate(tracker.events):
        if index >= first_new:
            data = event.as_dict()
            if not (hold_address and is_address_event(data)):
                data = masked_event(data, asked=asked if data.get("event") == "user" else None)
            yield StoredEvent(event.type_name, data)
        if isinstance(event, SlotSet) and event.key == REQUESTED_SLOT:
            asked = event.value if isinstance(event.value, str) else None


class RedactingSQLTrackerStore(SQLTrackerStore):
    """Rasa's `SQLTrackerStore` (same table, same configuration keys), masking before it writes when
    TRACKER_REDACT is on. Reading is Rasa's: the stored placeholders are replayed as they are."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.redacting = redaction_enabled()
        logger.info("tracker store: personal data %s", "masked before writing" if self.redacting else "kept as written")

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """The event stream (channels/event_stream.py: recommendations, analytics) gets the events
        masked too, the address as well (no consumer needs it)."""
        if not self.redacting or self.event_broker is None:
            return await super().stream_events(tracker)
        old = await self.retrieve(tracker.sender_id)
        new = TrackerEventDiffEngine.event_difference(old, tracker)
        for event in stored_events(tracker, new, hold_address=False):
            self.event_broker.publish({"sender_id": tracker.sender_id, **event.data})
        return None

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Any]:
        new = list(super()._additional_events(session, tracker))
        if not self.redacting:
            return iter(new)
        hold = holding_address(tracker)
        if not hold:
            self._mask_held_rows(session, tracker.sender_id)
        return stored_events(tracker, new, hold_address=hold)

    def _mask_held_rows(self, session: Any, sender_id: str) -> None:
        """An address change is over: its rows written in clear are masked now (the slots are stored
        with their name in `action_name`, user events with their intent in `intent_name`)."""
        event = self.SQLEvent
        rows: Iterable[Any] = session.query(event).filter(
            event.sender_id == sender_id,
            ((event.type_name == "slot") & event.action_name.in_(ADDRESS_SLOTS))
            | ((event.type_name == "user") & (event.intent_name == ADDRESS_CHANGE)),
        )
        for row in rows:
            data = json.loads(row.data)
            stored = json.dumps(masked_event(data))
            if stored != row.data:
                row.data = stored
