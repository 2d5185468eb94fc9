"""`python -m analytics.report --out DIR`: a static HTML page with inline SVG plots, and CSV files."""

from __future__ import annotations

import asyncio
import csv
import json
import re
from pathlib import Path

import pytest

from analytics.report import main
from tests.analytics.analytics_support import expected, fill_stores, tracker_rows, urls_for


async def test_report_command_writes_html_and_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    var, out = tmp_path / "var", tmp_path / "report"
    var.mkdir()
    await fill_stores(urls_for(var), tracker_rows())
    monkeypatch.setenv("ASSISTANT_VAR", str(var))
    # The test command runs the suite with the launcher's environment, whose store URLs name the repo's var/.
    for name in ("TRACKER_DB_URL", "HANDOFF_DB_URL", "PRICING_DB_URL", "RECS_DB_URL", "ASSISTANT_STORE"):
        monkeypatch.delenv(name, raising=False)
    arguments = ["--out", str(out), "--grain", "week", "--days", "3650", "--embedding", "tfidf"]
    assert await asyncio.to_thread(main, arguments) == 0  # the command runs its own event loop

    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 8  # every plot has data
    assert "Revenue influenced is what those purchases sold for" in page
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing from elsewhere
    assert "Not collected yet" not in page  # the generated conversations carry ratings

    with (out / "conversations.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    want = expected(tracker_rows())
    assert sum(int(row["conversations"]) for row in rows) == sum(want.conversations.values())
    with (out / "gaps.csv").open(newline="") as handle:
        gaps = list(csv.DictReader(handle))
    assert sum(int(gap["times_asked"]) for gap in gaps) == sum(want.unanswered.values())
    assert all(gap["suggestion"] for gap in gaps)
    with (out / "recommendations.csv").open(newline="") as handle:
        lists = list(csv.DictReader(handle))
    assert sum(float(row["revenue_influenced"]) for row in lists) == 75.0
    for name in ("messages", "intents", "handoffs", "handoff_reasons", "coupons", "topics"):
        assert (out / f"{name}.csv").stat().st_size > 0


async def test_unanswered_questions_are_shown_without_personal_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = tracker_rows(10)
    index = next(i for i, row in enumerate(rows) if row[4] == "nlu_fallback")
    event = json.loads(rows[index][6])
    event["text"] = "do you sell gift cards? mail me at jane.doe@example.com"
    rows[index] = (*rows[index][:6], json.dumps(event))
    await fill_stores(urls_for(tmp_path), rows)
    monkeypatch.setenv("ASSISTANT_VAR", str(tmp_path))
    out = tmp_path / "report"
    assert await asyncio.to_thread(main, ["--out", str(out), "--days", "3650", "--embedding", "tfidf"]) == 0
    written = (out / "index.html").read_text(encoding="utf-8") + (out / "topics.csv").read_text(encoding="utf-8")
    assert "jane.doe@example.com" not in written
    assert "mail me at [email]" in written


def test_report_without_ratings_says_they_are_not_collected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_VAR", str(tmp_path / "empty"))
    assert main(["--out", str(tmp_path / "report"), "--embedding", "tfidf"]) == 0
    page = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "Not collected yet" in page and "<svg" not in page
