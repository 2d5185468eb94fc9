"""Configuration from RETENTION_* variables: tier thresholds and the report's assumptions."""

from __future__ import annotations

from pydantic import Field, model_validator

from backends.retention.tiers import TierThresholds
from settings_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Tier thresholds (risk is a calibrated probability; value is a year at the customer's pace) and
    the share of at-risk value an offer is assumed to save, which the report's "value saved" uses."""

    high_risk: float = Field(default=0.6, ge=0, le=1, validation_alias="RETENTION_HIGH_RISK")
    medium_risk: float = Field(default=0.3, ge=0, le=1, validation_alias="RETENTION_MEDIUM_RISK")
    valuable: float = Field(default=200.0, ge=0, validation_alias="RETENTION_VALUABLE")
    offer_uplift: float = Field(default=0.1, ge=0, le=1, validation_alias="RETENTION_OFFER_UPLIFT")
    model_threads: int = Field(default=1, ge=1, le=64, validation_alias="RETENTION_MODEL_THREADS")
    # A medium-risk customer gets at most one personal recommendation follow-up per this many days.
    follow_up_cap_days: float = Field(default=30.0, gt=0, le=3650, validation_alias="RETENTION_FOLLOW_UP_CAP_DAYS")

    @model_validator(mode="after")
    def _ordered(self) -> Settings:
        if self.medium_risk > self.high_risk:
            raise ValueError("RETENTION_MEDIUM_RISK must not be above RETENTION_HIGH_RISK")
        return self

    @property
    def thresholds(self) -> TierThresholds:
        return TierThresholds(high_risk=self.high_risk, medium_risk=self.medium_risk, valuable=self.valuable)
