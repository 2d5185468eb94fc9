"""The action server gives freed memory back to the system every minute.

Each action call parses a whole tracker and builds a reply; what is left after a call is garbage the
collector frees only at its next full collection, and memory malloc keeps for reuse. Without this the
server's RSS grew by about 30 KB per conversation, steadily (84 to 96 MiB over 435 conversations,
benchmarks/actions_memory_growth.py), while its Python objects and malloc's bytes in use stayed flat.
MEMORY_RELEASE_EVERY_S sets the period (0: never)."""

from __future__ import annotations

from typing import Any

import pluggy

from service_kit.memory import MemoryReleaseSettings, release_freed_memory_every

hookimpl = pluggy.HookimplMarker("rasa_sdk")


class MemoryReleasePlugin:
    """Registered by rasa_sdk_plugins.init_hooks; rasa-sdk calls the hook on every worker's app."""

    NAME = "memory-release"

    def __init__(self, settings: MemoryReleaseSettings) -> None:
        self.settings = settings

    @hookimpl
    def attach_sanic_app_extensions(self, app: Any) -> None:
        if self.settings.every_s <= 0:
            return

        async def start(app: Any, *_: Any) -> None:
            app.add_task(release_freed_memory_every(self.settings.every_s), name="memory-release")

        app.register_listener(start, "after_server_start")
