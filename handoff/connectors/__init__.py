"""Connectors from the handoff desk to external ticket systems: RT 5, Zendesk, a signed webhook.

See docs/ticket-connectors.md. The desk codes against the contract in handoff.connectors.base;
handoff.connectors.registry builds the connectors a deployment names. Importing the package loads
neither, so code that needs only the contract does not load every connector."""
