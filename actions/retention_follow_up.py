"""The medium retention tier's follow-up: when a known customer the retention backend scores `medium`
(likely to drift away, not yet worth a goodwill offer) thanks the assistant at the end of a request
(the `thank` rule in bot/data/rules.yml; a session with nothing asked yet is no finished request), it
offers one personal recommendation built on what they bought ("you bought X — Y goes with it").

Nobody is pestered: only with the shopper's consent to personalisation (no risk is even asked without
it), never inside a form or after a hand-off in the current episode, and at most once per
`RETENTION_FOLLOW_UP_CAP_DAYS` — the retention backend checks the cap and records the offer in one step
(`POST /customers/{id}/offers`, 409 when capped), so it survives restarts and counts in the retention
report's "offers made". Every backend is optional here: down or slow means no follow-up and a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend
from actions.consent import personalisation_allowed
from actions.identity import app_customer_id, verified_orders
from actions.retention import customer_risk
from contracts.frustration import current_episode
from contracts.orders import Order, OrderStatus
from contracts.satisfaction import session_events, was_helped
from contracts.texts import texts
from service_clients.orders import OrdersError
from service_clients.recommendations import RecommendationsUnavailable, RecommendedItem
from service_clients.retention import RetentionUnavailable

logger = logging.getLogger(__name__)

FOLLOW_UP_ACTION = "action_retention_follow_up"
MEDIUM = "medium"


@dataclass(frozen=True)
class Moment:
    """What the decision needs to know about the conversation right now."""

    consent: bool
    active_loop: str | None
    handed_off: bool
    helped: bool = True  # a request was answered in this session: the thank-you ends one


def may_follow_up(tier: str | None, moment: Moment) -> bool:
    """A follow-up only for the medium tier, with consent, after a request, outside forms and hand-offs
    (the cap is the backend's, checked last)."""
    return tier == MEDIUM and quiet_moment(moment)


def quiet_moment(moment: Moment) -> bool:
    """A moment a suggestion does not interrupt: consented, a request just finished, no form, no person."""
    return moment.consent and moment.helped and not moment.active_loop and not moment.handed_off


def moment_of(tracker: Tracker) -> Moment:
    return Moment(
        consent=personalisation_allowed(tracker),
        active_loop=(tracker.active_loop or {}).get("name"),
        handed_off=current_episode(session_events(tracker.events)).handed_off,
        helped=was_helped(tracker.events),
    )


def pick(items: Sequence[RecommendedItem], bought: Sequence[str]) -> RecommendedItem | None:
    """The best recommended item that is not one of the things they bought (by title)."""
    owned = {name.strip().lower() for name in bought}
    return next((item for item in items if item.title and item.title.strip().lower() not in owned), None)


async def last_purchase(tracker: Tracker) -> Order | None:
    """The identified customer's newest order: an app customer's, or an order this visitor proved is
    theirs (the newest verified one). None for anyone else, or when the orders backend cannot say."""
    customer = app_customer_id(tracker)
    try:
        if customer is not None:
            orders = await backend.orders_client().list_customer_orders(customer, 5)
            return next((o for o in orders if o.status != OrderStatus.CANCELLED and o.lines), None)
        verified = verified_orders(tracker)
        return await backend.orders_client().get_order(verified[-1]) if verified else None
    except OrdersError as error:
        logger.warning("no retention follow-up: the customer's orders are unavailable: %s", error)
        return None


class ActionRetentionFollowUp(Action):
    """After a thank-you: one personal recommendation for a medium-risk customer; otherwise nothing."""

    def name(self) -> str:
        return FOLLOW_UP_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        moment = moment_of(tracker)
        if not quiet_moment(moment):
            return []  # checked before any backend is asked: without consent not even the risk
        order = await last_purchase(tracker)
        if order is None:
            return []
        risk = await customer_risk(order.customer_id)
        if not may_follow_up(risk.tier if risk else None, moment):
            return []
        bought = [line.product_name for line in order.lines]
        try:
            listing = await backend.recommendations_client().recommend(
                order.customer_id, conversation_id=tracker.sender_id, k=5, consent=True
            )
        except RecommendationsUnavailable as error:
            logger.warning("no retention follow-up for %s: recommendations unavailable: %s", order.customer_id, error)
            return []
        item = pick(listing.items, bought)
        if item is None:
            return []
        try:
            if not await backend.retention_client().claim_follow_up(order.customer_id):
                return []  # within the cap: they had one recently
        except RetentionUnavailable as error:
            logger.warning("no retention follow-up for %s: cap unknown: %s", order.customer_id, error)
            return []
        dispatcher.utter_message(text=texts().text("retention.follow_up", bought=bought[0], product=item.title))
        return []
