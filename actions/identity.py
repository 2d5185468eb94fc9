"""Who is asking, and may they see this order?

Identity is decided on every turn from signed data only: a logged-in app user's JWT (forwarded by
the app channel in the message metadata and verified again here), or, for anonymous visitors, the
list of order numbers they proved to own in this conversation (a slot only actions can set).

A token counts only when the message came in on the app channel AND the conversation is the one
the app channel derives from the token's customer: metadata can be written by other channels'
clients, so a token replayed through REST or socket.io proves nothing.
"""

from __future__ import annotations

import logging
import os

import jwt
from rasa_sdk import Tracker

from channels.app_auth import sender_id_for

logger = logging.getLogger(__name__)

VERIFIED_ORDERS_SLOT = "verified_orders"
APP_CHANNEL = "app"


def app_customer_id(tracker: Tracker) -> str | None:
    """The customer id of a logged-in app user, or None for an anonymous visitor."""
    metadata = tracker.latest_message.get("metadata") or {}
    token = metadata.get("app_jwt")
    if not token:
        return None
    secret = os.environ.get("APP_JWT_SECRET")
    if not secret:
        logger.error("APP_JWT_SECRET is not set on the action server: app users are treated as anonymous")
        return None
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError as error:
        logger.warning("rejected app token for sender %s: %s", tracker.sender_id, error)
        return None
    customer_id = str(claims["sub"])
    sender_key = os.environ.get("APP_SENDER_ID_KEY") or secret
    channel = tracker.get_latest_input_channel()
    if channel != APP_CHANNEL or tracker.sender_id != sender_id_for(customer_id, sender_key):
        logger.warning(
            "ignored an app token replayed on channel %s by sender %s (customer %s)",
            channel,
            tracker.sender_id,
            customer_id,
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
