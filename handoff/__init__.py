"""Human handoff desk: ticket store, service API for the bot, live agent desk at /desk/ (docs/handoff-desk.md)."""
