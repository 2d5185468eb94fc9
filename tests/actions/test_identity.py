import time

import jwt
import pytest

from actions.identity import app_customer_id, may_see

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


@pytest.fixture(autouse=True)
def jwt_secret(monkeypatch):
    monkeypatch.setenv("APP_JWT_SECRET", SECRET)


def token(sub: str = "42", secret: str = SECRET, exp_in: int = 600, **extra) -> str:
    return jwt.encode({"sub": sub, "exp": int(time.time()) + exp_in, **extra}, secret, algorithm="HS256")


def test_valid_app_token_gives_customer_id(tracker_factory):
    assert app_customer_id(tracker_factory(metadata={"app_jwt": token("42")})) == "42"


@pytest.mark.parametrize(
    "bad",
    [
        token(secret="someone-else"),
        token(exp_in=-10),
        jwt.encode({"sub": "42"}, SECRET, algorithm="HS256"),  # no expiry
        jwt.encode({"sub": "42", "exp": int(time.time()) + 60}, "x", algorithm="HS384"),
        "not-a-jwt",
    ],
)
def test_invalid_tokens_are_anonymous(tracker_factory, bad):
    assert app_customer_id(tracker_factory(metadata={"app_jwt": bad})) is None


def test_unsigned_customer_id_in_metadata_is_ignored(tracker_factory):
    assert app_customer_id(tracker_factory(metadata={"customer_id": "42"})) is None


def test_app_user_sees_only_own_orders(tracker_factory):
    tracker = tracker_factory(metadata={"app_jwt": token("42")}, slots={"verified_orders": ["104532"]})
    assert may_see(tracker, "111111", "42")
    # a proof made earlier in the conversation does not widen what an app user sees
    assert not may_see(tracker, "104532", "7")


def test_anonymous_visitor_sees_only_proven_orders(tracker_factory):
    tracker = tracker_factory(slots={"verified_orders": ["104532"]})
    assert may_see(tracker, "104532", "7")
    assert not may_see(tracker, "118204", "7")
