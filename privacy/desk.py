"""`python -m privacy.desk`: the handoff desk with its privacy API answered across every store, and
its analytics page (analytics/, docs/analytics.md).

The launcher starts the desk this way. The desk (a service) cannot import the other services'
stores; this entry point, one layer above them, hands it the coordinator and the report source instead."""

from __future__ import annotations

from analytics.desk_source import DeskAnalytics
from handoff.app import main as desk_main
from privacy.requests import Stores, SubjectRequests


def main() -> None:
    desk_main(privacy=lambda: SubjectRequests(Stores.from_env()), analytics=DeskAnalytics.from_env)


if __name__ == "__main__":
    main()
