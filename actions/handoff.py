"""De-escalation and hand-off to a person (predicted by nlu/handoff_policy.py and by rules).

- `action_deescalate`: apologises without arguing, makes a goodwill offer where the operator turned
  it on (the pricing backend's budget decides; a larger one for a valuable customer at high risk of
  leaving, actions/retention.py), and offers a person.
- `acknowledge_if_upset`: the apology in front of the answer to the first upset message of an order
  question (the order form asks next, so the policy cannot apologise after the answer); it counts
  as the de-escalation (contracts/frustration.py), so a second upset message reaches a person.
- `action_handoff`: sends the desk a ticket with everything an agent needs (transcript, intent and
  entities, order, customer, sentiment history, frustration), then either pauses the bot while an
  agent takes over (`ConversationPaused`), or, outside agent hours, promises a follow-up by email.
  When the desk is down the request waits in the outbox and the shopper is told so.

Texts come from the message catalogue (`policies.messages` in bot/texts/<language>.yml), like every other text.
"""

from __future__ import annotations

import logging
from typing import Any

import pluggy
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend, retention
from actions.consent import personal_customer_id
from actions.identity import app_customer_id, may_see
from actions.metrics import HANDOFF_FRUSTRATION, HANDOFFS
from contracts.frustration import EXPLICIT_REQUEST_INTENT, Episode, current_episode, should_acknowledge
from contracts.orders import OrderReference
from contracts.orders_wire import order_reference_to_json
from contracts.shop_policies import shop_policies
from service_clients.handoff import DeskRejected, DeskUnavailable, HandoffTicket
from service_clients.orders import OrdersError
from service_clients.pricing import PricingUnavailable

logger = logging.getLogger(__name__)

TRANSCRIPT_LIMIT = 200  # newest events kept in a ticket; the tracker store keeps everything
# Intents that say nothing about the shopper's problem (the ticket names the last one that does).
NOT_A_PROBLEM = frozenset({"affirm", "deny", "greet", "goodbye", "thank", "inform", EXPLICIT_REQUEST_INTENT})
HANDOFF_OFFERED = "handoff"  # value of the awaiting_confirmation slot after offering a person
hookimpl = pluggy.HookimplMarker("rasa_sdk")


class ActionDeescalate(Action):
    def name(self) -> str:
        return "action_deescalate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        policies = shop_policies()
        parts = [policies.message("deescalate_apology")]
        await retention.record_signal(personal_customer_id(tracker), "frustration")  # profiling: with consent
        offer = await goodwill_offer(tracker)
        if offer:
            parts.append(policies.message("deescalate_goodwill", offer=offer))
        parts.append(policies.message("deescalate_offer_person"))
        dispatcher.utter_message(text=" ".join(parts))
        return [SlotSet("awaiting_confirmation", HANDOFF_OFFERED)]


def acknowledge_if_upset(dispatcher: CollectingDispatcher, tracker: Tracker, topic: str) -> bool:
    """Opens the reply with an apology (`acknowledge_upset.<topic>`, else `.default`) when the latest
    message is the episode's first upset one; the caller then serves the request as usual."""
    if not should_acknowledge(current_episode(tracker.events)):
        return False
    policies = shop_policies()
    try:
        text = policies.message(f"acknowledge_upset.{topic}")
    except KeyError:
        text = policies.message("acknowledge_upset.default")
    dispatcher.utter_message(text=text)
    return True


