"""What the processes of both venvs agree on: shared types, policies and texts.

The Rasa process (channels/, nlu/, Python 3.10, pydantic 1) and the action server and services
(actions/, backends/, handoff/..., Python 3.11, pydantic 2) must never import each other, yet some
rules are one rule for all of them: who an app user is (identity), the operator's texts and
policies (shop_policies), the durable hand-off queue (handoff_queue), how frustrated a shopper is
(frustration), the catalogue's types (catalogue*), the metrics every process exports (metrics).
Each such rule lives here, once.

The rule for this package: pure. Standard library, PyYAML, PyJWT and prometheus-client (the
operator's metrics, contracts/metrics.py) only (dataclasses, not
pydantic; no aiohttp, rasa, rasa_sdk), runs on Python 3.10 and 3.11, and never imports any other
project package. Process-specific code (HTTP handlers, Rasa components, actions) stays where it
runs and imports from here.
"""
