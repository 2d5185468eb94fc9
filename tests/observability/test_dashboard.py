"""Every expression of the Grafana dashboard names only metrics the code exports, and every metric
the code exports is on the dashboard (a renamed metric must not leave an empty panel behind)."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "assistant-dashboard.json"
# Every module that defines metrics: the kit's, and the domain metrics where they are counted.
METRIC_MODULES = (
    "service_kit.observability",
    "actions.metrics",
    "actions.satisfaction",
    "actions.cart_reminder",
    "actions.observability",
    "handoff.metrics",
    "sentiment.metrics",
    "channels.voice.metrics",
    "channels.rasa_metrics",
)
SERIES_OF = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum")}
METRIC_NAME = re.compile(r"\bshop_[a-z0-9_]+")


def exported_series() -> dict[str, str]:
    """Each series name the code exports, mapped to its metric's name."""
    for module in METRIC_MODULES:
        importlib.import_module(module)
    series: dict[str, str] = {}
    for family in REGISTRY.collect():
        if family.name.startswith("shop_"):
            for suffix in SERIES_OF[family.type]:
                series[family.name + suffix] = family.name
    return series


def expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_every_expression_names_exported_metrics() -> None:
    series = exported_series()
    for expr in expressions():
        names = METRIC_NAME.findall(expr)
        assert names, f"no metric in {expr!r}"
        unknown = [name for name in names if name not in series]
        assert not unknown, f"{expr!r} names {unknown}, which no code exports"


def test_every_exported_metric_is_on_the_dashboard() -> None:
    series = exported_series()
    shown = {series[name] for expr in expressions() for name in METRIC_NAME.findall(expr) if name in series}
    assert set(series.values()) - shown == set()


def test_panels_use_the_datasource_variable() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["templating"]["list"][0]["name"] == "datasource"
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}"