async def goodwill_offer(tracker: Tracker) -> str | None:
    """The pricing backend's apology coupon for a known customer, if the operator turned it on; sized
    to what is at stake for a valuable customer at high risk of leaving."""
    settings = shop_policies().handoff
    customer_id = app_customer_id(tracker)
    if not settings.get("goodwill_offer") or customer_id is None:
        return None
    pricing = backend.pricing_client()
    try:
        risk = await retention.customer_risk(personal_customer_id(tracker))  # sized by churn risk only with consent
        amount = retention.goodwill_amount(risk, await pricing.goodwill_budget() if risk and risk.high else None)
        offer = await pricing.goodwill(customer_id, "frustration", tracker.get_slot("order_number"), amount=amount)
        if offer is None and amount is not None:  # the larger amount did not fit this customer's budget
            offer = await pricing.goodwill(customer_id, "frustration", tracker.get_slot("order_number"))
    except PricingUnavailable as error:
        logger.warning("no goodwill offer, pricing backend unavailable: %s", error)
        return None
    if offer is None:
        return None
    await retention.record_offer(risk, offer.amount)
    return offer.explanation


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        start_outbox_retries()  # normally running since the server started; this covers other hosts
        request = await handoff_request(tracker)
        await retention.record_signal(personal_customer_id(tracker), "handoff")
        client = backend.handoff_client()
        done: list[EventType] = [ActiveLoop(None), SlotSet("awaiting_confirmation", None)]
        HANDOFF_FRUSTRATION.observe(request["frustration"])
        try:
            ticket = await client.create_handoff(request)
        except (DeskUnavailable, DeskRejected) as error:
            # Either way the shopper's request is kept; only an unavailable desk is worth retrying.
            rejected = str(error) if isinstance(error, DeskRejected) else None
            HANDOFFS.labels(request["reason"], request["channel"], "rejected" if rejected else "queued").inc()
            logger.error("hand-off for %s not taken by the desk, kept in the outbox: %s", tracker.sender_id, error)
            backend.handoff_outbox().put(request, rejected_because=rejected)
            dispatcher.utter_message(text=shop_policies().message("handoff_desk_down"))
            return done
        HANDOFFS.labels(request["reason"], request["channel"], "ticket").inc()
        dispatcher.utter_message(text=handoff_text(ticket, request))
        logger.info("hand-off of %s: ticket %s, %s", tracker.sender_id, ticket.ticket_id, ticket.status)
        if request["channel"] == "voice" and shop_policies().handoff.get("voice_transfer") == "phone":
            # The voice gateway ends the media stream; the telephony provider dials the shop's line.
            dispatcher.utter_message(json_message={"handoff": {"ticket_id": ticket.ticket_id}})
            return done
        return [*done, ConversationPaused()] if ticket.live else done


def start_outbox_retries() -> None:
    """Starts the outbox's retry loop on the running event loop (once per loop; safe to repeat).

    The action server starts it when it starts (`OutboxRetriesPlugin`); another entry point can call
    this from its own start hook."""
    backend.handoff_outbox().keep_retrying(backend.handoff_client().create_handoff)


class OutboxRetriesPlugin:
    """rasa-sdk calls `attach_sanic_app_extensions` on the app of every worker (registered by
    rasa_sdk_plugins.init_hooks): the retry loop starts with the server, so queued hand-offs go out
    after a restart or an outage without waiting for the next hand-off."""

    NAME = "handoff-outbox-retries"

    @hookimpl
    def attach_sanic_app_extensions(self, app: Any) -> None:
        async def start(*_: Any) -> None:
            start_outbox_retries()

        app.register_listener(start, "after_server_start")


def handoff_text(ticket: HandoffTicket, request: dict[str, Any]) -> str:
    policies = shop_policies()
    if not ticket.live:
        customer = request.get("customer") or {}
        email = customer.get("email") or customer.get("unverified_email")
        key = "handoff_follow_up" if email else "handoff_follow_up_no_email"
        return policies.message(key, ticket=ticket.ticket_id, email=email or "")
    if ticket.agents_online > 0:
        return policies.message("handoff_connecting", position=ticket.queue_position or 1)
    return policies.message("handoff_queued", position=ticket.queue_position or 1)


