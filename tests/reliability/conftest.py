"""One assistant stack for the reliability tests, started through the launcher (so under its supervisor).

Its own ports (offset 1100, see tests/e2e/conftest.py) and state directory: the fault tests kill its
processes, which must not disturb the shared end-to-end stack.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import Stack, stack_env, start_stack


@pytest.fixture(scope="session")
def reliability_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var = tmp_path_factory.mktemp("reliability-stack")
    started = start_stack(var, stack_env(var, port_offset=1100))
    yield started
    started.launcher("stop")
