"""PRICING_LEARNER_* settings. Off by default: until the shop switches it on, quotes are today's rules."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import Field, field_validator

from backends.pricing.learning.bandit import Bounds
from settings_kit.settings import ServiceSettings, counted_in

Minutes = Annotated[timedelta, counted_in(timedelta(minutes=1))]
MEDIAN_ELASTICITY = -2.11  # the Online Retail median (docs/pricing-backend.md, "Price elasticity")


class LearnerSettings(ServiceSettings):
    """Read with `LearnerSettings.from_env()`; keywords in tests."""

    enabled: bool = Field(default=False, validation_alias="PRICING_LEARNER_ENABLED")
    # Discount levels in percent (JSON list); 0 is always an arm: "no learned offer".
    arms: tuple[Decimal, ...] = Field(
        default=(Decimal(0), Decimal(5), Decimal(10), Decimal(15), Decimal(20)), validation_alias="PRICING_LEARNER_ARMS"
    )
    max_discount_percent: Decimal = Field(
        default=Decimal(20), ge=0, lt=100, validation_alias="PRICING_LEARNER_MAX_DISCOUNT"
    )
    min_margin_percent: Decimal = Field(
        default=Decimal(10), ge=0, lt=100, validation_alias="PRICING_LEARNER_MIN_MARGIN"
    )
    # Without a cost price per product, the unit cost is this share of the catalogue price.
    unit_cost_ratio: Decimal = Field(default=Decimal("0.6"), ge=0, lt=1, validation_alias="PRICING_LEARNER_COST_RATIO")
    max_step_percent: Decimal = Field(default=Decimal(5), gt=0, validation_alias="PRICING_LEARNER_MAX_STEP")
    min_move_interval: Minutes = Field(
        default=timedelta(minutes=60), ge=timedelta(0), validation_alias="PRICING_LEARNER_MOVE_INTERVAL_MIN"
    )
    # The prior: elasticity (per product group, JSON object, else the default), the purchase chance
    # at the undiscounted price, and how many offers the prior is worth.
    elasticity: float = Field(default=MEDIAN_ELASTICITY, le=0, validation_alias="PRICING_LEARNER_ELASTICITY")
    group_elasticities: dict[str, float] = Field(default_factory=dict, validation_alias="PRICING_LEARNER_ELASTICITIES")
    base_chance: float = Field(default=0.1, gt=0, lt=1, validation_alias="PRICING_LEARNER_BASE_CHANCE")
    prior_strength: float = Field(default=20.0, gt=0, validation_alias="PRICING_LEARNER_PRIOR_STRENGTH")
    group_depth: int = Field(default=2, ge=1, validation_alias="PRICING_LEARNER_GROUP_DEPTH")

    @field_validator("arms")
    @classmethod
    def _arms(cls, value: tuple[Decimal, ...]) -> tuple[Decimal, ...]:
        if any(not 0 <= arm < 100 for arm in value):
            raise ValueError("every discount level must be from 0 to below 100")
        return tuple(sorted({Decimal(0), *value}))

    def elasticity_of(self, group: str) -> float:
        return self.group_elasticities.get(group, self.elasticity)

    def bounds(self, floor_price: Decimal | None) -> Bounds:
        return Bounds(
            max_discount_percent=self.max_discount_percent,
            min_margin_percent=self.min_margin_percent,
            unit_cost_ratio=self.unit_cost_ratio,
            max_step_percent=self.max_step_percent,
            min_move_interval=self.min_move_interval,
            floor_price=floor_price,
        )
