"""What every input channel does the same way: answer every message, drop identity claims.

- A request that is not a JSON object, too large, or without a usable message gets a JSON 400/413
  with a sentence saying what is wrong, and a log line; it never reaches Rasa (channels/refusals.py).
- A message that is empty or too long gets a polite bot reply instead of being processed.
- A message that produced no reply at all (the action server is down, an exception in Rasa) gets
  an apology, so the shopper is never left in silence; the operator gets an error log line.
  The user's message itself is already in the tracker store, so nothing is lost. The exception:
  a conversation paused for a human agent, where the message goes to the agent instead
  (channels/handoff_relay.py): the guard finds the relay of the server its channel is served by.
- Admission control: at most `RASA_MAX_TURNS_IN_PROGRESS` turns (default 16) are processed at once
  in this Rasa process; a message that cannot start within `RASA_ADMISSION_WAIT_S` (default 8 s)
  gets "I'm busy, please send that again" at once instead of an answer after the client gave up
  (measured: 100 shoppers on two cores waited up to 30 s, docs/reliability.md). The message is not
  processed, so it is not stored; the shopper still has it and is asked to send it again.

The texts are the message catalogue's `policies.messages` (bot/texts/<language>.yml), like every
other sentence the shopper sees.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import Blueprint
from sanic.request import Request

from channels.handoff_relay import HandoffRelay, relay_of
from channels.rasa_metrics import TURN_SECONDS, TURNS, TURNS_IN_PROGRESS
from contracts.log_setup import adopt_framework_handlers
from contracts.request_ids import HEADER, METADATA_KEY, accepted_request_id, end_request_id, use_request_id
from contracts.shop_policies import shop_policies

logger = logging.getLogger(__name__)

MessageHandler = Callable[[UserMessage], Awaitable[Any]]
DEFAULT_MAX_MESSAGE_CHARS = 5000
DEFAULT_MAX_BODY_BYTES = 262144  # room for a too-long message to get a polite reply
# Commands that legitimately produce no reply.
SILENT_COMMANDS = ("/restart", "/session_start")


# Identity claims no client may make in its own metadata: `customer_id` is set only by the app
# channel after verifying the shopper's token; `app_jwt` (tokens are never passed on) is dropped so
# no client can put a token into the stored conversation.
IDENTITY_METADATA = ("app_jwt", "customer_id")


def without_identity(metadata: Any) -> dict[str, Any]:
    """Client-supplied metadata minus identity claims that an anonymous client must not make."""
    if not isinstance(metadata, dict):
        return {}
    return {key: value for key, value in metadata.items() if key not in IDENTITY_METADATA}


def with_caller_request_id(request: Request, metadata: dict[str, Any]) -> dict[str, Any]:
    """The metadata with the caller's X-Request-ID, if it sent one, as `request_id` (the guard checks it)."""
    offered = request.headers.get(HEADER)
    return {**metadata, METADATA_KEY: offered} if offered else metadata


def since_arg(request: Request) -> float:
    """The `since` query argument (a Unix timestamp) of a polling request; 0 when absent or bad."""
    try:
        return max(0.0, float(request.args.get("since") or 0))
    except ValueError:
        return 0.0


def clean_text(text: Any) -> str:
    """Drops control characters (NUL bytes break PostgreSQL text columns) and outer whitespace."""
    if not isinstance(text, str):
        return ""
    return "".join(ch for ch in text if ch.isprintable() or ch in "\n\t").strip()


DEFAULT_MAX_TURNS_IN_PROGRESS = 16
DEFAULT_ADMISSION_WAIT_S = 8.0


