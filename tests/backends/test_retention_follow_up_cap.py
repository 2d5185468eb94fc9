"""The medium tier's follow-up cap in the retention backend over HTTP (SQLite and PostgreSQL): one
`follow_up` offer per customer per RETENTION_FOLLOW_UP_CAP_DAYS, refused with 409 `follow_up_capped`
inside the window (goodwill offers are not capped here: the pricing budget caps them), allowed again
after it, kept in the database across an app restart, and counted in the report's offers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from backends.retention.api import SERVICE
from backends.retention.app import create_app
from backends.retention.settings import Settings
from tests.backends.test_retention_api import AUTH, TOKEN, call, scored

START = datetime(2026, 6, 1, 12, 0)
SETTINGS = Settings(follow_up_cap_days=30)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def test_the_cap_setting_has_a_default_and_bounds() -> None:
    assert Settings.from_env({}).follow_up_cap_days == 30
    with pytest.raises(ValueError, match="RETENTION_FOLLOW_UP_CAP_DAYS"):
        Settings.from_env({"RETENTION_FOLLOW_UP_CAP_DAYS": "0"})


async def test_one_follow_up_per_cap_window_survives_a_restart_and_counts_in_the_report(
    aiohttp_client: Any, db_url: str
) -> None:
    clock = Clock()
    app = create_app(db_url, TOKEN, settings=SETTINGS, clock=clock)
    api = await aiohttp_client(app)
    await app[SERVICE].replace_scores(
        [scored("mid", 0.4, "150.00", "medium"), scored("other", 0.4, "150.00", "medium")]
    )
    made = await call(api, "POST", "/customers/mid/offers", 201, json={"kind": "follow_up", "cost": 0})
    assert made["kind"] == "follow_up" and made["tier"] == "medium"
    clock.now = START + timedelta(days=29)
    capped = await call(api, "POST", "/customers/mid/offers", 409, json={"kind": "follow_up", "cost": 0})
    assert capped["error"]["code"] == "follow_up_capped" and "30 days" in capped["error"]["message"]
    await call(api, "POST", "/customers/other/offers", 201, json={"kind": "follow_up", "cost": 0})  # per customer
    await call(api, "POST", "/customers/mid/offers", 201, json={"kind": "goodwill", "cost": 10})  # not capped here
    await api.close()

    restarted = await aiohttp_client(create_app(db_url, TOKEN, settings=SETTINGS, clock=clock))
    await call(restarted, "POST", "/customers/mid/offers", 409, json={"kind": "follow_up", "cost": 0})
    clock.now = START + timedelta(days=30, seconds=1)
    await call(restarted, "POST", "/customers/mid/offers", 201, json={"kind": "follow_up", "cost": 0})
    report = await call(restarted, "GET", "/report", 200)
    medium = next(t for t in report["tiers"] if t["tier"] == "medium")
    assert medium["offers"] == 4  # three follow-ups and a goodwill offer; the refused ones are not offers
    response = await restarted.get("/openapi.json", headers=AUTH)
    spec = await response.json()
    assert "409" in spec["paths"]["/customers/{customer_id}/offers"]["post"]["responses"]
