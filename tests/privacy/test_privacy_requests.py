"""Export and erase of one shopper across every store, on SQLite and PostgreSQL (privacy/requests.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from backends.orders.models import Customer, Invoice, Order, OrderLine, Refund
from backends.pricing.models import GoodwillOffer, Redemption
from backends.recommendations.tables import Conversion
from contracts.privacy import ERASED, Subject
from privacy import tracker_store
from privacy.requests import Stores, SubjectRequests
from service_kit.db import make_sessions
from tests.privacy.privacy_support import SHOPPERS
from tools.privacy_seed import ORDERS_PER_SHOPPER

JANE, OTHER = SHOPPERS[0], SHOPPERS[1]


def counts(document: dict[str, Any]) -> dict[str, int]:
    """Rows found per store section (lists only), e.g. {"orders.orders": 3}."""
    return {
        f"{store}.{name}": len(value)
        for store, part in document["stores"].items()
        for name, value in part.items()
        if isinstance(value, list)
    }


def personal_text(document: dict[str, Any]) -> str:
    """What the stores answered (the subject section only repeats the request)."""
    return json.dumps(document["stores"], ensure_ascii=False)


async def test_export_by_email_and_phone_finds_the_shopper_in_every_store(stores: Stores) -> None:
    requests = SubjectRequests(stores)
    document = await requests.export(Subject.named(email=JANE.email.upper(), phone=JANE.phone))

    assert counts(document) == {
        "tracker_store.conversations": 3,
        "orders.customers": 1,
        "orders.orders": ORDERS_PER_SHOPPER,
        "orders.audit_log": 1 + ORDERS_PER_SHOPPER,
        "orders.ownership_proof_failures": 1,
        "orders.ownership_proof_lockouts": 1,
        "orders.one_time_codes": ORDERS_PER_SHOPPER,
        "orders.code_mails": 1,
        "pricing.customer_tiers": 1,
        "pricing.personal_coupons": 1,
        "pricing.coupon_redemptions": 1,
        "pricing.goodwill_offers": 1,
        "pricing.quote_audit": 1,
        "recommendations.interactions": 4,
        "recommendations.lists_shown": 1,
        "recommendations.list_items": 3,
        "recommendations.conversions": 1,
        "handoff.tickets": 1,
        "handoff.messages": 3,
        "handoff.audit_events": 1,
        "retention.events": 2,
        "retention.churn_scores": 1,
        "retention.retention_offers": 1,
    }
    conversations = {c["conversation_id"]: c for c in document["stores"]["tracker_store"]["conversations"]}
    assert set(conversations) == set(JANE.conversations.values())
    assert "app channel customer id" in conversations[JANE.conversations["app"]]["matched_by"]
    assert "e-mail in the conversation" in conversations[JANE.conversations["web"]]["matched_by"]
    assert conversations[JANE.conversations["voice"]]["matched_by"] == ["voice caller number"]
    voice_said = [e["text"] for e in conversations[JANE.conversations["voice"]]["events"] if e["event"] == "user"]
    assert voice_said == ["I'm calling about my order", "yes"]
    subject = document["subject"]
    assert subject["customer_ids"] == [JANE.customer_id] and subject["order_numbers"] == JANE.order_numbers
    assert subject["found_by"][JANE.customer_id] == "orders.customers"
    assert subject["found_by"][JANE.phone] == "request"
    text = personal_text(document)
    assert OTHER.email not in text and OTHER.customer_id not in text and OTHER.name not in text
    assert "code_hash" not in text


async def test_export_by_one_identifier(stores: Stores) -> None:
    """No store links the e-mail to the caller's number: a call is found by the number only."""
    requests = SubjectRequests(stores)
    by_id = await requests.export(Subject.named(customer_id=JANE.customer_id))
    by_email = await requests.export(Subject.named(email=JANE.email))
    assert counts(by_id) == counts(by_email)
    found = {c["conversation_id"] for c in by_email["stores"]["tracker_store"]["conversations"]}
    assert found == {JANE.conversations["app"], JANE.conversations["web"]}
    assert counts(by_email)["handoff.tickets"] == 1 and counts(by_email)["orders.orders"] == ORDERS_PER_SHOPPER
    by_phone = await requests.export(Subject.named(phone=JANE.phone.replace("+1415", "+1 (415) ")))
    found = [c["conversation_id"] for c in by_phone["stores"]["tracker_store"]["conversations"]]
    assert found == [JANE.conversations["voice"]]
    assert counts(by_phone)["orders.orders"] == 0


async def test_an_email_typed_in_capitals_is_found_on_both_stores(stores: Stores) -> None:
    """PostgreSQL's LIKE heeds case; the search narrows with ILIKE there (SQLite's LIKE ignores ASCII case)."""
    said = {"event": "user", "timestamp": 1.0, "metadata": {}, "text": f"write to {JANE.email.upper()} please"}
    async with stores.tracker.begin() as connection:
        await connection.execute(
            insert(tracker_store.events).values(
                sender_id="web-shouted", type_name="user", timestamp=1.0, data=json.dumps(said)
            )
        )
    document = await SubjectRequests(stores).export(Subject.named(email=JANE.email))
    found = {c["conversation_id"]: c["matched_by"] for c in document["stores"]["tracker_store"]["conversations"]}
    assert found["web-shouted"] == ["e-mail in the conversation"]


