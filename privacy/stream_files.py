"""The analytics copy of the event stream (analytics/stream_events.py): export, erase and expiry.

With the event stream on, every tracker event is also appended to a file per UTC day, so the files
hold what shoppers wrote, like the tracker store they copy. A data-subject request and the expiry
sweep treat them the same way: the lines of the subject's conversations are counted (export: the
events themselves are in the tracker store's part of the document) or removed (erase), and the files
of days older than the retention age are deleted whole. A file is rewritten into a temporary file
beside it and renamed over it, under the lock the writer also takes (contracts/event_stream.py), so an
event appended meanwhile is never lost and a crash leaves the old or the new file, never half of one.

The files live on the machine of the consumer process; a request run elsewhere (another host of a
cluster) does not see them, and says so (`not_searched` in privacy/requests.py).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from contracts.event_stream import STREAM_FILE_PREFIX, STREAM_FILE_SUFFIX, stream_files_lock
from service_kit.privacy import Erasure

TABLE = "events"  # the name in the erasure counts, like the tracker store's table


def stream_files(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{STREAM_FILE_PREFIX}*{STREAM_FILE_SUFFIX}"))


def _sender(line: str) -> str | None:
    """The conversation of one line; None for a torn line (a crash while writing), which is kept."""
    try:
        event = json.loads(line).get("event")
    except (ValueError, AttributeError):
        return None
    sender = event.get("sender_id") if isinstance(event, dict) else None
    return sender if isinstance(sender, str) else None


def count_events(directory: Path, conversation_ids: Iterable[str]) -> int:
    """How many lines of these conversations the files hold."""
    wanted = set(conversation_ids)
    if not wanted:
        return 0
    with stream_files_lock(directory):
        return sum(
            _sender(line) in wanted
            for path in stream_files(directory)
            for line in path.read_text(encoding="utf-8").splitlines()
        )


def erase(directory: Path, conversation_ids: Iterable[str], *, dry_run: bool) -> Erasure:
    """Removes every line of these conversations from every day's file (counts only for a dry run)."""
    wanted = set(conversation_ids)
    done = Erasure()
    if not wanted or not directory.is_dir():
        return done
    with stream_files_lock(directory):
        for path in stream_files(directory):
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            kept = [line for line in lines if _sender(line) not in wanted]
            done.delete(TABLE, len(lines) - len(kept))
            if len(kept) < len(lines) and not dry_run:
                _replace(path, kept)
    return done


def expire(directory: Path, before: datetime, *, dry_run: bool) -> Erasure:
    """Deletes the files of the UTC days that ended before `before` (counts their lines)."""
    done = Erasure()
    if not directory.is_dir():
        return done
    cutoff = before.date().isoformat()
    with stream_files_lock(directory):
        for path in stream_files(directory):
            day = path.name.removeprefix(STREAM_FILE_PREFIX).removesuffix(STREAM_FILE_SUFFIX)
            if day < cutoff:
                done.delete(TABLE, len(path.read_text(encoding="utf-8").splitlines()))
                done.delete("files", 1)
                if not dry_run:
                    path.unlink()
    return done


def _replace(path: Path, lines: list[str]) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.writelines(lines)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
