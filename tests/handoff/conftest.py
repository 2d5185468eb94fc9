"""Registers the handoff desk fixtures (defined in handoff_support.py, which the tests import too)."""

from tests.handoff.handoff_support import connectors, db_url, desk, relay, settings_overrides  # noqa: F401
from tests.support.postgres import postgres_server  # noqa: F401 - session fixture used via getfixturevalue