async def test_dry_run_reports_and_changes_nothing(stores: Stores) -> None:
    requests = SubjectRequests(stores)
    subject = Subject.named(email=JANE.email, phone=JANE.phone)
    before = await requests.export(subject)
    report = await requests.erase(subject, dry_run=True)
    assert report["dry_run"] is True
    assert report["stores"]["tracker_store"]["deleted"] == {
        "events": sum(len(c["events"]) for c in before["stores"]["tracker_store"]["conversations"])
    }
    assert report["stores"]["orders"]["anonymised"]["orders"] == ORDERS_PER_SHOPPER
    assert report["stores"]["orders"]["deleted"]["code_mails"] == 1
    assert report["stores"]["handoff"]["deleted"] == {"audit_events": 1, "messages": 3, "tickets": 1}
    assert report["stores"]["retention"]["deleted"] == {"events": 2, "churn_scores": 1}
    assert report["stores"]["retention"]["anonymised"] == {"retention_offers": 1}
    after = await requests.export(subject)
    assert personal_text(after) == personal_text(before)


async def test_erase_leaves_nothing_personal_and_keeps_the_accounting(stores: Stores) -> None:
    requests = SubjectRequests(stores)
    other_before = await requests.export(Subject.named(email=OTHER.email))
    kept_before = await accounting(stores, JANE.order_numbers)

    report = await requests.erase(Subject.named(email=JANE.email, phone=JANE.phone), dry_run=False)
    assert report["stores"]["recommendations"]["deleted"] == {"interactions": 4}

    for named in ({"email": JANE.email}, {"customer_id": JANE.customer_id}, {"phone": JANE.phone}):
        after = await requests.export(Subject.named(**named))
        assert not any(counts(after).values()), (named, counts(after))
        text = personal_text(after)
        for value in JANE.personal_values:
            assert value not in text
    assert await accounting(stores, JANE.order_numbers) == kept_before
    async with make_sessions(stores.orders)() as session:
        orders = list(await session.scalars(select(Order).where(Order.number.in_(JANE.order_numbers))))
        customers = {c.id: c for c in await session.scalars(select(Customer))}
        refund = await session.scalar(select(Refund).where(Refund.order_number == JANE.order_numbers[0]))
    assert len(orders) == ORDERS_PER_SHOPPER
    for order in orders:
        assert (order.ship_name, order.ship_line1, order.ship_line2, order.ship_city) == (ERASED, ERASED, None, ERASED)
        assert order.email.startswith(ERASED) and order.ship_country == "US"
        assert order.customer_id.startswith("erased-") and customers[order.customer_id].name == ERASED
    assert JANE.customer_id not in customers and refund is not None and refund.reason == ERASED
    async with make_sessions(stores.pricing)() as session:
        redemption = await session.scalar(
            select(Redemption).where(Redemption.order_number == str(JANE.order_numbers[1]))
        )
        offer = await session.scalar(
            select(GoodwillOffer).where(GoodwillOffer.order_number == str(JANE.order_numbers[0]))
        )
    assert redemption is not None and redemption.order_value == Decimal("41.00")
    assert redemption.customer_id.startswith("erased-")
    assert offer is not None and offer.amount == Decimal("5.00") and offer.reason == ERASED
    async with make_sessions(stores.recommendations)() as session:
        conversion = await session.scalar(select(Conversion).where(Conversion.order_id == str(JANE.order_numbers[2])))
    assert conversion is not None and conversion.customer_id.startswith("erased-")
    assert len(list((stores.mail_dir / "new").iterdir())) == len(SHOPPERS) - 1

    assert await requests.export(Subject.named(email=OTHER.email)) | {"generated_at": None} == other_before | {
        "generated_at": None
    }
    again = await requests.erase(Subject.named(email=JANE.email, phone=JANE.phone), dry_run=False)
    assert all(not part["deleted"] and not part["anonymised"] for part in again["stores"].values())


async def accounting(stores: Stores, numbers: list[int]) -> list[tuple[Any, ...]]:
    """The fields the shop must keep: order dates and totals, lines, invoice numbers and totals."""
    async with make_sessions(stores.orders)() as session:
        orders = await session.execute(
            select(Order.number, Order.placed_at, Order.status, Order.total, Order.tax, Order.currency)
            .where(Order.number.in_(numbers))
            .order_by(Order.number)
        )
        lines = await session.execute(
            select(OrderLine.order_number, OrderLine.sku, OrderLine.quantity, OrderLine.unit_price)
            .where(OrderLine.order_number.in_(numbers))
            .order_by(OrderLine.id)
        )
        invoices = await session.execute(
            select(Invoice.number, Invoice.issued_at, Invoice.total).where(Invoice.order_number.in_(numbers))
        )
        refunds = await session.execute(select(Refund.amount, Refund.status).where(Refund.order_number.in_(numbers)))
        return [*orders.all(), *lines.all(), *invoices.all(), *refunds.all()]


async def test_erase_without_a_demo_outbox(stores: Stores, tmp_path: Path) -> None:
    """A shop whose orders backend never wrote a code mail has no Maildir: nothing to erase there."""
    requests = SubjectRequests(replace(stores, mail_dir=tmp_path / "never-created"))
    report = await requests.erase(Subject.named(email=JANE.email), dry_run=False)
    assert "code_mails" not in report["stores"]["orders"]["deleted"]
    assert report["stores"]["orders"]["anonymised"]["orders"] == ORDERS_PER_SHOPPER
