import time

import jwt
import pytest

from actions.identity import app_customer_id, may_see, needs_no_proof
from contracts.identity import sender_id_for

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


@pytest.fixture(autouse=True)
def jwt_secret(monkeypatch):
    monkeypatch.setenv("APP_JWT_SECRET", SECRET)


def token(sub: str = "42", secret: str = SECRET, exp_in: int = 600, **extra) -> str:
    return jwt.encode({"sub": sub, "exp": int(time.time()) + exp_in, **extra}, secret, algorithm="HS256")


def app_tracker(tracker_factory, customer_id: str = "42", **kwargs):
    """A message as the app channel delivers it: its channel, its sender id, the verified customer id."""
    return tracker_factory(
        metadata={"customer_id": customer_id},
        input_channel="app",
        sender_id=sender_id_for(customer_id, SECRET),
        **kwargs,
    )


def test_customer_id_from_the_app_channel_identifies_the_customer(tracker_factory):
    assert app_customer_id(app_tracker(tracker_factory)) == "42"


def test_customer_id_claimed_on_another_channel_proves_nothing(tracker_factory):
    for channel in ("rest", "socketio", "voice"):
        claimed = tracker_factory(
            metadata={"customer_id": "42"}, input_channel=channel, sender_id=sender_id_for("42", SECRET)
        )
        assert app_customer_id(claimed) is None, channel


def test_customer_id_in_another_conversation_of_the_app_channel_proves_nothing(tracker_factory):
    other = tracker_factory(metadata={"customer_id": "42"}, input_channel="app", sender_id=sender_id_for("7", SECRET))
    assert app_customer_id(other) is None


def test_a_token_in_metadata_is_not_identity(tracker_factory):
    """Tokens are verified once, by the app channel (with its issuer/audience policy), never here."""
    tracker = tracker_factory(
        metadata={"app_jwt": token("42")}, input_channel="app", sender_id=sender_id_for("42", SECRET)
    )
    assert app_customer_id(tracker) is None


@pytest.mark.parametrize("bad", [None, "", 42, ["42"], {"id": "42"}])
def test_a_customer_id_that_is_not_a_string_is_anonymous(tracker_factory, bad):
    tracker = tracker_factory(metadata={"customer_id": bad}, input_channel="app", sender_id=sender_id_for("42", SECRET))
    assert app_customer_id(tracker) is None


def test_without_the_key_nobody_is_recognised(tracker_factory, monkeypatch):
    monkeypatch.delenv("APP_JWT_SECRET")
    monkeypatch.delenv("APP_SENDER_ID_KEY", raising=False)
    assert app_customer_id(app_tracker(tracker_factory)) is None


def test_unsigned_customer_id_in_metadata_is_ignored(tracker_factory):
    assert app_customer_id(tracker_factory(metadata={"customer_id": "42"})) is None


def test_app_user_sees_only_own_orders(tracker_factory):
    tracker = app_tracker(tracker_factory, slots={"verified_orders": ["104532"]})
    assert may_see(tracker, "111111", "42")
    # a proof made earlier in the conversation does not widen what an app user sees
    assert not may_see(tracker, "104532", "7")


def test_anonymous_visitor_sees_only_proven_orders(tracker_factory):
    tracker = tracker_factory(slots={"verified_orders": ["104532"]})
    assert may_see(tracker, "104532", "7")
    assert not may_see(tracker, "118204", "7")


def test_proof_is_needed_only_for_orders_not_yet_proven(tracker_factory):
    anonymous = tracker_factory(slots={"verified_orders": ["104532"]})
    assert needs_no_proof(anonymous, "104532")
    assert not needs_no_proof(anonymous, "118204")
    assert not needs_no_proof(anonymous, None)
    assert needs_no_proof(app_tracker(tracker_factory), "118204")
