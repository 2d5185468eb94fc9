"""Which ticket connectors a deployment runs: the names HANDOFF_CONNECTORS may list, and the factory.

Kept out of handoff/connectors/base.py because it imports every connector module, and those import
the base: with the factory in the base, the contract and its implementations imported each other."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from handoff.connectors.base import TicketConnector
from handoff.connectors.rt5 import RT5Connector
from handoff.connectors.webhook import WebhookConnector
from handoff.connectors.zendesk import ZendeskConnector

# Each connector configures itself from the environment and says which setting is missing.
CONNECTORS: dict[str, Callable[[Mapping[str, str]], TicketConnector]] = {
    "rt5": RT5Connector.from_env,
    "zendesk": ZendeskConnector.from_env,
    "webhook": WebhookConnector.from_env,
}
CONNECTOR_NAMES = tuple(CONNECTORS)


def connectors_from_env(env: Mapping[str, str]) -> list[TicketConnector]:
    """The connectors named in HANDOFF_CONNECTORS (comma separated; default none), configured from `env`.

    Raises ValueError naming the missing or unknown setting, so a bad deployment fails at start-up."""
    names = [part.strip().lower() for part in env.get("HANDOFF_CONNECTORS", "").split(",") if part.strip()]
    unknown = sorted(set(names) - set(CONNECTOR_NAMES))
    if unknown:
        raise ValueError(
            f"HANDOFF_CONNECTORS: unknown connector(s) {', '.join(unknown)}; known: {', '.join(CONNECTOR_NAMES)}"
        )
    return [CONNECTORS[name](env) for name in dict.fromkeys(names)]
