"""Seed every store of the stack with shoppers for the privacy tests and benchmark (not product code).

Each shopper gets what the stack would hold after some weeks of use: a customer with orders (lines,
a shipment with tracking events, an invoice, a refund, audit entries, a failed proof, a one-time
code and its mail), a tier, a goodwill coupon and its redemption, a quote audit, recommendation
interactions, lists and a conversion, a hand-off ticket with messages, retention events, a churn
score and a retention offer, and three conversations in
the tracker store written the way Rasa's SQL tracker store writes them: one on the app channel
(the customer id in the user events' metadata), one on the web widget where the shopper types
their e-mail, one voice call (the caller's number in the metadata). Rows are inserted in bulk so a
store of realistic size is quick to build."""

from __future__ import annotations

import json
import mailbox
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from backends.orders import models as orders
from backends.pricing import models as pricing
from backends.recommendations import tables as recommendations
from backends.retention import tables as retention
from handoff import models as handoff
from privacy import tracker_store
from privacy.requests import Stores

EPOCH = datetime(2026, 10, 1, 9, 0, 0)
ORDERS_PER_SHOPPER = 3


@dataclass(frozen=True)
class Shopper:
    """The personal data of one seeded shopper: what an export must find and an erase must remove."""

    index: int

    @property
    def customer_id(self) -> str:
        return f"C{self.index:06d}"

    @property
    def email(self) -> str:
        return f"shopper{self.index}.privacy@example.com"

    @property
    def name(self) -> str:
        return f"Robin Tester{self.index}"

    @property
    def phone(self) -> str:
        return f"+1415{self.index:07d}"

    @property
    def street(self) -> str:
        return f"{self.index} Lantern Street"

    @property
    def city(self) -> str:
        return "Springfield"

    @property
    def postcode(self) -> str:
        return f"{10000 + self.index % 89999:05d}"

    @property
    def order_numbers(self) -> list[int]:
        return [100000 + self.index * ORDERS_PER_SHOPPER + k for k in range(ORDERS_PER_SHOPPER)]

    def invoice_number(self, order_number: int) -> str:
        return f"INV-{order_number}"

    @property
    def conversations(self) -> dict[str, str]:
        return {"app": f"app-{self.index:08x}", "web": f"web-{self.index:08x}", "voice": f"voice-CA{self.index:08x}"}

    @property
    def personal_values(self) -> list[str]:
        """Strings that must not appear anywhere in an export after erasure."""
        return [self.email, self.name, self.phone, self.street, *self.conversations.values(), self.customer_id]


async def seed(stores: Stores, shoppers: list[Shopper]) -> None:
    """Creates the tables (as each service and Rasa would) and inserts the shoppers' rows."""
    rows: dict[str, dict[Any, list[dict[str, Any]]]] = {
        "orders": defaultdict(list),
        "pricing": defaultdict(list),
        "recommendations": defaultdict(list),
        "handoff": defaultdict(list),
        "retention": defaultdict(list),
        "tracker": defaultdict(list),
    }
    for shopper in shoppers:
        _orders(rows["orders"], shopper)
        _pricing(rows["pricing"], shopper)
        _recommendations(rows["recommendations"], shopper)
        _handoff(rows["handoff"], shopper)
        _retention(rows["retention"], shopper)
        _tracker(rows["tracker"], shopper)
    for engine, metadata, name in (
        (stores.orders, orders.Base.metadata, "orders"),
        (stores.pricing, pricing.Base.metadata, "pricing"),
        (stores.recommendations, recommendations.Base.metadata, "recommendations"),
        (stores.handoff, handoff.Base.metadata, "handoff"),
        (stores.retention, retention.Base.metadata, "retention"),
        (stores.tracker, tracker_store.metadata, "tracker"),
    ):
        await _insert(engine, metadata, rows[name])
    if stores.mail_dir is not None:
        box = mailbox.Maildir(stores.mail_dir, create=True)
        for shopper in shoppers:
            mail = EmailMessage()
            mail["To"] = shopper.email
            mail["Subject"] = f"Your code for order {shopper.order_numbers[0]}"
            mail["Date"] = "Thu, 01 Oct 2026 09:00:00 +0000"
            mail.set_content("Your code is 123456.")
            box.add(mail)