async def handoff_request(tracker: Tracker) -> dict[str, Any]:
    """What the desk stores in the ticket (the POST /api/handoffs body)."""
    episode = current_episode(tracker.events)
    intent, entities = problem_message(tracker)
    order, order_email = await order_in_question(tracker)
    customer = await customer_of(tracker)
    # Only a verified address may become the requester of an external ticket (which e-mails it
    # shopper-written text); one the shopper merely typed goes along marked unverified.
    customer["email"] = customer["email"] or order_email
    typed = latest_email(tracker)
    customer["unverified_email"] = typed if typed and typed != customer["email"] else None
    risk = await retention.customer_risk(personal_customer_id(tracker))
    customer["retention_tier"] = risk.tier if risk else None  # a valuable customer about to leave: sooner
    return {
        "conversation_id": tracker.sender_id,
        "channel": tracker.get_latest_input_channel() or "rest",
        "reason": handoff_reason(tracker, episode),
        "customer": customer,
        "order": order,
        "intent": intent,
        "entities": entities,
        "sentiment_history": [
            {"timestamp": message.timestamp, "score": message.sentiment_score, "label": message.sentiment_label}
            for message in episode.messages
        ],
        "frustration": round(episode.frustration, 3),
        "transcript": transcript(tracker.events),
    }


def handoff_reason(tracker: Tracker, episode: Episode) -> str:
    latest_intent = (tracker.latest_message.get("intent") or {}).get("name")
    if latest_intent in (EXPLICIT_REQUEST_INTENT, "affirm"):
        return "explicit_request"
    if episode.consecutive_not_understood >= 2:
        return "repeated_failure"
    return "frustration"


def problem_message(tracker: Tracker) -> tuple[str, list[dict[str, Any]]]:
    """The intent and entities of the newest message that says what the problem is."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        parse = event.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name") or ""
        if intent and intent not in NOT_A_PROBLEM:
            entities = [{"entity": e.get("entity"), "value": e.get("value")} for e in parse.get("entities") or []]
            return intent, entities
    return (tracker.latest_message.get("intent") or {}).get("name") or "", []


def transcript(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines = []
    for event in events:
        kind = event.get("event")
        if kind not in ("user", "bot") or not event.get("text"):
            continue
        agent = (event.get("metadata") or {}).get("agent")
        role = "user" if kind == "user" else ("agent" if agent else "bot")
        lines.append({"role": role, "text": event["text"], "timestamp": event.get("timestamp")})
    return lines[-TRANSCRIPT_LIMIT:]


async def customer_of(tracker: Tracker) -> dict[str, Any]:
    """A logged-in app customer as the order backend knows them; nothing for anonymous visitors."""
    customer_id = app_customer_id(tracker)
    customer: dict[str, Any] = {"id": customer_id, "email": None, "name": None}
    if customer_id:
        try:
            known = await backend.orders_client().customer(customer_id)
            customer.update(email=known.email, name=known.name)
        except OrdersError as error:
            logger.warning("customer %s not looked up for the ticket: %s", customer_id, error)
    return customer


async def order_in_question(tracker: Tracker) -> tuple[dict[str, Any] | None, str | None]:
    """The order the shopper was asking about, with its value and email when they may see it.

    The email counts as verified: the shopper proved they own the order (or it is their account's)."""
    number = tracker.get_slot("order_number")
    if not number:
        return None, None
    reference = OrderReference(str(number))
    try:
        found = await backend.orders_client().get_order(number, customer_id=app_customer_id(tracker))
    except OrdersError as error:
        logger.warning("order %s not looked up for the ticket: %s", number, error)
        return order_reference_to_json(reference), None
    if not may_see(tracker, found.number, found.customer_id):
        return order_reference_to_json(reference), None
    return order_reference_to_json(OrderReference.of(reference.number, found)), found.email


def latest_email(tracker: Tracker) -> str | None:
    """An email address the shopper wrote in the conversation, newest first."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        for entity in (event.get("parse_data") or {}).get("entities") or []:
            # "@": a message stored masked (TRACKER_REDACT=on) has "[email]" in place of the address.
            if entity.get("entity") == "email" and "@" in str(entity.get("value") or ""):
                return str(entity["value"])
    return None
