"""The stack's demo mail outbox (a Maildir under its var/): where one-time change codes arrive."""

from __future__ import annotations

import mailbox
import re
import time
from pathlib import Path

CODE = re.compile(r"\b(\d{8})\b")


def delivery_order(key: str) -> tuple[int, int]:
    """Maildir keys start with <seconds>.M<microseconds>: the delivery order, finer than get_date()."""
    seconds, rest = key.split(".", 1)
    return int(seconds), int(rest[1:].split("P", 1)[0])


def mailed_code(var: Path, to: str, after: float = 0.0, timeout_s: float = 10.0) -> str:
    """The code in the newest mail to `to` delivered after `after` (a Unix time)."""
    deadline = time.monotonic() + timeout_s
    while True:
        box = mailbox.Maildir(var / "mail-outbox", create=True)
        keys = [key for key in box.iterkeys() if box[key]["To"] == to and box[key].get_date() >= after]
        if keys:
            newest = box[max(keys, key=delivery_order)]
            return CODE.search(newest.get_payload(decode=True).decode()).group(1)
        assert time.monotonic() < deadline, f"no code mailed to {to}"
        time.sleep(0.2)
