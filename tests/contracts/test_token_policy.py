"""The app token policy and the app conversation id (contracts/identity.py), without a channel around them.

The channel's HTTP behaviour is tested in tests/rasa/test_app_channel.py; these run in both venvs.
"""

from __future__ import annotations

import time

import jwt
import pytest

from contracts.identity import SENDER_PREFIX, TokenError, TokenPolicy, bearer_token, sender_id_for, verify_token

SECRET = "contracts-test-secret-that-is-long-enough-for-hs256"


def token(secret: str = SECRET, **claims: object) -> str:
    return jwt.encode({"sub": "cust-1", "exp": int(time.time()) + 60, **claims}, secret, algorithm="HS256")


def test_a_valid_token_names_its_customer() -> None:
    assert verify_token(token(), TokenPolicy(secret=SECRET)).customer_id == "cust-1"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"secret": "another-secret-that-is-also-long-enough-for-hs256"}, "signature is invalid"),
        ({"exp": -3600}, "expired"),
        ({"sub": ""}, "'sub' claim"),
    ],
    ids=["wrong-secret", "expired", "empty-sub"],
)
def test_bad_tokens_are_refused_with_a_reason(claims: dict, reason: str) -> None:
    # Tokens are made when the test runs, not when it is collected: a run of several minutes would
    # otherwise see every token as expired.
    claims = dict(claims)
    if "exp" in claims:
        claims["exp"] = int(time.time()) + claims["exp"]
    with pytest.raises(TokenError, match=reason):
        verify_token(token(**claims), TokenPolicy(secret=SECRET))


def test_issuer_and_audience_are_required_only_when_configured() -> None:
    strict = TokenPolicy(secret=SECRET, issuer="shop", audience="app")
    with pytest.raises(TokenError, match="'iss' claim"):
        verify_token(token(), strict)
    assert verify_token(token(iss="shop", aud="app"), strict).customer_id == "cust-1"
    assert verify_token(token(aud="someone-else"), TokenPolicy(secret=SECRET)).customer_id == "cust-1"


def test_bearer_header_is_parsed_strictly() -> None:
    assert bearer_token("Bearer abc ") == "abc"
    for header in (None, "", "Basic abc", "Bearer  "):
        with pytest.raises(TokenError):
            bearer_token(header)


def test_sender_id_is_stable_keyed_and_distinct_per_customer() -> None:
    first = sender_id_for("cust-1", "key")
    assert first == sender_id_for("cust-1", "key") and first.startswith(SENDER_PREFIX)
    assert first != sender_id_for("cust-2", "key")
    assert first != sender_id_for("cust-1", "other-key")
