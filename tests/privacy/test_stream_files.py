"""The event stream's analytics files in data-subject requests and the expiry sweep (privacy/stream_files.py)."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from analytics.stream_events import StreamWriter
from contracts.event_stream import event_key, stream_file
from contracts.privacy import Subject
from privacy import stream_files
from privacy.requests import ANALYTICS_STREAM, Stores, SubjectRequests
from tests.privacy.privacy_support import SHOPPERS

JANE = SHOPPERS[0]


def line(sender: str, text: str, timestamp: float = 1.0) -> str:
    event = {"sender_id": sender, "event": "user", "text": text, "timestamp": timestamp}
    return json.dumps({"key": event_key(event), "event": event}) + "\n"


def write_day(directory: Path, day: str, lines: list[str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = stream_file(directory, day)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_erase_removes_only_the_subjects_conversations_from_every_day(tmp_path: Path) -> None:
    first = write_day(tmp_path, "2026-12-01", [line("jane-1", "hi"), line("bob", "hello"), '{"key": "torn", "ev'])
    second = write_day(tmp_path, "2026-12-02", [line("jane-2", "my zip is 94107"), line("jane-1", "thanks")])

    dry = stream_files.erase(tmp_path, {"jane-1", "jane-2"}, dry_run=True)
    assert dry.deleted == {"events": 3}
    assert stream_files.count_events(tmp_path, {"jane-1", "jane-2"}) == 3, "a dry run changes nothing"

    done = stream_files.erase(tmp_path, {"jane-1", "jane-2"}, dry_run=False)
    assert done.deleted == {"events": 3}
    assert stream_files.count_events(tmp_path, {"jane-1", "jane-2"}) == 0
    assert first.read_text(encoding="utf-8") == line("bob", "hello") + '{"key": "torn", "ev', "others are kept"
    assert second.read_text(encoding="utf-8") == ""
    assert not list(tmp_path.glob(".events-*")), "no temporary file is left behind"


def test_expiry_deletes_the_files_of_whole_days_before_the_cutoff(tmp_path: Path) -> None:
    old = write_day(tmp_path, "2026-09-07", [line("a", "x"), line("b", "y")])
    kept = write_day(tmp_path, "2026-09-08", [line("c", "z")])
    before = datetime(2026, 9, 8, 15, 0, tzinfo=UTC)  # events of the 8th may be younger than this: kept

    assert stream_files.expire(tmp_path, before, dry_run=True).deleted == {"events": 2, "files": 1}
    assert old.exists()
    assert stream_files.expire(tmp_path, before, dry_run=False).deleted == {"events": 2, "files": 1}
    assert not old.exists() and kept.exists()


def test_lines_appended_while_a_file_is_rewritten_are_never_lost(tmp_path: Path) -> None:
    writer = StreamWriter(tmp_path)
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    stop = threading.Event()
    written: list[str] = []

    def append() -> None:
        number = 0
        while not stop.is_set() or number < 200:
            event = {"sender_id": "bob", "event": "user", "text": f"message {number}", "timestamp": float(number)}
            writer._append(event)
            written.append(event_key(event))
            number += 1
            if number >= 400:
                return

    thread = threading.Thread(target=append)
    thread.start()
    for round_number in range(50):  # rewrite the day's file again and again while bob's lines arrive
        with open(stream_file(tmp_path, day), "a", encoding="utf-8") as out:
            out.write(line(f"jane-{round_number}", "erase me"))
        stream_files.erase(tmp_path, {f"jane-{round_number}"}, dry_run=False)
    stop.set()
    thread.join(30)
    keys = [json.loads(text)["key"] for text in stream_file(tmp_path, day).read_text(encoding="utf-8").splitlines()]
    assert keys == written, "every appended line is there once, in order, and no erased one"


async def test_requests_export_count_and_erase_the_copied_events(stores: Stores, tmp_path: Path) -> None:
    directory = tmp_path / "analytics-stream"
    requests = SubjectRequests(replace(stores, analytics_stream=directory))
    subject = (await requests.resolve(Subject.named(email=JANE.email, phone=JANE.phone))).subject
    assert subject.conversation_ids, "the seed gives the shopper conversations"
    conversation = sorted(subject.conversation_ids)[0]
    write_day(directory, "2026-12-01", [line(conversation, f"my email is {JANE.email}"), line("someone-else", "hi")])

    exported = await requests.export(Subject.named(email=JANE.email, phone=JANE.phone))
    assert exported["stores"][ANALYTICS_STREAM]["events"] == 1
    report = await requests.erase(Subject.named(email=JANE.email, phone=JANE.phone), dry_run=False)
    assert report["stores"][ANALYTICS_STREAM]["deleted"] == {"events": 1}
    remaining = stream_file(directory, "2026-12-01").read_text(encoding="utf-8")
    assert JANE.email not in remaining and "someone-else" in remaining
