"""connectors_from_env and the plain-text helpers (own logic, no servers)."""

from __future__ import annotations

import pytest

from handoff.connectors.base import ConnectorRejected, TicketConnector
from handoff.connectors.http import retry_after_seconds
from handoff.connectors.registry import connectors_from_env
from handoff.connectors.rt5 import RT5Connector
from handoff.connectors.text import html_to_text, one_line
from handoff.connectors.webhook import WebhookConnector
from handoff.connectors.zendesk import ZendeskConnector

FULL_ENV = {
    "HANDOFF_CONNECTORS": "rt5, zendesk,webhook",
    "RT5_URL": "https://rt.example.com/",
    "RT5_USER": "shopbot",
    "RT5_PASSWORD": "rt-password-secret",
    "ZENDESK_URL": "https://shop.zendesk.com",
    "ZENDESK_EMAIL": "bot@shop.example",
    "ZENDESK_API_TOKEN": "zendesk-token-secret",
    "WEBHOOK_URL": "https://desk.example.com/hooks/shop",
    "WEBHOOK_SECRET": "webhook-secret-0123456789",
}


def test_default_is_no_connectors() -> None:
    assert connectors_from_env({}) == []
    assert connectors_from_env({"HANDOFF_CONNECTORS": " "}) == []


def test_all_connectors_from_env_without_leaking_secrets() -> None:
    connectors = connectors_from_env(FULL_ENV)
    assert [type(c) for c in connectors] == [RT5Connector, ZendeskConnector, WebhookConnector]
    assert [c.name for c in connectors] == ["rt5", "zendesk", "webhook"]
    assert all(isinstance(c, TicketConnector) for c in connectors)
    rt5 = connectors[0]
    assert isinstance(rt5, RT5Connector)
    assert rt5.settings.api_url == "https://rt.example.com/REST/2.0/"
    assert rt5.settings.queue == "General"
    for connector in connectors:
        shown = repr(connector) + repr(connector.settings) + repr(connector.http)  # type: ignore[attr-defined]
        for secret in ("rt-password-secret", "zendesk-token-secret", "webhook-secret-0123456789"):
            assert secret not in shown


def test_rt5_options() -> None:
    env = {
        "HANDOFF_CONNECTORS": "rt5",
        "RT5_URL": "https://example.com/rt/REST/2.0",
        "RT5_TOKEN": "1-27-8cbf2a1f1c477f322e07c58b37c61ffd",
        "RT5_QUEUE": "Shop",
        "RT5_PRIORITIES": "10,20,30,40",
    }
    (rt5,) = connectors_from_env(env)
    assert isinstance(rt5, RT5Connector)
    assert (rt5.settings.api_url, rt5.settings.queue, rt5.settings.priorities) == (
        "https://example.com/rt/REST/2.0/",
        "Shop",
        (10, 20, 30, 40),
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HANDOFF_CONNECTORS": "rt5,jira"}, "unknown connector\\(s\\) jira"),
        ({"HANDOFF_CONNECTORS": "rt5"}, "RT5_URL is required"),
        (
            {"HANDOFF_CONNECTORS": "rt5", "RT5_URL": "http://rt", "RT5_USER": "u"},
            "RT5_USER and RT5_PASSWORD, or RT5_TOKEN",
        ),
        (
            {"HANDOFF_CONNECTORS": "rt5", "RT5_URL": "http://rt", "RT5_TOKEN": "t", "RT5_PRIORITIES": "1,2"},
            "RT5_PRIORITIES",
        ),
        ({"HANDOFF_CONNECTORS": "zendesk", "ZENDESK_URL": "https://z"}, "ZENDESK_EMAIL, ZENDESK_API_TOKEN"),
        ({"HANDOFF_CONNECTORS": "webhook", "WEBHOOK_URL": "https://h", "WEBHOOK_SECRET": "short"}, "at least 16"),
    ],
)
def test_bad_configuration_names_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        connectors_from_env(env)


def test_html_to_text() -> None:
    html = (
        "<div><p>Hello&nbsp;Ann,</p><p>your <b>parcel</b> ships &amp; arrives<br>Thursday.</p><style>p{}</style></div>"
    )
    assert html_to_text(html) == "Hello Ann,\n\nyour parcel ships & arrives\nThursday."
    assert html_to_text("<ul><li>one</li><li>two</li></ul>") == "- one\n\n- two"
    assert one_line("a\nb  c", 200) == "a b c"
    assert one_line("x" * 300, 10) == "xxxxxxxxx…"


def test_retry_after_forms() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None, default=2.0) == 2.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after_seconds("soon", default=1.5) == 1.5


def test_credentials_stay_on_the_configured_origin() -> None:
    (webhook,) = connectors_from_env(
        {"HANDOFF_CONNECTORS": "webhook", "WEBHOOK_URL": "https://desk.example.com", "WEBHOOK_SECRET": "s" * 16}
    )
    http = webhook.http  # type: ignore[attr-defined]
    assert http.url("https://desk.example.com") == "https://desk.example.com"
    assert http.url("https://desk.example.com/a?b=1") == "https://desk.example.com/a?b=1"
    for foreign in ("https://desk.example.com.evil.org/x", "http://desk.example.com/x", "https://other.example/"):
        with pytest.raises(ConnectorRejected, match="refusing to send credentials"):
            http.url(foreign)
