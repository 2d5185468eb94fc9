"""SEMANTIC_THREADS: read when no thread count is passed; a wrong value names the variable."""

from __future__ import annotations

import re

import pytest

from knowledge_graph.semantic_search import configure_threads
from settings_kit.settings import InvalidSetting


def test_the_variable_sets_the_thread_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMANTIC_THREADS", "2")
    try:
        assert configure_threads() == 2
        monkeypatch.setenv("SEMANTIC_THREADS", "")
        assert configure_threads() == 1  # empty means the default
    finally:
        configure_threads(1)


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "SEMANTIC_THREADS must be between 1 and 64 (got '0')"), ("all", "SEMANTIC_THREADS must be a number")],
)
def test_a_wrong_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    monkeypatch.setenv("SEMANTIC_THREADS", value)
    with pytest.raises(InvalidSetting, match=re.escape(message)):
        configure_threads()
