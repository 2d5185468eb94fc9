"""rasa-sdk's plugin package: rasa-sdk imports ``rasa_sdk_plugins`` and calls ``init_hooks``.

This is how the action server's token guard (actions/server.py) reaches every Sanic worker: rasa-sdk
builds its app again in each worker process (Sanic's AppLoader, spawned processes), and each build
asks the plugin manager, which discovers this package. Without ACTIONS_API_TOKEN the server does
not start.
"""

from __future__ import annotations

import pluggy

from actions.handoff import OutboxRetriesPlugin
from actions.memory_release import MemoryReleasePlugin
from actions.observability import ObservabilityPlugin
from actions.server import TokenGuardPlugin, configured_token
from service_kit.memory import MemoryReleaseSettings
from service_kit.observability import MetricsSettings


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(TokenGuardPlugin(configured_token()), name=TokenGuardPlugin.NAME)
    # Queued hand-offs are retried from the start of the server (actions/handoff_outbox.py).
    manager.register(OutboxRetriesPlugin(), name=OutboxRetriesPlugin.NAME)
    # Request ids, metrics (/metrics with METRICS_TOKEN) and the log format (actions/observability.py).
    manager.register(ObservabilityPlugin(MetricsSettings.from_env()), name=ObservabilityPlugin.NAME)
    # Freed memory back to the system every minute: RSS stays flat (actions/memory_release.py).
    manager.register(MemoryReleasePlugin(MemoryReleaseSettings.from_env()), name=MemoryReleasePlugin.NAME)
