"""Which learned quotes ended in a purchase: the pure part of the outcome sweep (`backends/pricing/outcomes.py`).

A learned offer is a price said to the shopper (in the chat, by the action server); it carries no code the
checkout could echo back. So a purchase is tied to a quote the way shops attribute an ad view: the same
customer ordered the quoted SKU within `PRICING_OUTCOME_WINDOW_H` after the quote. The orders backend is
the record of purchases (every order, whichever channel placed it, and durable: a sweep that could not
read it reads it again later); a quote with no customer id (a guest) cannot be tied to any order and is
never given an outcome, because recording `bought=false` for every guest would teach the learner that
guests never buy at any price.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import Field

from settings_kit.settings import ServiceSettings, counted_in

Hours = Annotated[timedelta, counted_in(timedelta(hours=1))]
Minutes = Annotated[timedelta, counted_in(timedelta(minutes=1))]


class OutcomeSettings(ServiceSettings):
    """PRICING_OUTCOME_*: read with `OutcomeSettings.from_env()`; keywords in tests."""

    # 48 h: a shopper who asks the assistant for a price mostly buys the same day or the next evening;
    # a longer window credits purchases made for other reasons (and prices the learner has moved on
    # from: offers move hourly), a shorter one misses the next-day buyer and teaches "no sale".
    window: Hours = Field(
        default=timedelta(hours=48), gt=timedelta(0), le=timedelta(days=30), validation_alias="PRICING_OUTCOME_WINDOW_H"
    )
    # How often the running pricing service sweeps (0: never; run `python -m backends.pricing.outcomes`).
    sweep_every: Minutes = Field(
        default=timedelta(minutes=15), ge=timedelta(0), validation_alias="PRICING_OUTCOME_SWEEP_MIN"
    )
    # Quotes older than the window plus this are no longer looked at: an orders backend down for longer
    # loses those outcomes (each sweep logs what it postponed).
    catch_up: Hours = Field(default=timedelta(days=7), ge=timedelta(0), validation_alias="PRICING_OUTCOME_CATCH_UP_H")


@dataclass(frozen=True)
class PendingQuote:
    """A quote with a learned offer and no outcome yet (naive UTC, as the pricing database stores time)."""

    quote_id: int
    customer_id: str | None
    sku: str | None
    at: datetime


@dataclass(frozen=True)
class Purchase:
    """One order of the customer: when it was placed and the SKUs on it. Cancelled orders are not purchases."""

    placed_at: datetime
    skus: frozenset[str]


def naive_utc(moment: datetime) -> datetime:
    """The orders backend's times are aware; the pricing database's are naive UTC."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def outcome(quote: PendingQuote, purchases: Iterable[Purchase], now: datetime, window: timedelta) -> bool | None:
    """True: the customer ordered the quoted SKU within the window after the quote. False: the window has
    passed without such an order. None: not decided yet (window still open, or a quote nobody can tie)."""
    if not quote.customer_id or not quote.sku:
        return None
    end = quote.at + window
    if any(quote.at <= p.placed_at <= end and quote.sku in p.skus for p in purchases):
        return True
    return False if now >= end else None


def attributable(quote: PendingQuote) -> bool:
    return bool(quote.customer_id and quote.sku)