async def _insert(engine: AsyncEngine, metadata: Any, rows: dict[Any, list[dict[str, Any]]]) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        for table in metadata.sorted_tables:
            for model, batch in rows.items():
                if _table_of(model) is table and batch:
                    await connection.execute(insert(table), batch)


def _table_of(model: Any) -> Any:
    return getattr(model, "__table__", model)


def _orders(rows: dict[Any, list[dict[str, Any]]], s: Shopper) -> None:
    at = EPOCH + timedelta(minutes=s.index)
    rows[orders.Customer].append(
        {
            "id": s.customer_id,
            "name": s.name,
            "email": s.email,
            "postcode": s.postcode,
            "tier": "standard",
            "created_at": at,
        }
    )
    rows[orders.AuditEntry].append(
        {
            "at": at,
            "actor": "bot",
            "entity": "customer",
            "entity_id": s.customer_id,
            "action": "update",
            "field": "email",
            "old_value": f"old.{s.email}",
            "new_value": s.email,
        }
    )
    for k, number in enumerate(s.order_numbers):
        money = Decimal("40.00") + k
        rows[orders.Order].append(
            {
                "number": number,
                "customer_id": s.customer_id,
                "email": s.email,
                "status": "delivered",
                "placed_at": at,
                "paid_at": at,
                "delivered_at": at + timedelta(days=3),
                "cancelled_at": None,
                "updated_at": at,
                "currency": "USD",
                "subtotal": money,
                "shipping_cost": Decimal("5.00"),
                "tax": Decimal("3.20"),
                "total": money + Decimal("8.20"),
                "payment_method": "card",
                "delivery_option": "standard",
                "ship_name": s.name,
                "ship_line1": s.street,
                "ship_line2": "Flat 2",
                "ship_city": s.city,
                "ship_postcode": s.postcode,
                "ship_country": "US",
            }
        )
        rows[orders.OrderLine].append(
            {
                "id": number,
                "order_number": number,
                "sku": f"SKU-{k}",
                "product_name": "Trail runner",
                "colour": "blue",
                "size": "42",
                "quantity": 1,
                "unit_price": money,
            }
        )
        rows[orders.Shipment].append(
            {
                "id": number,
                "order_number": number,
                "carrier": "UPS",
                "tracking_number": f"1Z{number}",
                "shipped_at": at,
                "eta": None,
                "delivered_at": at + timedelta(days=3),
            }
        )
        rows[orders.TrackingEvent].append(
            {
                "id": number,
                "shipment_id": number,
                "occurred_at": at,
                "location": s.city,
                "description": f"Delivered to {s.name}",
            }
        )
        rows[orders.Invoice].append(
            {
                "id": number,
                "number": s.invoice_number(number),
                "order_number": number,
                "issued_at": at,
                "currency": "USD",
                "subtotal": money,
                "shipping_cost": Decimal("5.00"),
                "tax": Decimal("3.20"),
                "total": money + Decimal("8.20"),
            }
        )
        rows[orders.InvoiceLine].append(
            {
                "id": number,
                "invoice_id": number,
                "description": "Trail runner",
                "quantity": 1,
                "unit_price": money,
                "amount": money,
            }
        )
        rows[orders.AuditEntry].append(
            {
                "at": at,
                "actor": "bot",
                "entity": "order",
                "entity_id": str(number),
                "action": "update",
                "field": "ship_line1",
                "old_value": "1 Old Road",
                "new_value": s.street,
            }
        )
        rows[orders.ChangeCode].append(
            {
                "order_number": number,
                "purpose": "cancel",
                "code_hash": "0" * 64,
                "created_at": at,
                "expires_at": at + timedelta(minutes=10),
                "attempts": 0,
                "used_at": None,
            }
        )
    first = s.order_numbers[0]
    rows[orders.Refund].append(
        {
            "id": first,
            "order_number": first,
            "kind": "return",
            "amount": Decimal("40.00"),
            "currency": "USD",
            "status": "refunded",
            "reason": f"Too small, call me on {s.phone}",
            "requested_at": at,
            "decided_at": at,
            "refunded_at": at,
        }
    )
    rows[orders.ProofFailure].append({"scope": "order", "key": str(first), "at": at})
    rows[orders.ProofLockout].append(
        {"scope": "order", "key": str(first), "locked_at": at, "until": at + timedelta(minutes=15), "failures": 5}
    )


