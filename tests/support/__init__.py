"""Shared test helpers: throwaway PostgreSQL and Redis servers on free 127.0.0.1 ports."""
