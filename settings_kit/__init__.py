"""Typed settings from environment variables (pydantic-settings): the one way services-venv code reads its
configuration, so a wrong value always stops it with a line naming the variable. A package of its own,
below the other kits, because `service_kit`, `service_clients` and `speech` all read settings and none of
them may import another. Services venv only; imports nothing of the product."""
