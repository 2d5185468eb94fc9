"""The consent flag's one reading (contracts/consent.py), shared by the channels, actions and backends:
a clear yes or no is read, anything else is no answer, and the shop's default is no consent."""

from __future__ import annotations

import pytest

from contracts.consent import CONSENT_KEY, consent_of, default_consent, parse_consent


@pytest.mark.parametrize("value", [True, "true", "TRUE", " yes ", "granted", "1", "on"])
def test_clear_yes(value: object) -> None:
    assert parse_consent(value) is True


@pytest.mark.parametrize("value", [False, "false", "no", "denied", "0", "off"])
def test_clear_no(value: object) -> None:
    assert parse_consent(value) is False


@pytest.mark.parametrize("value", [None, "", "maybe", 1, 0, [], {"granted": True}])
def test_anything_else_is_no_answer_never_a_yes(value: object) -> None:
    assert parse_consent(value) is None


def test_metadata_carries_the_flag_under_its_one_key() -> None:
    assert consent_of({CONSENT_KEY: True, "language": "en"}) is True
    assert consent_of({CONSENT_KEY: "denied"}) is False
    assert consent_of({"language": "en"}) is None
    assert consent_of(None) is None and consent_of("personalisation_consent=true") is None


def test_the_shops_default_is_no_consent_unless_it_says_granted() -> None:
    assert default_consent({}) is False
    assert default_consent({"PERSONALISATION_CONSENT_DEFAULT": ""}) is False
    assert default_consent({"PERSONALISATION_CONSENT_DEFAULT": "perhaps"}) is False  # unreadable: the safe side
    assert default_consent({"PERSONALISATION_CONSENT_DEFAULT": "denied"}) is False
    assert default_consent({"PERSONALISATION_CONSENT_DEFAULT": "granted"}) is True
