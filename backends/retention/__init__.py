"""Retention backend: churn risk, value at stake, a retention tier and the reasons, per customer."""