def _pricing(rows: dict[Any, list[dict[str, Any]]], s: Shopper) -> None:
    at = EPOCH + timedelta(minutes=s.index)
    code = f"GW{s.index:08d}"
    rows[pricing.CustomerTier].append({"customer_id": s.customer_id, "tier": "regular"})
    rows[pricing.Coupon].append(
        {
            "code": code,
            "kind": "amount",
            "value": Decimal("5.00"),
            "valid_from": at,
            "valid_to": at + timedelta(days=30),
            "max_uses": 1,
            "max_uses_per_customer": 1,
            "min_order_value": None,
            "customer_id": s.customer_id,
            "uses": 1,
            "created_at": at,
        }
    )
    rows[pricing.Redemption].append(
        {
            "code": code,
            "customer_id": s.customer_id,
            "order_number": str(s.order_numbers[1]),
            "order_value": Decimal("41.00"),
            "at": at,
        }
    )
    rows[pricing.GoodwillOffer].append(
        {
            "customer_id": s.customer_id,
            "reason": f"Late parcel for {s.name}",
            "order_number": str(s.order_numbers[0]),
            "amount": Decimal("5.00"),
            "coupon_code": code,
            "issued_at": at,
        }
    )
    rows[pricing.QuoteAudit].append(
        {
            "at": at,
            "key": "SKU-0",
            "customer_id": s.customer_id,
            "inputs": {"customer_id": s.customer_id, "tier": "regular"},
            "adjustments": [],
            "guardrail": None,
            "unit_price": Decimal("40.00"),
            "currency": "USD",
        }
    )


def _recommendations(rows: dict[Any, list[dict[str, Any]]], s: Shopper) -> None:
    at = EPOCH + timedelta(minutes=s.index)
    conversation = s.conversations["app"]
    for k in range(4):
        rows[recommendations.Interaction].append(
            {
                "customer_id": s.customer_id,
                "product_id": f"P{k}",
                "kind": "view",
                "rating": None,
                "conversation_id": conversation,
                "occurred_at": at,
            }
        )
    rows[recommendations.RecList].append(
        {
            "id": s.index + 1,
            "customer_id": s.customer_id,
            "conversation_id": conversation,
            "experiment": "recs",
            "variant": "a",
            "shown_at": at,
        }
    )
    for k in range(3):
        rows[recommendations.RecItem].append(
            {"list_id": s.index + 1, "customer_id": s.customer_id, "product_id": f"P{k}", "position": k, "shown_at": at}
        )
    rows[recommendations.Conversion].append(
        {
            "customer_id": s.customer_id,
            "product_id": "P0",
            "list_id": s.index + 1,
            "experiment": "recs",
            "variant": "a",
            "order_id": str(s.order_numbers[2]),
            "converted_at": at,
        }
    )


def _handoff(rows: dict[Any, list[dict[str, Any]]], s: Shopper) -> None:
    at = EPOCH + timedelta(minutes=s.index)
    ticket = s.index + 1
    rows[handoff.Ticket].append(
        {
            "id": ticket,
            "conversation_id": s.conversations["web"],
            "open_key": None,
            "channel": "socketio",
            "status": "closed",
            "priority": 2,
            "reason": "requested",
            "frustration": 0.4,
            "customer": {"id": None, "email": s.email, "name": s.name, "unverified_email": None},
            "order": {"number": str(s.order_numbers[0])},
            "intent": "contact_human_agent",
            "entities": [],
            "sentiment_history": [],
            "summary": f"{s.name} asks where order {s.order_numbers[0]} is",
            "assigned_agent": "alex",
            "created_at": at,
            "taken_at": at,
            "closed_at": at,
            "external_refs": {},
        }
    )
    for k, (role, text) in enumerate(
        (
            ("user", f"I am {s.name}, my e-mail is {s.email}"),
            ("agent", "Thanks, looking now"),
            ("user", f"Call me on {s.phone} please"),
        )
    ):
        rows[handoff.Message].append(
            {
                "ticket_id": ticket,
                "role": role,
                "kind": "text",
                "text": text,
                "author": None,
                "source": "bot",
                "external_id": None,
                "created_at": at + timedelta(seconds=k),
                "delivered": True,
                "delivered_as": "live",
                "delivery_error": None,
            }
        )
    rows[handoff.AuditEvent].append(
        {"at": at, "actor": "alex", "ticket_id": ticket, "action": "take", "detail": {"agent": "alex"}}
    )


