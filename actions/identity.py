"""Who is asking, and may they see this order?

Identity is decided on every turn from data only a trusted part can write: a logged-in app
user's customer id, verified by the app channel (channels/app_rest.py, on the one app token policy
in contracts/identity.py) and put in the message metadata by it; or, for anonymous
visitors, the list of order numbers they proved to own in this conversation (a slot only actions
can set).

The action server does not see or check the token: it accepts calls only from Rasa, authenticated
with ACTIONS_API_TOKEN (actions/server.py), so the tracker it is sent is Rasa's. A customer id still
counts only when the message came in on the app channel AND the conversation is the one the app
channel derives from that customer: every other channel drops identity keys from its clients'
metadata (channels/guard.py), and this check holds even if one of them forgot to.
"""

from __future__ import annotations

import logging
import os

from rasa_sdk import Tracker

from contracts.identity import APP_CHANNEL, CUSTOMER_ID_KEY, sender_id_for

logger = logging.getLogger(__name__)

VERIFIED_ORDERS_SLOT = "verified_orders"


def app_customer_id(tracker: Tracker) -> str | None:
    """The customer id of a logged-in app user, or None for an anonymous visitor."""
    metadata = tracker.latest_message.get("metadata") or {}
    customer_id = metadata.get(CUSTOMER_ID_KEY)
    if not isinstance(customer_id, str) or not customer_id:
        return None
    sender_key = os.environ.get("APP_SENDER_ID_KEY") or os.environ.get("APP_JWT_SECRET")
    if not sender_key:
        logger.error("APP_JWT_SECRET is not set on the action server: app users are treated as anonymous")
        return None
    channel = tracker.get_latest_input_channel()
    if channel != APP_CHANNEL or tracker.sender_id != sender_id_for(customer_id, sender_key):
        logger.warning(
            "ignored a customer id claimed on channel %s by sender %s (not the app channel's conversation of it)",
            channel,
            tracker.sender_id,
        )
        return None
    return customer_id


def verified_orders(tracker: Tracker) -> list[str]:
    return list(tracker.get_slot(VERIFIED_ORDERS_SLOT) or [])


def needs_no_proof(tracker: Tracker, order_number: str | None) -> bool:
    """True when the shopper may ask about this order without proving ownership (again).

    App users need none (the backend scopes their lookups to their own orders); anonymous
    visitors need none for orders they already proved. `may_see` still checks the real order.
    """
    if app_customer_id(tracker) is not None:
        return True
    return bool(order_number) and order_number in verified_orders(tracker)


def may_see(tracker: Tracker, order_number: str, order_customer_id: str) -> bool:
    """App users see only their own orders; anonymous visitors only orders they proved to own."""
    customer_id = app_customer_id(tracker)
    if customer_id is not None:
        return str(order_customer_id) == customer_id
    return order_number in verified_orders(tracker)
