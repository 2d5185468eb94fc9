"""Typed async client of the retention backend (backends/retention, see its /openapi.json).

Churn risk only steers how much effort a conversation gets: when the backend is down, slow or has no
score for a customer, callers behave as if there were none, so every failure is RetentionUnavailable
and an unscored customer is None.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from contracts.consent import CONSENT_KEY
from service_clients.http import JsonServiceClient

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8108"
HIGH = "high"


class RetentionUnavailable(Exception):
    """Down, slow or refused: the conversation goes on as for a customer without a score."""


class _NotScored(Exception):
    pass


class _Capped(Exception):
    pass


@dataclass(frozen=True)
class CustomerRisk:
    customer_id: str
    risk: float  # calibrated churn probability
    tier: str  # high | medium | low
    value: Decimal  # value at stake: a year at the customer's pace
    reasons: list[str]

    @property
    def high(self) -> bool:
        return self.tier == HIGH


class RetentionClient(JsonServiceClient):
    service = "retention backend"
    unavailable = RetentionUnavailable
    env_prefix = "RETENTION"
    default_url = DEFAULT_URL
    default_timeout_s = 1.0  # a nice-to-have in a live conversation: never wait long for it

    async def risk(self, customer_id: str) -> CustomerRisk | None:
        """The customer's latest score, or None when they have none yet. Ask only for a shopper who
        consented to personalisation: the backend refuses the others (403)."""
        try:
            data = await self._get(f"/customers/{quote(customer_id, safe='')}/risk", {CONSENT_KEY: "true"})
        except _NotScored:
            return None
        return CustomerRisk(
            customer_id=data["customer_id"],
            risk=float(data["risk"]),
            tier=str(data["tier"]),
            value=Decimal(str(data["value"])),
            reasons=[str(reason) for reason in data.get("reasons", [])],
        )

    async def record_event(self, customer_id: str, kind: str, at: datetime, amount: Decimal = Decimal(0)) -> None:
        """Something that happened to the customer (e.g. `frustration`, `handoff`), for the next re-scoring."""
        event = {"customer_id": customer_id, "at": at.isoformat(), "kind": kind, "amount": float(amount)}
        await self._send("POST", "/events", {"events": [event]})

    async def record_offer(self, customer_id: str, kind: str, cost: Decimal) -> None:
        """An offer made to keep the customer, for the retention report."""
        try:
            await self._send(
                "POST", f"/customers/{quote(customer_id, safe='')}/offers", {"kind": kind, "cost": float(cost)}
            )
        except _NotScored:
            logger.info("offer to %s not recorded: no churn score", customer_id)

    async def claim_follow_up(self, customer_id: str) -> bool:
        """Records a personal recommendation follow-up for the report, if the customer's frequency cap
        allows one now (the backend checks and records in one step, so the cap survives restarts and
        holds across action servers). False: capped, or no score."""
        try:
            await self._send(
                "POST", f"/customers/{quote(customer_id, safe='')}/offers", {"kind": "follow_up", "cost": 0}
            )
        except (_Capped, _NotScored):
            return False
        return True

    def _raise_for(self, status: int, data: Mapping[str, Any], method: str, path: str) -> None:
        if status == 404 and path.startswith("/customers/"):
            raise _NotScored(path)
        if status == 409 and path.endswith("/offers"):
            raise _Capped(path)
        super()._raise_for(status, data, method, path)
