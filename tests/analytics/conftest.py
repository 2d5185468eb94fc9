"""Registers the throwaway PostgreSQL server the figures are also checked on."""

from tests.support.postgres import postgres_server  # noqa: F401 - session fixture used via getfixturevalue