class Admission:
    """How many turns this process works on at once; the others wait their turn, for a while.

    One per process (all channels share the event loop and the CPU). Created when the first channel's
    server starts (`MessageGuard.start`), inside the running loop."""

    def __init__(self, max_in_progress: int, wait_s: float) -> None:
        if max_in_progress < 1 or wait_s < 0:
            raise ValueError("RASA_MAX_TURNS_IN_PROGRESS must be at least 1 and RASA_ADMISSION_WAIT_S at least 0")
        self.max_in_progress = max_in_progress
        self.wait_s = wait_s
        self._slots = asyncio.Semaphore(max_in_progress)

    @classmethod
    def from_env(cls) -> Admission:
        try:
            slots = int(os.environ.get("RASA_MAX_TURNS_IN_PROGRESS") or DEFAULT_MAX_TURNS_IN_PROGRESS)
            wait_s = float(os.environ.get("RASA_ADMISSION_WAIT_S") or DEFAULT_ADMISSION_WAIT_S)
        except ValueError as error:
            raise ValueError(f"RASA_MAX_TURNS_IN_PROGRESS / RASA_ADMISSION_WAIT_S: {error}") from None
        return cls(slots, wait_s)

    async def enter(self) -> bool:
        """True once a slot is taken (then `leave` must follow); False when none freed up in time."""
        try:
            await asyncio.wait_for(self._slots.acquire(), self.wait_s)
        except asyncio.TimeoutError:  # not the builtin TimeoutError on Python 3.10 (the Rasa venv)
            return False
        return True

    def leave(self) -> None:
        self._slots.release()


_admission: Admission | None = None


def admission() -> Admission:
    """The process's admission control (settings read once)."""
    global _admission
    if _admission is None:
        _admission = Admission.from_env()
    return _admission


