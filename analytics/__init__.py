"""Conversation analytics: DuckDB over the stores the stack already has (docs/analytics.md)."""
