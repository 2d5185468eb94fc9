"""What one analytics report holds, and its JSON (the desk page) and CSV (the command) forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analytics.figures import Table
from analytics.gaps import Gap
from analytics.settings import Grain
from analytics.topics import Topic


@dataclass(frozen=True)
class Report:
    grain: Grain
    since: datetime
    generated_at: datetime
    tables: dict[str, Table]
    topics: list[Topic]
    gaps: list[Gap]
    plots: dict[str, str | None] = field(default_factory=dict)

    @property
    def satisfaction_collected(self) -> bool:
        """Ratings appear once the bot asks for them (a `satisfaction` slot); until then the page says so."""
        return any(self.tables["conversations"].column("ratings"))

    def as_json(self) -> dict[str, Any]:
        return {
            "grain": self.grain,
            "since": self.since.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "tables": {name: table.as_json() for name, table in self.tables.items()},
            "satisfaction_collected": self.satisfaction_collected,
            "gaps": [
                {
                    "topic": gap.topic.label,
                    "count": gap.topic.count,
                    "examples": gap.topic.examples,
                    "closest": None if gap.closest is None else {"kind": gap.closest.kind, "key": gap.closest.key},
                    "similarity": gap.similarity,
                    "suggestion": gap.suggestion,
                }
                for gap in self.gaps
            ],
            "plots": self.plots,
        }

    def csv_tables(self) -> dict[str, Table]:
        """The figures plus the topics and gaps as tables."""
        gap_rows = [
            (
                gap.topic.label,
                gap.topic.count,
                " | ".join(gap.topic.examples),
                gap.closest.kind if gap.closest else "",
                gap.closest.key if gap.closest else "",
                gap.similarity,
                gap.suggestion,
            )
            for gap in self.gaps
        ]
        columns = ["topic", "times_asked", "examples", "closest_kind", "closest_key", "similarity", "suggestion"]
        topic_rows = [(topic.label, topic.count, message) for topic in self.topics for message in topic.messages]
        return {
            **self.tables,
            "gaps": Table("gaps", columns, gap_rows),
            "topics": Table("topics", ["topic", "times_asked", "message"], topic_rows),
        }
