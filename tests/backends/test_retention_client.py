"""service_clients/retention.py against the real retention app: a score, none (None), events and offers
recorded, and a stopped backend as RetentionUnavailable."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from backends.retention.api import SERVICE
from backends.retention.app import create_app
from backends.retention.tables import RiskScore
from service_clients.retention import RetentionClient, RetentionUnavailable

pytestmark = pytest.mark.asyncio
TOKEN = "retention-test-token-0123"
NOW = datetime(2026, 6, 1, 12, 0)


async def test_the_client_reads_scores_and_records_events_and_offers(aiohttp_server: Any, tmp_path: Path) -> None:
    app = create_app(f"sqlite+aiosqlite:///{tmp_path / 'retention.sqlite'}", TOKEN, clock=lambda: NOW)
    server = await aiohttp_server(app)
    service = app[SERVICE]
    await service.replace_scores(
        [
            RiskScore(
                customer_id="C 7/x",  # quoted in the path
                risk=0.8,
                value=Decimal("1200.00"),
                tier="high",
                reasons=["hand-offs to a person (2)"],
                scored_at=NOW,
                model="test",
            )
        ]
    )
    async with RetentionClient(str(server.make_url("")), TOKEN) as client:
        risk = await client.risk("C 7/x")
        assert risk is not None and risk.high and risk.value == Decimal("1200.00") and risk.risk == 0.8
        assert risk.reasons == ["hand-offs to a person (2)"]
        assert await client.risk("nobody") is None
        await client.record_event("C 7/x", "handoff", datetime(2026, 6, 1, 11, 0, tzinfo=UTC))
        await client.record_offer("C 7/x", "goodwill", Decimal("12.50"))
        await client.record_offer("nobody", "goodwill", Decimal("5"))  # not scored: logged, not raised
    events = await service.events()
    assert [(e.customer_id, e.kind, e.at) for e in events] == [("C 7/x", "handoff", datetime(2026, 6, 1, 11, 0))]
    assert (await service.report())["offer_cost"] == "12.50"


async def test_a_stopped_backend_or_a_wrong_token_is_unavailable(aiohttp_server: Any, tmp_path: Path) -> None:
    async with RetentionClient("http://127.0.0.1:9", TOKEN, timeout_s=0.5, get_retries=0) as client:
        with pytest.raises(RetentionUnavailable):
            await client.risk("C7")
    app = create_app(f"sqlite+aiosqlite:///{tmp_path / 'retention.sqlite'}", TOKEN)
    server = await aiohttp_server(app)
    async with RetentionClient(str(server.make_url("")), "wrong-token") as client:
        with pytest.raises(RetentionUnavailable):
            await client.risk("C7")
