"""Custom Rasa graph components for the shop assistant's NLU pipeline (see docs/nlu.md)."""