def _retention(rows: dict[Any, list[dict[str, Any]]], s: Shopper) -> None:
    at = EPOCH + timedelta(minutes=s.index)
    rows[retention.CustomerEvent] += [
        {"customer_id": s.customer_id, "at": at, "kind": "purchase", "amount": Decimal("41.00")},
        {"customer_id": s.customer_id, "at": at + timedelta(days=2), "kind": "frustration", "amount": Decimal(0)},
    ]
    score = {"risk": 0.8, "value": Decimal("240.00"), "tier": "high"}
    rows[retention.RiskScore].append(
        {"customer_id": s.customer_id, **score, "reasons": ["no purchase for a while"], "scored_at": at}
        | {"model": "seeded"}
    )
    rows[retention.RetentionOffer].append(
        {"customer_id": s.customer_id, "at": at, "kind": "goodwill", "cost": Decimal("5.00"), **score}
    )


def _tracker(rows: dict[Any, list[dict[str, Any]]], s: Shopper) -> None:
    start = (EPOCH + timedelta(minutes=s.index)).timestamp()
    conversations = s.conversations
    app_meta = {"customer_id": s.customer_id}
    voice_meta = {"caller": s.phone, "asr_confidence": 0.93}
    turns: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
        (conversations["app"], app_meta, [("track_order", "Where is my order?"), ("inform", str(s.order_numbers[0]))]),
        (conversations["web"], {}, [("track_order", "where's my parcel"), ("inform", f"it's {s.email}")]),
        (conversations["voice"], voice_meta, [("track_order", "I'm calling about my order"), ("affirm", "yes")]),
    ]
    for sender, metadata, said in turns:
        events = _conversation(start, metadata, said, channel=sender.split("-")[0])
        if sender == conversations["web"]:
            events.append({"event": "slot", "timestamp": start + 9, "name": "email", "value": s.email})
        for event in events:
            rows[tracker_store.events].append(
                {
                    "sender_id": sender,
                    "type_name": event["event"],
                    "timestamp": event["timestamp"],
                    "intent_name": (event.get("parse_data") or {}).get("intent", {}).get("name"),
                    "action_name": event.get("name") if event["event"] == "action" else None,
                    "data": json.dumps(event),
                }
            )


def _conversation(
    start: float, metadata: dict[str, Any], said: list[tuple[str, str]], channel: str
) -> list[dict[str, Any]]:
    """Events as `rasa.shared.core.events.Event.as_dict()` writes them (session start, turns, replies)."""
    events: list[dict[str, Any]] = [
        {
            "event": "action",
            "timestamp": start,
            "metadata": {},
            "name": "action_session_start",
            "policy": None,
            "confidence": 1.0,
            "action_text": None,
            "hide_rule_turn": False,
        },
        {"event": "session_started", "timestamp": start + 0.001, "metadata": {}},
        {
            "event": "action",
            "timestamp": start + 0.002,
            "metadata": {},
            "name": "action_listen",
            "policy": None,
            "confidence": None,
            "action_text": None,
            "hide_rule_turn": False,
        },
    ]
    for k, (intent, text) in enumerate(said):
        at = start + 1 + 2 * k
        events.append(
            {
                "event": "user",
                "timestamp": at,
                "metadata": metadata,
                "text": text,
                "parse_data": {
                    "intent": {"name": intent, "confidence": 0.97},
                    "entities": [],
                    "text": text,
                    "message_id": f"{int(at * 1000):x}",
                    "metadata": metadata,
                },
                "input_channel": {"app": "app", "web": "socketio", "voice": "voice"}[channel],
                "message_id": f"{int(at * 1000):x}",
            }
        )
        events.append(
            {
                "event": "bot",
                "timestamp": at + 0.5,
                "metadata": {"utter_action": "utter_ask_order_number"},
                "text": "Which order is it about?",
                "data": {},
            }
        )
    return events
