"""The demo seed: deterministic, idempotent, every status present, consistent with the service rules."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from backends.orders.db import make_engine, make_sessions
from backends.orders.seed import SCENARIOS, seed
from backends.orders.service import OrdersService
from contracts.orders import OrderStatus

pytestmark = pytest.mark.asyncio
NOW = datetime(2025, 6, 1, 12, 0)


async def test_seed_is_deterministic_idempotent_and_covers_every_status(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite'}"
    first = await seed(url, 8, len(SCENARIOS) * 2, 7, tmp_path / "a.json", NOW)
    assert first["created"] == len(SCENARIOS) * 2
    again = await seed(url, 8, len(SCENARIOS) * 2, 7, tmp_path / "b.json", NOW)
    assert again["created"] == 0
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()
    other_db = await seed(
        f"sqlite+aiosqlite:///{tmp_path / 'c.sqlite'}", 8, len(SCENARIOS) * 2, 7, tmp_path / "c.json", NOW
    )
    assert other_db["statuses"] == first["statuses"]
    different_seed = await seed(f"sqlite+aiosqlite:///{tmp_path / 'd.sqlite'}", 8, 28, 8, tmp_path / "d.json", NOW)
    assert different_seed["statuses"] != first["statuses"]

    index = json.loads((tmp_path / "a.json").read_text())
    assert set(index["statuses"]) == {s.value for s in OrderStatus}
    assert all(index["statuses"][s.value] for s in OrderStatus), "every status has at least one order"
    assert all(index["scenarios"][name] for name in SCENARIOS)

    engine = make_engine(url)
    service = OrdersService(make_sessions(engine), clock=lambda: NOW)
    try:
        for status, entries in index["statuses"].items():
            for entry in entries:
                order = await service.get_order(int(entry["order_number"]), entry["customer_id"])
                assert order["status"] == status
                assert await service.verify_owner(int(entry["order_number"]), entry["email"], entry["postcode"])
        returnable = index["scenarios"]["delivered_returnable"][0]["order_number"]
        closed = index["scenarios"]["delivered_return_window_closed"][0]["order_number"]
        assert (await service.get_order(int(returnable)))["returnable"] is True
        assert (await service.get_order(int(closed)))["returnable"] is False
        shipped = index["statuses"]["shipped"][0]["order_number"]
        tracking = await service.tracking(int(shipped))
        assert tracking["shipments"][0]["events"] and tracking["eta"] > NOW.date().isoformat()
        returned = index["statuses"]["returned"][0]["order_number"]
        assert [r["status"] for r in (await service.refunds(int(returned)))["refunds"]] == ["refunded"]
        paid = index["statuses"]["delivered"][0]["order_number"]
        assert (await service.invoice(int(paid)))["lines"]
    finally:
        await engine.dispose()
