"""The retention backend's part of a data-subject request (backends/retention/privacy.py): events and
scores are deleted, offers (money spent) kept under a random id; other customers are untouched."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from backends.retention import privacy
from backends.retention.db import create_tables, make_engine, make_sessions
from backends.retention.features import FRUSTRATION, PURCHASE, Event
from backends.retention.service import RetentionService
from backends.retention.tables import RiskScore
from contracts.privacy import Subject

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 6, 1)


def score(customer_id: str) -> RiskScore:
    return RiskScore(
        customer_id=customer_id, risk=0.7, value=Decimal("500"), tier="high", reasons=[], scored_at=NOW, model="t"
    )


async def test_export_then_erase_one_customer(db_url: str) -> None:
    engine = make_engine(db_url)
    await create_tables(engine)
    sessions = make_sessions(engine)
    service = RetentionService(sessions, clock=lambda: NOW)
    await service.record_events(
        [Event("jane", NOW, PURCHASE, 20.0), Event("jane", NOW, FRUSTRATION), Event("other", NOW, PURCHASE, 5.0)]
    )
    await service.replace_scores([score("jane"), score("other")])
    await service.record_offer("jane", "goodwill", Decimal("25"))
    jane = Subject.named(customer_id="jane")
    try:
        async with sessions() as session:
            document = await privacy.export(session, jane)
        assert (len(document["events"]), len(document["churn_scores"]), len(document["retention_offers"])) == (2, 1, 1)
        async with sessions.begin() as session:
            done = (await privacy.erase(session, jane)).as_json()
        assert done["deleted"] == {"events": 2, "churn_scores": 1}
        assert done["anonymised"] == {"retention_offers": 1}
        async with sessions() as session:
            after = await privacy.export(session, jane)
        assert all(rows == [] for key, rows in after.items() if key != "matched_by")
        assert (await service.report())["offers"] == 1  # the money spent still counts
        assert (await service.risk("other"))["customer_id"] == "other"
        assert [e.customer_id for e in await service.events()] == ["other"]
    finally:
        await engine.dispose()
