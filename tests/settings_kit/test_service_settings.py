"""settings_kit.settings: the conventions every service's settings follow, and the operator's error lines."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, Self

import pytest
from pydantic import Field, ValidationError, model_validator

from settings_kit.settings import InvalidSetting, Seconds, ServiceSettings


class Shop(ServiceSettings):
    token: str = Field(min_length=1, validation_alias="SHOP_TOKEN", description="the launcher writes one")
    workers: int = Field(2, ge=1, le=16, validation_alias="SHOP_WORKERS")
    retries: int = Field(3, ge=0, validation_alias="SHOP_RETRIES")
    ttl: Seconds = Field(timedelta(minutes=10), ge=timedelta(seconds=1), validation_alias="SHOP_TTL_S")
    mode: Literal["fast", "safe"] = Field("safe", validation_alias="SHOP_MODE")
    weights: dict[str, float] = Field(default_factory=dict, validation_alias="SHOP_WEIGHTS")
    internal: int = 7  # no variable: never read from the environment

    @model_validator(mode="after")
    def _fast_needs_workers(self) -> Self:
        if self.mode == "fast" and self.workers < 2:
            raise ValueError("SHOP_MODE=fast needs SHOP_WORKERS of at least 2")
        return self


class Address(ServiceSettings):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)


def error(env: dict[str, str]) -> str:
    with pytest.raises(InvalidSetting) as raised:
        Shop.from_env(env)
    return str(raised.value)


def test_variables_are_typed_and_empty_ones_mean_the_default() -> None:
    shop = Shop.from_env(
        {"SHOP_TOKEN": "t", "SHOP_WORKERS": "4", "SHOP_TTL_S": "90", "SHOP_RETRIES": " ", "SHOP_WEIGHTS": '{"a": 1}'}
    )
    assert (shop.workers, shop.ttl, shop.retries, shop.weights) == (4, timedelta(seconds=90), 3, {"a": 1.0})
    assert Shop.from_env({"SHOP_TOKEN": "t", "internal": "1", "INTERNAL": "1"}).internal == 7


def test_keywords_build_plain_values_without_reading_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_WORKERS", "9")
    monkeypatch.setenv("SHOP_TOKEN", "t")
    assert Shop(token="t").workers == 2
    assert Shop.from_env().workers == 9 and Shop.from_env({"SHOP_TOKEN": "t"}).workers == 2
    with pytest.raises(ValidationError):
        Shop(token="t").workers = 3  # type: ignore[misc]  # frozen


def test_a_prefix_names_the_variables_and_defaults_replace_the_declared_ones() -> None:
    assert Address.from_env({"KG_PORT": "9000", "PORT": "1"}, prefix="KG_") == Address(port=9000)
    assert Address.from_env({}, prefix="KG_", defaults={"port": 8102}).port == 8102
    assert Address.from_env({"KG_PORT": "9000"}, prefix="KG_", defaults={"port": 8102}).port == 9000
    with pytest.raises(InvalidSetting, match=r"^KG_PORT must be between 1 and 65535 \(got '0'\)$"):
        Address.from_env({"KG_PORT": "0"}, prefix="KG_")


def test_each_wrong_value_gives_one_line_that_names_the_variable() -> None:
    assert error({}) == "SHOP_TOKEN is not set (the launcher writes one)"
    assert error({"SHOP_TOKEN": "t", "SHOP_WORKERS": "many"}) == "SHOP_WORKERS must be a number (got 'many')"
    assert error({"SHOP_TOKEN": "t", "SHOP_WORKERS": "17"}) == "SHOP_WORKERS must be between 1 and 16 (got '17')"
    assert error({"SHOP_TOKEN": "t", "SHOP_RETRIES": "-1"}) == "SHOP_RETRIES must be at least 0 (got '-1')"
    assert error({"SHOP_TOKEN": "t", "SHOP_TTL_S": "0"}) == "SHOP_TTL_S must be at least 1 s (got 0 s)"
    assert error({"SHOP_TOKEN": "t", "SHOP_TTL_S": "soon"}) == "SHOP_TTL_S must be a number (got 'soon')"
    assert error({"SHOP_TOKEN": "t", "SHOP_MODE": "slow"}) == "SHOP_MODE must be 'fast' or 'safe' (got 'slow')"
    assert error({"SHOP_TOKEN": "t", "SHOP_WEIGHTS": "a=1"}).startswith("SHOP_WEIGHTS must be JSON (")
    assert error({"SHOP_TOKEN": "t", "SHOP_WEIGHTS": '{"a": "x"}'}).startswith("SHOP_WEIGHTS.a: ")
    assert error({"SHOP_TOKEN": "t", "SHOP_MODE": "fast", "SHOP_WORKERS": "1"}) == (
        "SHOP_MODE=fast needs SHOP_WORKERS of at least 2"
    )
    both = error({"SHOP_WORKERS": "0"})
    assert "SHOP_TOKEN is not set" in both and "SHOP_WORKERS must be between 1 and 16" in both


def test_text_values_are_not_repeated_in_errors() -> None:
    class Secret(ServiceSettings):
        secret: str = Field("x" * 32, min_length=32, validation_alias="SHOP_SECRET")

    with pytest.raises(InvalidSetting) as raised:
        Secret.from_env({"SHOP_SECRET": "hunter2"})
    assert str(raised.value) == "SHOP_SECRET must have at least 32 characters"
