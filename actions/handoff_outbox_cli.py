"""`python -m actions.handoff_outbox_cli`: deliver queued hand-offs to the desk now (e.g. from cron).

Kept apart from actions/handoff_outbox.py, which actions/backend.py imports: the command needs
actions.backend's client, and importing it from there made the two modules import each other."""

from __future__ import annotations

import asyncio
import logging
import sys

from actions.backend import handoff_client
from actions.handoff_outbox import HandoffOutbox, default_path


def main() -> int:
    """Deliver queued hand-offs now; exit status 1 while some are still pending."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    outbox = HandoffOutbox(default_path())

    async def run() -> int:
        client = handoff_client()
        try:
            return await outbox.deliver_pending(client.create_handoff)
        finally:
            await client.close()

    sent = asyncio.run(run())
    left = len(outbox.pending())
    print(f"delivered {sent}, {left} still pending")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
