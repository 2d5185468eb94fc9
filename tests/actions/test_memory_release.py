"""The action server gives freed memory back every MEMORY_RELEASE_EVERY_S (actions/memory_release.py).
Its effect on a running stack is measured by benchmarks/actions_memory_growth.py; here, the wiring."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

import rasa_sdk_plugins
from actions.memory_release import MemoryReleasePlugin
from service_kit import memory
from service_kit.memory import MemoryReleaseSettings, release_freed_memory_every


class RecordingApp:
    """What the plugin uses of a Sanic app: listeners and tasks."""

    def __init__(self) -> None:
        self.listeners: list[tuple[Any, str]] = []
        self.tasks: list[Any] = []

    def register_listener(self, listener: Any, event: str) -> None:
        self.listeners.append((listener, event))

    def add_task(self, task: Any, name: str | None = None) -> None:
        self.tasks.append(task)


async def test_memory_is_released_every_period(monkeypatch: pytest.MonkeyPatch) -> None:
    trims: list[bool] = []
    monkeypatch.setattr(memory, "trim_heap", lambda: trims.append(True) or True)
    monkeypatch.setattr(memory, "gc", SimpleNamespace(collect=lambda: 0))  # a whole pytest run's heap is slow
    releasing = asyncio.create_task(release_freed_memory_every(0.02))
    await asyncio.sleep(0.3)
    releasing.cancel()
    assert len(trims) >= 3


def test_on_start_the_server_gets_the_release_task() -> None:
    app = RecordingApp()
    MemoryReleasePlugin(MemoryReleaseSettings(every_s=60)).attach_sanic_app_extensions(app)
    [(listener, event)] = app.listeners
    assert event == "after_server_start"
    asyncio.run(listener(app))
    [task] = app.tasks
    assert task.cr_code is release_freed_memory_every.__code__
    task.close()


def test_a_period_of_zero_releases_nothing() -> None:
    app = RecordingApp()
    MemoryReleasePlugin(MemoryReleaseSettings(every_s=0)).attach_sanic_app_extensions(app)
    assert app.listeners == []


def test_the_period_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTIONS_API_TOKEN", "t" * 40)
    monkeypatch.setenv("MEMORY_RELEASE_EVERY_S", "15")
    manager = _plugin_manager()
    rasa_sdk_plugins.init_hooks(manager)
    plugin = manager.get_plugin(MemoryReleasePlugin.NAME)
    assert isinstance(plugin, MemoryReleasePlugin) and plugin.settings.every_s == 15


def _plugin_manager() -> Any:
    """A fresh one: rasa-sdk's own `plugin_manager()` is cached for the process."""
    import sys

    import pluggy
    import rasa_sdk.plugin  # noqa: F401 - the hook specifications

    manager = pluggy.PluginManager("rasa_sdk")
    manager.add_hookspecs(sys.modules["rasa_sdk.plugin"])
    return manager
