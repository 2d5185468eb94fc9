"""Fixtures for the ticket connector tests: a real RT 5 (session scope) and connectors against it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from handoff.connectors.rt5 import RT5Connector, RT5Settings
from tests.support.rt5 import (
    RT5Server,
    rt5_server,  # noqa: F401 - session fixture
)


@pytest.fixture
async def rt5(rt5_server: RT5Server) -> AsyncIterator[RT5Connector]:  # noqa: F811
    connector = RT5Connector(
        RT5Settings(url=rt5_server.url, user=rt5_server.user, password=rt5_server.password, queue=rt5_server.queue)
    )
    yield connector
    await connector.aclose()
