"""Settings of a service read from its environment variables, typed and range-checked by pydantic-settings.

A service declares its settings as fields: the type and the bounds (`Field(ge=1)`) are the checks,
the variable is the field's alias (`validation_alias="ORDERS_CODE_TTL_S"`) or the field's name after
a prefix given at read time (`from_env(prefix="ORDERS_")`); without a prefix, a field with no alias is
not read from the environment. Conventions of every service:

- built with keywords, settings are plain values (tests, callers with their own values): only
  `from_env` reads variables, from `os.environ` or a mapping the caller passes;
- an empty (or blank) variable counts as unset, so `NAME=` in an env file means "the default";
- settings are frozen;
- a wrong value raises `InvalidSetting` with one line for the operator that names the variable and
  what it must be (`ORDERS_CODE_MAX_TRIES must be at least 1 (got '0')`); values of text settings
  are never repeated, since they may be secrets.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Self

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BeforeValidator, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)


def counted_in(unit: timedelta) -> BeforeValidator:
    """Reads a duration written as a number of `unit`s (`RECS_ATTRIBUTION_DAYS=7`)."""

    def duration(value: Any) -> Any:
        try:
            return float(value) * unit if isinstance(value, str) else value
        except ValueError:
            return value  # pydantic's own error says it is no duration

    return BeforeValidator(duration)


Seconds = Annotated[timedelta, counted_in(timedelta(seconds=1))]
"""A duration written in seconds (`ORDERS_CODE_TTL_S=600`); bound it with `ge=timedelta(seconds=1)`."""


class InvalidSetting(ValueError):
    """A variable has a value the service cannot start with; the message names the variable."""


class ServiceSettings(BaseSettings):
    """Base of the services' settings: see the module docstring for the conventions."""

    model_config = SettingsConfigDict(
        frozen=True,
        env_ignore_empty=True,
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keywords only: the environment is read by `from_env`, never behind a plain constructor call."""
        return (init_settings,)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        prefix: str = "",
        defaults: Mapping[str, Any] | None = None,
    ) -> Self:
        """The settings from `env` (default `os.environ`); `defaults` (by field name) replace the
        declared defaults, for settings shared by services that differ only there (a port)."""
        try:
            values = _MappingSource(cls, os.environ if env is None else env, prefix)()
        except SettingsError as error:
            raise (error.__cause__ if isinstance(error.__cause__, InvalidSetting) else error) from None
        try:
            return cls(**{**(defaults or {}), **values})
        except ValidationError as error:
            raise InvalidSetting("; ".join(_describe(cls, detail, prefix) for detail in error.errors())) from None


class _MappingSource(EnvSettingsSource):
    """pydantic-settings' environment source on a mapping the caller chose instead of `os.environ`."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str], prefix: str) -> None:
        self._env = env
        super().__init__(settings_cls, env_prefix=prefix)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Without a prefix only fields that name their variable are read: the others are no settings."""
        if not self.env_prefix and field.validation_alias is None:
            return None, field_name, False
        return super().get_field_value(field, field_name)

    def prepare_field_value(self, field_name: str, field: FieldInfo, value: Any, value_is_complex: bool) -> Any:
        """Lists and mappings are JSON; a variable that is not says so by its name."""
        try:
            return super().prepare_field_value(field_name, field, value, value_is_complex)
        except ValueError as error:
            variable = field.validation_alias if isinstance(field.validation_alias, str) else field_name.upper()
            raise InvalidSetting(f"{self.env_prefix}{variable} must be JSON ({error})") from None

    def _load_env_vars(self) -> Mapping[str, str | None]:
        lowered = not self.case_sensitive
        return {
            (name.lower() if lowered else name): value
            for name, value in self._env.items()
            if not (self.env_ignore_empty and not value.strip())
        }


_NUMBER_ERRORS = {
    "int_parsing",
    "int_type",
    "int_from_float",
    "float_parsing",
    "float_type",
    "decimal_parsing",
    "time_delta_parsing",  # a duration is written as a number (`Seconds`, `counted_in`)
}
_BOUND_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_TEXT_TYPES = (str, bytes)


def _describe(cls: type[ServiceSettings], detail: ErrorDetails, prefix: str) -> str:
    """One operator-readable sentence for one failed field."""
    if not detail["loc"] and detail["type"] == "value_error":  # a model validator's sentence names its variables
        return str(detail.get("ctx", {}).get("error", detail["msg"]))
    key = str(detail["loc"][0]) if detail["loc"] else cls.__name__
    inside = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in detail["loc"][1:])
    field = cls.model_fields.get(key) or next(
        (info for info in cls.model_fields.values() if info.validation_alias == key), None
    )
    if field is not None and key in cls.model_fields and field.validation_alias is None and prefix:
        key = f"{prefix}{key}".upper()
    kind, given = detail["type"], detail.get("input")
    if inside:  # a value inside a JSON setting: the path to it and pydantic's words
        return f"{key}{inside}: {detail['msg']}"
    got = "" if isinstance(given, dict) else f" (got {_shown(given)})"
    if kind == "missing":  # the field's description says where the value comes from
        return f"{key} is not set" + (f" ({field.description})" if field is not None and field.description else "")
    if kind in _NUMBER_ERRORS:
        return f"{key} must be a number{got}"
    if kind in _BOUND_ERRORS and field is not None:
        return f"{key} must be {_bounds(field.metadata)}{got}"
    if kind == "literal_error":
        return f"{key} must be {detail.get('ctx', {}).get('expected', '')}{got}"
    if kind == "bool_parsing":
        return f"{key} must be 1 or 0 (true or false){got}"
    if kind == "value_error":  # a field validator's own words, which say what the value must be
        return f"{key} {detail.get('ctx', {}).get('error', detail['msg'])}"
    if kind == "string_too_short":
        return f"{key} must have at least {detail.get('ctx', {}).get('min_length')} characters"
    shown = "" if isinstance(given, _TEXT_TYPES) else got
    return f"{key}: {detail['msg']}{shown}"


def _bounds(metadata: list[Any]) -> str:
    low = next((m for m in metadata if isinstance(m, Ge | Gt)), None)
    high = next((m for m in metadata if isinstance(m, Le | Lt)), None)
    if isinstance(low, Ge) and isinstance(high, Le):
        return f"between {_shown(low.ge)} and {_shown(high.le)}"
    parts = []
    if low is not None:
        parts.append(f"at least {_shown(low.ge)}" if isinstance(low, Ge) else f"more than {_shown(low.gt)}")
    if high is not None:
        parts.append(f"at most {_shown(high.le)}" if isinstance(high, Le) else f"less than {_shown(high.lt)}")
    return " and ".join(parts) or "in range"


def _shown(value: Any) -> str:
    """A bound or a given value as the operator wrote it: durations in seconds, texts quoted."""
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g} s"
    return repr(value) if isinstance(value, str) else str(value)
