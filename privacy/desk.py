"""`python -m privacy.desk`: the handoff desk with its privacy API answered across every store, its
analytics page (analytics/, docs/analytics.md), and the conversation expiry running beside it
(privacy/expire.py: a sweep at start and every CONVERSATION_EXPIRY_INTERVAL_H hours).

The launcher starts the desk this way. The desk (a service) cannot import the other services'
stores; this entry point, one layer above them, hands it the coordinator and the report source instead."""

from __future__ import annotations

import sys
from functools import partial

from analytics.desk_source import DeskAnalytics
from handoff.app import main as desk_main
from privacy.expire import ExpirySettings, sweep_forever
from privacy.requests import Stores, SubjectRequests


def main() -> None:
    try:
        expiry = ExpirySettings.from_env()
        requests = SubjectRequests(Stores.from_env())
    except ValueError as error:
        sys.exit(f"handoff desk: {error}")
    desk_main(
        privacy=lambda: requests,
        analytics=DeskAnalytics.from_env,
        background=[partial(sweep_forever, requests.stores, expiry)],
    )


if __name__ == "__main__":
    main()
