"""Registers the privacy fixtures (defined in privacy_support.py, which the tests import too)."""

from tests.privacy.privacy_support import stores, urls  # noqa: F401
from tests.support.postgres import postgres_server  # noqa: F401 - session fixture used via getfixturevalue
