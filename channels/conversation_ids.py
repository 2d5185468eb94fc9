"""Conversation ids that only the channel which issued them accepts.

An anonymous visitor has nothing but the conversation id to show that a conversation is theirs,
so a channel must not let a client pick one: a REST client could otherwise write into another
channel's conversation (``app-…``, ``voice-…``, a web chat) or read an agent's replies to it.
Ids are therefore issued by the server and carry an HMAC over the channel's name and a random
nonce: ``rest-<32 hex>.<32 hex>``. Checking one needs no storage, survives restarts, and an id
issued for one channel is refused by every other channel (its name is part of the signed text).

Kept free of Rasa imports so the rules can be tested without the Rasa venv.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import TypeGuard

from contracts.identity import APP_CHANNEL, SENDER_PREFIX

NONCE_BYTES = 16
SIGNATURE_CHARS = 32
MIN_KEY_CHARS = 32
SIGNED_ID = re.compile(r"^(?P<prefix>[a-z]+-)?(?P<nonce>[0-9a-f]{32})\.(?P<signature>[0-9a-f]{32})$")
# Conversation id prefixes of every channel, for a clear refusal of another channel's id.
CHANNEL_PREFIXES = {SENDER_PREFIX: APP_CHANNEL, "voice-": "voice", "web-": "socketio", "rest-": "rest"}


@dataclass(frozen=True)
class ConversationIds:
    """Issues and checks the signed conversation ids of one channel."""

    key: str
    channel: str
    prefix: str

    def __post_init__(self) -> None:
        if len(self.key) < MIN_KEY_CHARS:
            raise ValueError(f"the conversation id key must have at least {MIN_KEY_CHARS} characters")

    def issue(self) -> str:
        """A new, unguessable conversation id of this channel."""
        nonce = secrets.token_hex(NONCE_BYTES)
        return f"{self.prefix}{nonce}.{self._signature(nonce)}"

    def is_valid(self, conversation_id: object) -> TypeGuard[str]:
        """True only for an id this channel issued (constant-time signature check)."""
        if not isinstance(conversation_id, str):
            return False
        match = SIGNED_ID.match(conversation_id)
        if match is None or (match.group("prefix") or "") != self.prefix:
            return False
        return hmac.compare_digest(match.group("signature"), self._signature(match.group("nonce")))

    def _signature(self, nonce: str) -> str:
        text = f"{self.channel}\0{self.prefix}{nonce}".encode()
        return hmac.new(self.key.encode(), text, hashlib.sha256).hexdigest()[:SIGNATURE_CHARS]


def owning_channel(conversation_id: str) -> str | None:
    """The channel a conversation id's prefix names (``app-…`` → "app"), or None."""
    return next((name for prefix, name in CHANNEL_PREFIXES.items() if conversation_id.startswith(prefix)), None)