class CountingOutput(OutputChannel):
    """Passes every bot message on and counts them, so silence can be noticed."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0
        self._collected_before = len(self._collected())

    def _collected(self) -> list[Any]:
        """What a collecting channel (REST, app) holds to return with the HTTP answer; [] for a live one."""
        messages = getattr(self.inner, "messages", None)
        return messages if isinstance(messages, list) else []

    def withdraw(self) -> int:
        """Takes back the replies a collecting channel has not returned yet (a live channel's are out);
        returns how many."""
        collected = self._collected()
        withdrawn = len(collected) - self._collected_before
        del collected[self._collected_before :]
        return withdrawn

    def name(self) -> str:  # the wrapped channel's name, per instance
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)

    # Rasa sends through send_response; code that calls the specific methods is counted too.
    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_message(recipient_id, text, **kwargs)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_with_buttons(recipient_id, text, buttons, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_image_url(recipient_id, image, **kwargs)

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_attachment(recipient_id, attachment, **kwargs)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_custom_json(recipient_id, json_message, **kwargs)


class MessageGuard:
    """Rasa's message handler with the input limits and the apology for silence.

    `serve_with(blueprint)` remembers the app that serves the channel once the server starts: the
    hand-off relay lives on that app, and a message in a conversation held for an agent goes to the
    agent instead of getting an apology. Unbound (e.g. in a unit test) there is no relay."""

    def __init__(
        self, on_new_message: MessageHandler, max_message_chars: int, admission: Admission | None = None
    ) -> None:
        self.on_new_message = on_new_message
        self.max_message_chars = max_message_chars
        self.app: Any = None
        self._admission = admission  # None: the process-wide one

    def serve_with(self, blueprint: Blueprint) -> Blueprint:
        @blueprint.listener("before_server_start")
        async def remember_app(app: Any, _loop: Any) -> None:
            self.start(app)

        return blueprint

    def start(self, app: Any) -> None:
        """At server start: remember the app, and read the admission settings now, so a wrong one
        stops the server instead of failing the first shopper's message."""
        self.app = app
        # Rasa and Sanic have set up their logging by now: redact it, and as JSON if LOG_FORMAT says so.
        adopt_framework_handlers()
        if self._admission is None:
            admission()

    def relay(self) -> HandoffRelay | None:
        """The hand-off relay of the server this channel runs in (None without the handoff channel)."""
        return None if self.app is None else relay_of(self.app)

    async def __call__(self, message: UserMessage) -> None:
        """Handles the message under its request id (the caller's, else a new one): the id is stored
        with the message, so the action server and the backends it calls log the same one."""
        metadata = message.metadata if isinstance(message.metadata, dict) else {}
        request_id = accepted_request_id(metadata.get(METADATA_KEY))
        message.metadata = {**metadata, METADATA_KEY: request_id}
        token = use_request_id(request_id)
        channel = message.input_channel or "unknown"
        started = time.perf_counter()
        outcome = "error"
        TURNS_IN_PROGRESS.inc()
        try:
            logger.info("message %s from %s (%s)", request_id, message.sender_id, channel)
            outcome = await self._handle(message)
        finally:
            TURNS_IN_PROGRESS.dec()
            TURNS.labels(channel, outcome).inc()
            TURN_SECONDS.labels(channel).observe(time.perf_counter() - started)
            end_request_id(token)

    async def _handle(self, message: UserMessage) -> str:
        """Answers the message one way or another; returns how (the `outcome` of shop_turns_total)."""
        text = clean_text(message.text)
        policies = shop_policies()
        if not text:
            logger.info("empty message from %s answered without processing", message.sender_id)
            await message.output_channel.send_text_message(message.sender_id, policies.message("empty_message"))
            return "empty"
        if len(text) > self.max_message_chars:
            logger.warning("message of %d characters from %s not processed", len(text), message.sender_id)
            reply = policies.message("message_too_long", limit=f"{self.max_message_chars:,}")
            await message.output_channel.send_text_message(message.sender_id, reply)
            return "too_long"
        message.text = text
        gate = self._admission or admission()
        if not await gate.enter():
            logger.warning(
                "busy: a message from %s waited %.0f s for one of %d turn slots and was not processed",
                message.sender_id,
                gate.wait_s,
                gate.max_in_progress,
            )
            await message.output_channel.send_text_message(message.sender_id, policies.message("busy"))
            return "busy"
        counting = CountingOutput(message.output_channel)
        message.output_channel = counting
        failed = False
        try:
            await self.on_new_message(message)
        except Exception:
            failed = True
            logger.exception("handling a message from %s failed", message.sender_id)
        finally:
            gate.leave()
        if failed:
            # Rasa stores a turn at its end: one that raised (a store down, a full disk) was not stored,
            # whatever it replied. Its replies are taken back where they are not out yet, and the shopper
            # is asked to send the message again, so the conversation does not go on from a turn it lost.
            withdrawn = counting.withdraw()
            logger.error("a message from %s was not stored (%d replies withdrawn)", message.sender_id, withdrawn)
            await counting.inner.send_text_message(message.sender_id, policies.message("not_stored"))
            return "error"
        if counting.sent > 0:
            return "answered"
        if text.startswith(SILENT_COMMANDS):
            return "silent"
        if await self._forwarded_to_agent(message.sender_id, text):
            return "for_agent"
        logger.error("no reply to a message from %s (is the action server up?): sent an apology", message.sender_id)
        await counting.inner.send_text_message(message.sender_id, policies.message("assistant_error"))
        return "apology"

    async def _forwarded_to_agent(self, sender_id: str, text: str) -> bool:
        """Rasa stays silent in a conversation held for an agent: the message goes to the agent then."""
        relay = self.relay()
        if relay is None:
            return False
        try:
            forwarded = await relay.forward_if_held(sender_id, text)
        except Exception:
            logger.exception("could not tell whether the conversation of %s is held for an agent", sender_id)
            return False
        if forwarded:
            logger.info("message of %s is for the agent holding the conversation", sender_id)
        return forwarded


def answer_every_message(
    on_new_message: MessageHandler, max_message_chars: int, admission: Admission | None = None
) -> MessageGuard:
    """Wraps Rasa's message handler with the input limits, admission control and the apology for
    silence; the channel passes its blueprint to `serve_with` so held conversations reach the agent."""
    return MessageGuard(on_new_message, max_message_chars, admission)
