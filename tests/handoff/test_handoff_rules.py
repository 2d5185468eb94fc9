"""Unit tests of the desk's own rules: priority, summary, agent hours, passwords, sessions, settings."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from handoff.config import Settings
from handoff.hours import AgentHours
from handoff.passwords import hash_password, verify_password
from handoff.priority import PriorityRules, summarise
from handoff.sessions import LoginThrottle, SessionCodec

RULES = PriorityRules()


@pytest.mark.parametrize(
    ("frustration", "total", "expected"),
    [
        (0.0, None, 1),
        (0.49, "99.99", 1),
        (0.5, None, 2),
        (0.0, 100, 2),
        (0.8, None, 3),
        (0.6, "150.00", 3),
        (0.9, 600, 4),  # 1 + 2 + 2, capped at 4
        (0.3, 500, 3),
        (1.0, 20, 3),
    ],
)
def test_priority_adds_a_level_per_threshold_crossed(frustration: float, total: object, expected: int) -> None:
    order = None if total is None else {"number": "104532", "total": total}
    assert RULES.priority(frustration, order) == expected


def test_priority_thresholds_are_configurable_and_ignore_unreadable_totals() -> None:
    strict = PriorityRules(frustration=(0.9, 0.95), order_value=(1000, 5000))
    assert strict.priority(0.8, {"number": "1", "total": 900}) == 1
    assert strict.priority(0.96, {"number": "1", "total": 5000}) == 4
    assert RULES.priority(0.0, {"number": "1", "total": "lots"}) == 1


def test_summary_names_intent_order_and_the_shoppers_problem_sentences() -> None:
    transcript = [
        {"role": "user", "text": "hi"},
        {"role": "bot", "text": "Hello! How can I help? Your order is late, sorry."},
        {"role": "user", "text": "Where is my order 104532? I ordered two weeks ago."},
        {"role": "user", "text": "/affirm"},
        {"role": "user", "text": "Nice weather today though. It still has not arrived and I want a refund."},
    ]
    order = {"number": "104532", "total": "59.90", "currency": "USD", "status": "shipped"}
    summary = summarise("track_order", order, [{"entity": "order_number", "value": "104532"}], transcript)
    assert summary.startswith("Intent: track_order. Order #104532 (shipped, 59.90 USD).")
    assert '"Where is my order 104532?"' in summary
    assert '"It still has not arrived and I want a refund."' in summary
    assert "weather" not in summary and "hi" not in summary.split("Shopper:")[1].split()
    assert "sorry" not in summary  # the bot's lines are not the shopper's problem
    # The order of the quotes follows the conversation.
    assert summary.index("Where is my order") < summary.index("still has not arrived")


def test_summary_without_anything_to_say_and_long_sentences_are_clipped() -> None:
    assert summarise(None, None, [], []) == "The shopper asked for a human agent."
    long = "This is not what I ordered " + "at all " * 60
    summary = summarise(None, None, [], [{"role": "user", "text": long}])
    assert len(summary) < 200 and summary.endswith('…"')


def test_agent_hours() -> None:
    hours = AgentHours.parse("mon-fri 09:00-17:00", "Europe/Berlin")
    monday_10_berlin = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Berlin (CET)
    assert hours.open_at(monday_10_berlin)
    assert not hours.open_at(datetime(2026, 11, 23, 16, 30, tzinfo=UTC))  # 17:30 Berlin
    assert not hours.open_at(datetime(2026, 11, 28, 10, 0, tzinfo=UTC))  # Saturday
    weekend = AgentHours.parse("mon-fri 09:00-17:00, sat 10:00-14:00")
    assert weekend.open_at(datetime(2026, 11, 28, 10, 0, tzinfo=UTC))
    wraps = AgentHours.parse("sat-mon 08:00-20:00")
    assert wraps.open_at(datetime(2026, 11, 29, 12, 0, tzinfo=UTC)) and not wraps.open_at(
        datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    )
    assert AgentHours.parse("always").open_at(datetime(2026, 11, 28, 3, 0, tzinfo=UTC))


@pytest.mark.parametrize("spec", ["", "weekdays", "mon-fri 17:00-09:00", "mon-xyz 09:00-17:00", "mon 25:00-26:00"])
def test_agent_hours_refuse_what_they_cannot_read(spec: str) -> None:
    with pytest.raises(ValueError, match="HANDOFF_AGENT_HOURS"):
        AgentHours.parse(spec)


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="HANDOFF_TIMEZONE"):
        AgentHours.parse("always", "Mars/Olympus")


def test_passwords_are_salted_scrypt_and_verify() -> None:
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first != second and first.startswith("scrypt$")
    assert "correct horse" not in first
    assert verify_password("correct horse battery", first)
    assert not verify_password("correct horse batterY", first)
    assert not verify_password("x", "garbage")
    with pytest.raises(ValueError):
        hash_password("short")


def test_session_tokens_are_signed_and_expire() -> None:
    codec = SessionCodec("s" * 40, 3600)
    claims = codec.read(codec.issue("alex", 3))
    assert claims is not None and (claims.agent, claims.version) == ("alex", 3)
    assert SessionCodec("t" * 40, 3600).read(codec.issue("alex", 3)) is None  # other secret
    assert SessionCodec("s" * 40, -10).read(SessionCodec("s" * 40, -10).issue("alex", 0)) is None  # expired
    token = codec.issue("alex", 0)
    assert codec.read(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None


def test_login_throttle_locks_by_name_or_address_and_lifts() -> None:
    throttle = LoginThrottle(max_failures=3, lockout_s=0.3)
    for _ in range(3):
        assert throttle.locked_for("name:alex", "ip:1.2.3.4") == 0
        throttle.failed("name:alex", "ip:1.2.3.4")
    assert throttle.locked_for("name:alex") > 0
    assert throttle.locked_for("name:bob", "ip:1.2.3.4") > 0  # same address, other name
    assert throttle.locked_for("name:bob", "ip:5.6.7.8") == 0
    time.sleep(0.35)
    assert throttle.locked_for("name:alex", "ip:1.2.3.4") == 0


def test_settings_from_env() -> None:
    with pytest.raises(ValueError, match="HANDOFF_API_TOKEN"):
        Settings.from_env({})
    settings = Settings.from_env({"HANDOFF_API_TOKEN": "t", "ASSISTANT_VAR": "/srv/var"})
    assert settings.db_url == "sqlite+aiosqlite:////srv/var/handoff.sqlite"
    assert (settings.port, settings.host, settings.rasa_url) == (8106, "127.0.0.1", "http://127.0.0.1:5005")
    assert not settings.hours.always  # default: mon-fri 09:00-17:00 UTC
    custom = Settings.from_env(
        {
            "HANDOFF_API_TOKEN": "t",
            "HANDOFF_DB_URL": "postgresql+asyncpg://u@h/db",
            "HANDOFF_AGENT_HOURS": "always",
            "HANDOFF_PRIORITY_FRUSTRATION": "0.4,0.7",
            "HANDOFF_PRIORITY_ORDER_VALUE": "50,250",
            "RASA_URL": "http://rasa:5005/",
        }
    )
    assert custom.db_url.startswith("postgresql") and custom.hours.always and custom.rasa_url == "http://rasa:5005"
    assert custom.priority.priority(0.4, {"number": "1", "total": 50}) == 3
    with pytest.raises(ValueError, match="HANDOFF_PRIORITY_ORDER_VALUE"):
        Settings.from_env({"HANDOFF_API_TOKEN": "t", "HANDOFF_PRIORITY_ORDER_VALUE": "500,100"})
    with pytest.raises(ValueError, match="HANDOFF_SESSION_SECRET"):
        Settings.from_env({"HANDOFF_API_TOKEN": "t", "HANDOFF_SESSION_SECRET": "short"})
