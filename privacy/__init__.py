"""Data-subject requests (export, erase) across every store of the stack: see docs/privacy.md."""
