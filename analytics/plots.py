"""The report's plots as SVG text (matplotlib, no browser library, no CDN): the static report inlines
them, the desk page shows them as images. A plot without data is None; the page says so instead."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt

from analytics.figures import Table
from analytics.topics import Topic

plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False})
SIZE = (6.4, 2.8)
CHANNEL_COLOURS = {"web": "#3b6fb6", "app": "#e0912f", "voice": "#4c9a55", "site": "#8a6fb6"}


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.tight_layout()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # the XML prologue and doctype do not belong inside HTML


def _by(table: Table, key: str, value: str) -> dict[str, dict[Any, float]]:
    """{key value: {period: value}} from rows with `period`, `key` and `value` columns."""
    series: dict[str, dict[Any, float]] = defaultdict(dict)
    for period, name, number in zip(table.column("period"), table.column(key), table.column(value), strict=True):
        series[str(name)][period] = float(number or 0)
    return series


def conversations(table: Table) -> str | None:
    """Conversations per period, stacked by channel."""
    return _stacked_by_channel(table, "conversations", "conversations")


def recommendations(table: Table) -> str | None:
    """Revenue influenced by recommendation lists per period (stacked by the channel that showed them),
    with the lists shown on a second axis: is a busy period also a profitable one?"""
    if not table.rows:
        return None
    figure, axes = _stacked_axes(table, "revenue_influenced", "revenue influenced")
    shown = _by(table, "channel", "lists_shown")
    periods = sorted({period for values in shown.values() for period in values})
    lists = axes.twinx()
    lists.plot(
        [str(p) for p in periods],
        [sum(values.get(p, 0.0) for values in shown.values()) for p in periods],
        color="#555",
        marker="o",
        label="lists shown",
    )
    lists.set_ylabel("lists shown")
    lists.set_ylim(bottom=0)
    lists.legend(frameon=False, loc="upper left")
    return _svg(figure)


def _stacked_by_channel(table: Table, column: str, label: str) -> str | None:
    if not table.rows:
        return None
    figure, _ = _stacked_axes(table, column, label)
    return _svg(figure)


def _stacked_axes(table: Table, column: str, label: str) -> tuple[Any, Any]:
    """Bars of `column` per period, stacked by channel, with a legend: the figure and its axes."""
    series = _by(table, "channel", column)
    periods = sorted({period for values in series.values() for period in values})
    figure, axes = plt.subplots(figsize=SIZE)
    bottom = [0.0] * len(periods)
    for channel, values in sorted(series.items()):
        heights = [values.get(period, 0.0) for period in periods]
        axes.bar([str(p) for p in periods], heights, bottom=bottom, label=channel, color=CHANNEL_COLOURS.get(channel))
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_ylabel(label)
    axes.legend(frameon=False)
    axes.tick_params(axis="x", labelrotation=45)
    return figure, axes


def rates(conversations: Table, messages: Table) -> str | None:
    """Containment (of conversations) and fallback rate (of messages) per period and channel."""
    if not conversations.rows and not messages.rows:
        return None
    figure, axes = plt.subplots(figsize=SIZE)
    for title, table, column, style in (
        ("containment", conversations, "containment", "-"),
        ("fallback rate", messages, "fallback_rate", "--"),
    ):
        for channel, values in sorted(_by(table, "channel", column).items()):
            periods = sorted(values)
            axes.plot(
                [str(p) for p in periods],
                [values[p] for p in periods],
                style,
                marker="o",
                color=CHANNEL_COLOURS.get(channel),
                label=f"{title} ({channel})",
            )
    axes.set_ylim(0, 1.05)
    axes.legend(frameon=False, fontsize=7)
    axes.tick_params(axis="x", labelrotation=45)
    return _svg(figure)


def intents(table: Table) -> str | None:
    """Messages per intent per period (the top intents, the rest as 'other')."""
    if not table.rows:
        return None
    series = _by(table, "intent", "messages")
    figure, axes = plt.subplots(figsize=SIZE)
    for intent, values in sorted(series.items(), key=lambda item: -sum(item[1].values())):
        periods = sorted(values)
        axes.plot([str(p) for p in periods], [values[p] for p in periods], marker=".", label=intent)
    axes.set_ylabel("messages")
    axes.legend(frameon=False, fontsize=7, ncol=2)
    axes.tick_params(axis="x", labelrotation=45)
    return _svg(figure)


def frustration(table: Table) -> str | None:
    """The share of messages with a frustrated tone, per channel."""
    if not any(value is not None for value in table.column("mean_frustration")):
        return None
    figure, axes = plt.subplots(figsize=SIZE)
    for channel, values in sorted(_by(table, "channel", "frustrated_share").items()):
        periods = sorted(values)
        axes.plot(
            [str(p) for p in periods],
            [values[p] for p in periods],
            marker="o",
            color=CHANNEL_COLOURS.get(channel),
            label=channel,
        )
    axes.set_ylabel("frustrated messages")
    axes.set_ylim(0, 1.05)
    axes.legend(frameon=False)
    axes.tick_params(axis="x", labelrotation=45)
    return _svg(figure)


def waiting(table: Table) -> str | None:
    """Median wait for an agent and median time to the agent's first reply, per period (all channels)."""
    if not table.rows:
        return None
    wait: dict[Any, list[float]] = defaultdict(list)
    reply: dict[Any, list[float]] = defaultdict(list)
    for period, wait_s, reply_s in zip(
        table.column("period"), table.column("median_wait_s"), table.column("median_first_reply_s"), strict=True
    ):
        if wait_s is not None:
            wait[period].append(float(wait_s))
        if reply_s is not None:
            reply[period].append(float(reply_s))
    periods = sorted(set(table.column("period")))
    figure, axes = plt.subplots(figsize=SIZE)
    for title, values in (("wait for an agent", wait), ("first agent reply", reply)):
        axes.plot(
            [str(p) for p in periods],
            [max(values[p]) / 60 if values[p] else float("nan") for p in periods],
            marker="o",
            label=title,
        )
    axes.set_ylabel("minutes (median, worst channel)")
    axes.legend(frameon=False)
    axes.tick_params(axis="x", labelrotation=45)
    return _svg(figure)


def topics(found: Sequence[Topic], limit: int = 12) -> str | None:
    """The most asked unanswered topics."""
    if not found:
        return None
    shown = list(found[:limit])[::-1]
    figure, axes = plt.subplots(figsize=(SIZE[0], 0.3 * len(shown) + 0.8))
    axes.barh([topic.label[:40] for topic in shown], [topic.count for topic in shown], color="#b64b3b")
    axes.set_xlabel("times asked")
    return _svg(figure)


def coupons(table: Table) -> str | None:
    """Goodwill coupons offered and redeemed per period."""
    if not table.rows:
        return None
    periods = [str(p) for p in table.column("period")]
    figure, axes = plt.subplots(figsize=SIZE)
    positions = range(len(periods))
    axes.bar([p - 0.2 for p in positions], table.column("offered"), width=0.4, label="offered")
    axes.bar([p + 0.2 for p in positions], table.column("redeemed"), width=0.4, label="redeemed")
    axes.set_xticks(list(positions), periods, rotation=45)
    axes.set_ylabel("coupons")
    axes.legend(frameon=False)
    return _svg(figure)
