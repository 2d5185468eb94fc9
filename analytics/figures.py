"""The figures: one SQL query each over the warehouse's tables (definitions in docs/analytics.md).

Every figure is cut by period (`day` or `week`, UTC, weeks start on Monday) and, where the store
knows it, by channel (web, app, voice). `since` limits every figure to what started at or after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from analytics.settings import Grain

TOP_INTENTS = 8  # intents over time: the most frequent ones by name, the rest as "other"
FRUSTRATED = 0.5  # a message counts as frustrated from this tone score (the desk's priority default)


@dataclass(frozen=True)
class Table:
    """A figure's rows, as the page, the CSV files and the plots take them."""

    name: str
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def as_json(self) -> dict[str, Any]:
        return {"columns": self.columns, "rows": [[_plain(value) for value in row] for row in self.rows]}

    def column(self, name: str) -> list[Any]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]


CONVERSATIONS = """
SELECT date_trunc($grain, c.started_at)::DATE AS period, c.channel,
    count(*) AS conversations,
    count(*) FILTER (WHERE c.handed_off) AS handed_off,
    round(1 - count(*) FILTER (WHERE c.handed_off) / count(*), 4) AS containment,
    sum(c.user_turns) AS messages,
    count(c.satisfaction) AS ratings,
    round(avg(c.satisfaction), 2) AS satisfaction
FROM conversations c
WHERE c.started_at >= $since
GROUP BY ALL ORDER BY period, channel
"""

TURNS = """
SELECT date_trunc($grain, happened_at)::DATE AS period, channel,
    count(*) AS messages,
    count(*) FILTER (WHERE fallback) AS fallbacks,
    round(count(*) FILTER (WHERE fallback) / count(*), 4) AS fallback_rate,
    round(avg(frustration), 4) AS mean_frustration,
    round(count(*) FILTER (WHERE frustration >= $frustrated) / count(*), 4) AS frustrated_share
FROM turns
WHERE happened_at >= $since
GROUP BY ALL ORDER BY period, channel
"""

INTENTS = """
WITH recent AS (SELECT * FROM turns WHERE happened_at >= $since),
top AS (SELECT intent FROM recent WHERE intent IS NOT NULL GROUP BY intent ORDER BY count(*) DESC, intent LIMIT $top)
SELECT date_trunc($grain, happened_at)::DATE AS period,
    CASE WHEN intent IN (SELECT intent FROM top) THEN intent ELSE 'other' END AS intent,
    count(*) AS messages
FROM recent
GROUP BY ALL ORDER BY period, messages DESC, intent
"""

# Waiting: from the hand-off to an agent taking the ticket; first reply: to the agent's first message.
HANDOFFS = """
WITH first_reply AS (
    SELECT ticket_id, min(created_at) AS replied_at FROM ticket_messages WHERE role = 'agent' GROUP BY ticket_id
)
SELECT date_trunc($grain, t.created_at)::DATE AS period, channel_group(t.channel) AS channel,
    count(*) AS handoffs,
    count(t.taken_at) AS taken,
    round(median(epoch(t.taken_at - t.created_at)), 1) AS median_wait_s,
    round(quantile_cont(epoch(t.taken_at - t.created_at), 0.9), 1) AS p90_wait_s,
    round(median(epoch(r.replied_at - t.created_at)), 1) AS median_first_reply_s
FROM tickets t LEFT JOIN first_reply r ON r.ticket_id = t.id
WHERE t.created_at >= $since
GROUP BY ALL ORDER BY period, channel
"""

HANDOFF_REASONS = """
SELECT t.reason, channel_group(t.channel) AS channel, count(*) AS handoffs,
    round(median(epoch(t.taken_at - t.created_at)), 1) AS median_wait_s,
    round(avg(t.frustration), 3) AS mean_frustration
FROM tickets t
WHERE t.created_at >= $since
GROUP BY ALL ORDER BY handoffs DESC, reason, channel
"""

COUPONS = """
SELECT date_trunc($grain, o.issued_at)::DATE AS period,
    count(*) AS offered,
    round(sum(o.amount), 2) AS offered_value,
    count(r.code) AS redeemed,
    round(coalesce(sum(r.order_value), 0), 2) AS redeemed_order_value
FROM goodwill_offers o
LEFT JOIN (SELECT code, min(redeemed_at) AS redeemed_at, sum(order_value) AS order_value
           FROM coupon_redemptions GROUP BY code) r ON r.code = o.coupon_code
WHERE o.issued_at >= $since
GROUP BY ALL ORDER BY period
"""

# Lists shown per period and channel, and what they led to (attribution: backends/recommendations/
# service.py, docs/analytics.md): a click (view or add-to-cart) or purchase of a listed item by the
# customer it was shown to, within RECS_ATTRIBUTION_DAYS, credited to the newest such list once. A
# conversion counts in the period the list was shown, so a period's figures can still grow.
RECOMMENDATIONS = """
SELECT date_trunc($grain, l.shown_at)::DATE AS period, conversation_channel(l.conversation_id) AS channel,
    count(DISTINCT l.id) AS lists_shown,
    count(DISTINCT l.id) FILTER (WHERE l.personalised) AS personalised_lists,
    count(c.list_id) FILTER (WHERE c.kind = 'click') AS clicks,
    count(c.list_id) FILTER (WHERE c.kind = 'purchase') AS purchases,
    round(coalesce(sum(c.revenue) FILTER (WHERE c.kind = 'purchase'), 0), 2) AS revenue_influenced
FROM rec_lists l LEFT JOIN rec_conversions c ON c.list_id = l.id
WHERE l.shown_at >= $since
GROUP BY ALL ORDER BY period, channel
"""

UNANSWERED = """
SELECT text, count(*) AS times, max(happened_at) AS last_asked, list(DISTINCT channel ORDER BY channel) AS channels
FROM turns
WHERE fallback AND happened_at >= $since AND text IS NOT NULL AND trim(text) <> ''
GROUP BY text ORDER BY times DESC, last_asked DESC
LIMIT $limit
"""

QUERIES = {
    "conversations": CONVERSATIONS,
    "messages": TURNS,
    "intents": INTENTS,
    "handoffs": HANDOFFS,
    "handoff_reasons": HANDOFF_REASONS,
    "coupons": COUPONS,
    "recommendations": RECOMMENDATIONS,
}


def figure(db: duckdb.DuckDBPyConnection, name: str, grain: Grain, since: datetime) -> Table:
    """One of QUERIES; only the parameters a query names are passed to it."""
    sql = QUERIES[name]
    params = {"grain": grain, "since": since, "top": TOP_INTENTS, "frustrated": FRUSTRATED}
    return _run(db, name, sql, {key: value for key, value in params.items() if f"${key}" in sql})


def figures(db: duckdb.DuckDBPyConnection, grain: Grain, since: datetime) -> dict[str, Table]:
    return {name: figure(db, name, grain, since) for name in QUERIES}


def unanswered(db: duckdb.DuckDBPyConnection, since: datetime, limit: int) -> Table:
    """The distinct messages the bot could not answer, most asked first: the input of the topics."""
    return _run(db, "unanswered", UNANSWERED, {"since": since, "limit": limit})


def _run(db: duckdb.DuckDBPyConnection, name: str, sql: str, params: dict[str, Any]) -> Table:
    cursor = db.cursor()  # a cursor per query: the desk may run figures from several threads
    try:
        result = cursor.execute(sql, params)
        columns = [column[0] for column in result.description or []]
        return Table(name, columns, result.fetchall())
    finally:
        cursor.close()


def _plain(value: Any) -> Any:
    """JSON has no dates; lists stay lists."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
