"""Frequency-capping decisions, deterministic A/B assignment and the report's statistics."""

from __future__ import annotations

import pytest

from backends.recommendations.ab import (
    DEFAULT_VARIANTS,
    Variant,
    assign,
    bucket,
    difference_interval,
    format_report,
    report,
    wilson_interval,
)
from backends.recommendations.capping import CapConfig, capped_items, list_allowed
from backends.recommendations.settings import Settings


def test_items_shown_too_often_are_capped() -> None:
    config = CapConfig(item_max=2)
    assert capped_items({"a": 2, "b": 1, "c": 5}, config) == {"a", "c"}
    assert capped_items({}, config) == set()


def test_lists_per_conversation_are_capped() -> None:
    config = CapConfig(lists_max=3)
    assert list_allowed(2, config) and not list_allowed(3, config)


def test_assignment_is_deterministic_and_balanced() -> None:
    variants = DEFAULT_VARIANTS
    first = [assign("exp", f"C{n}", variants).name for n in range(4000)]
    assert first == [assign("exp", f"C{n}", variants).name for n in range(4000)]
    share = first.count(variants[0].name) / len(first)
    assert 0.46 < share < 0.54
    reshuffled = [assign("exp-2", f"C{n}", variants).name for n in range(4000)]
    assert 0.4 < sum(a != b for a, b in zip(first, reshuffled, strict=True)) / 4000 < 0.6
    assert 0 <= bucket("exp", "C1") < 1 and bucket("exp", "C1") == bucket("exp", "C1")


def test_assignment_follows_shares() -> None:
    variants = (Variant("a", {"item_cf": 1}, 0.9), Variant("b", {"content": 1}, 0.1))
    names = [assign("x", str(n), variants).name for n in range(5000)]
    assert 0.87 < names.count("a") / 5000 < 0.93


def test_wilson_interval_known_values() -> None:
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 0.0)


def test_difference_interval_known_values() -> None:
    # p1 = 0.10 (n=1000), p2 = 0.15 (n=1000): se = sqrt(.09/1000 + .1275/1000) = 0.014748
    low, high = difference_interval(100, 1000, 150, 1000)
    assert (low, high) == pytest.approx((0.05 - 1.959964 * 0.0147479, 0.05 + 1.959964 * 0.0147479), abs=1e-6)
    assert low > 0  # significant


def test_report_rows_and_table() -> None:
    results = report({"hybrid": (200, 30), "item_cf": (180, 18)})
    assert [r.variant for r in results] == ["hybrid", "item_cf"]
    assert results[0].rate == pytest.approx(0.15) and results[0].difference is None
    assert results[1].rate == pytest.approx(0.1) and results[1].difference is not None
    assert results[1].difference[0] < 0 < results[1].difference[1]  # not significant at this size
    table = format_report(results)
    assert "(control)" in table and "0.150" in table
    assert report({"a": (10, 1), "b": (10, 2)}, control="b")[0].difference is not None
    assert report({}) == []


def test_settings_from_environment() -> None:
    settings = Settings.from_env(
        {
            "RECS_VARIANTS": '[{"name": "only", "weights": {"item_cf": 1}, "share": 1}]',
            "RECS_CAP_ITEM_MAX": "4",
            "RECS_CAP_LISTS_MAX": "2",
            "ASSISTANT_VAR": "/tmp/v",
        }
    )
    assert [v.name for v in settings.variants] == ["only"]
    assert settings.caps.item_max == 4 and settings.caps.lists_max == 2
    assert str(settings.model_path) == "/tmp/v/recommendations-model.pkl"
