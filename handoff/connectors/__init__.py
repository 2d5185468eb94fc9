"""Connectors from the handoff desk to external ticket systems: RT 5, Zendesk, a signed webhook.

See docs/ticket-connectors.md; the desk codes against handoff.connectors.base only."""

from handoff.connectors.base import (
    ConnectorError,
    ConnectorRejected,
    ConnectorUnavailable,
    ExternalReply,
    ExternalTicket,
    TicketConnector,
    connectors_from_env,
)

__all__ = [
    "ConnectorError",
    "ConnectorRejected",
    "ConnectorUnavailable",
    "ExternalReply",
    "ExternalTicket",
    "TicketConnector",
    "connectors_from_env",
]
