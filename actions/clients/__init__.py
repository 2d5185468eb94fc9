"""Typed clients of the commerce backends, used by the action server."""
