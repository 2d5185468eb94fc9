"""The static report page: plain HTML with the plots inline as SVG, no script, no external file."""

from __future__ import annotations

from html import escape
from typing import Any

from analytics.contents import Report
from analytics.figures import Table

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5rem 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: .2rem .5rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } .meta, .empty { color: #666; } svg { max-width: 100%; height: auto; }
"""

SECTIONS = (
    # (title, plot, tables, note)
    ("Conversations and containment", "conversations", ("conversations",), ""),
    ("Fallback rate and containment", "rates", ("messages",), ""),
    ("Intents over time", "intents", ("intents",), ""),
    ("Frustration over time", "frustration", (), "Share of messages whose tone score is at least 0.5."),
    ("Hand-offs: reasons, waiting and first reply", "waiting", ("handoffs", "handoff_reasons"), ""),
    ("Goodwill coupons", "coupons", ("coupons",), ""),
    (
        "Recommendations: lists shown, conversions and revenue influenced",
        "recommendations",
        ("recommendations",),
        "A click (view or add-to-cart) or purchase counts for a list when the customer it was shown to acts on "
        "one of its items within the attribution window (RECS_ATTRIBUTION_DAYS, 7 days); each is credited once, "
        "to the newest list that showed the item, in the period that list was shown. Revenue influenced is what "
        "those purchases sold for. Lists shown without consent to personalisation name no customer, so they "
        "earn no conversions.",
    ),
)


def render(report: Report) -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Assistant analytics</title><style>",
        STYLE,
        "</style></head><body>",
        "<h1>Assistant analytics</h1>",
        f"<p class='meta'>Per {report.grain} since {report.since:%Y-%m-%d %H:%M} UTC; "
        f"generated {report.generated_at:%Y-%m-%d %H:%M} UTC. Definitions: docs/analytics.md.</p>",
    ]
    for title, plot, tables, note in SECTIONS:
        parts.append(f"<h2>{escape(title)}</h2>")
        if note:
            parts.append(f"<p class='meta'>{escape(note)}</p>")
        parts.append(report.plots.get(plot) or "<p class='empty'>No data in this period.</p>")
        parts += [_table(report.tables[name]) for name in tables]
    parts.append("<h2>Satisfaction</h2>")
    if report.satisfaction_collected:
        parts.append("<p>Mean rating (1-5) per period and channel: the columns ratings and satisfaction above.</p>")
    else:
        parts.append(
            "<p class='empty'>Not collected yet: the assistant does not ask for a rating (docs/analytics.md).</p>"
        )
    parts.append("<h2>Unanswered questions and knowledge-base gaps</h2>")
    parts.append(report.plots.get("topics") or "<p class='empty'>No unanswered questions in this period.</p>")
    if report.gaps:
        rows = [
            (
                gap.topic.label,
                gap.topic.count,
                "<br>".join(escape(example) for example in gap.topic.examples),
                escape(f"{gap.closest.kind} {gap.closest.key} ({gap.similarity:.2f})") if gap.closest else "",
                escape(gap.suggestion),
            )
            for gap in report.gaps
        ]
        parts.append(_rows(["topic", "times asked", "examples", "closest answer", "where to add one"], rows, raw=True))
    parts.append("</body></html>")
    return "\n".join(parts)


def _table(table: Table) -> str:
    if not table.rows:
        return f"<p class='empty'>{escape(table.name)}: no rows.</p>"
    return _rows(table.columns, table.rows)


def _rows(columns: list[str], rows: list[tuple[Any, ...]], *, raw: bool = False) -> str:
    """`raw`: the cells are HTML already (escaped by the caller), except the first column."""
    head = "".join(f"<th>{escape(column)}</th>" for column in columns)
    body = []
    for row in rows:
        cells = [escape(_cell(value)) if not raw or index == 0 else str(value) for index, value in enumerate(row)]
        body.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
