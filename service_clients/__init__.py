"""Typed clients of our own HTTP services, each a thin layer over one transport (`service_clients.http`).

They live here, not in `actions/`, because services call each other with them too (the handoff desk asks
the orders backend, recommendations mirror the catalogue). Services venv only."""
