"""Who an app user is: the app JWT policy, its verifier, and the conversation id derived from it.

The one verifier and the one policy for app tokens: only the app channel (channels/app_rest.py)
calls `verify_token`. The action server does not verify tokens again (it never sees them); it
trusts the customer id the channel put in the message metadata under `CUSTOMER_ID_KEY`, and only
for a message on `APP_CHANNEL` whose conversation is `sender_id_for` that customer
(actions/identity.py). Both sides derive the sender id here, so they cannot drift apart.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt

if TYPE_CHECKING:
    from jwt.types import Options

ALGORITHM = "HS256"
SENDER_PREFIX = "app-"
SENDER_DIGEST_CHARS = 20
APP_CHANNEL = "app"  # the app channel's name, as the tracker records a message's input channel
CUSTOMER_ID_KEY = "customer_id"  # message metadata key the app channel writes the verified customer id under


class TokenError(Exception):
    """The request does not carry a usable token; the message is safe to show the caller."""


@dataclass(frozen=True)
class TokenPolicy:
    """What a token must satisfy: HS256 signature, ``exp`` and ``sub``, optional iss/aud."""

    secret: str
    issuer: str | None = None
    audience: str | None = None
    leeway_seconds: int = 30


@dataclass(frozen=True)
class VerifiedCustomer:
    """The outcome of a successful check: who is talking (the token itself is not kept or passed on)."""

    customer_id: str
    claims: dict[str, Any]


def bearer_token(authorization: str | None) -> str:
    """Return the token of an ``Authorization: Bearer <token>`` header or raise TokenError."""
    if not authorization:
        raise TokenError("missing Authorization header: send 'Authorization: Bearer <JWT>'")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenError("Authorization header must be 'Bearer <JWT>'")
    return token.strip()


def verify_token(token: str, policy: TokenPolicy) -> VerifiedCustomer:
    """Check signature, expiry and configured issuer/audience; return the customer id (``sub``)."""
    required = ["exp", "sub"]
    if policy.issuer is not None:
        required.append("iss")
    if policy.audience is not None:
        required.append("aud")
    options: Options = {"require": required}
    if policy.audience is None:
        # Without a configured audience an ``aud`` claim is not our concern (PyJWT would refuse it).
        options["verify_aud"] = False
    try:
        claims = jwt.decode(
            token,
            policy.secret,
            algorithms=[ALGORITHM],
            options=options,
            issuer=policy.issuer,
            audience=policy.audience,
            leeway=policy.leeway_seconds,
        )
    except jwt.ExpiredSignatureError as error:
        raise TokenError("token has expired") from error
    except jwt.MissingRequiredClaimError as error:
        raise TokenError(f"token lacks the required '{error.claim}' claim") from error
    except jwt.InvalidIssuerError as error:
        raise TokenError("token has the wrong issuer") from error
    except jwt.InvalidAudienceError as error:
        raise TokenError("token has the wrong audience") from error
    except jwt.InvalidSignatureError as error:
        raise TokenError("token signature is invalid") from error
    except jwt.InvalidAlgorithmError as error:
        raise TokenError(f"token must be signed with {ALGORITHM}") from error
    except jwt.InvalidTokenError as error:
        raise TokenError(f"token is invalid: {error}") from error
    customer_id = claims.get("sub")
    if not isinstance(customer_id, str) or not customer_id.strip():
        raise TokenError("token 'sub' claim must be a non-empty customer id string")
    return VerifiedCustomer(customer_id=customer_id, claims=claims)


def sender_id_for(customer_id: str, key: str) -> str:
    """Stable per customer, not guessable without the key: ``app-`` + HMAC-SHA256 prefix."""
    digest = hmac.new(key.encode(), customer_id.encode(), hashlib.sha256).hexdigest()
    return SENDER_PREFIX + digest[:SENDER_DIGEST_CHARS]
