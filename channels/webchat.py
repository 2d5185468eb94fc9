"""socket.io channel for the rasa-webchat widget: Rasa's ``SocketIOInput``, fixed.

1. With ``session_persistence: true`` Rasa 3.6 calls ``sio.enter_room(sid, session_id)`` without
   ``await``. Since python-socketio 5.10 ``AsyncServer.enter_room`` is a coroutine, so the socket
   never joins the session's room and every bot reply (emitted to that room) is lost: the widget
   connects but never shows an answer (Rasa only logs "coroutine 'AsyncServer.enter_room' was never
   awaited"). The lock pins python-socketio 5.18, so the ``session_request`` handler is replaced
   with one that awaits it (and still works with the older, synchronous API).
2. Session ids are issued and signed by the server for this channel (``web-<nonce>.<signature>``,
   channels/conversation_ids.py): a client can resume the id it was given, but cannot choose one
   (e.g. another channel's sender id, or a REST conversation's). A socket writes only into the
   session it was confirmed on ``session_request``; Rasa's handler took any ``session_id`` from
   each message.
3. ``SocketIOOutput.send_custom_json`` passes the custom payload as keyword arguments to
   ``sio.emit`` (a TypeError for any ordinary custom payload); it is sent as the event's data.
4. With ``redis_url`` (several Rasa workers), emits and presence are shared through Redis
   (channels/webchat_cluster.py), so an agent's reply reaches a socket on another worker.

Name, URL (``/webhooks/socketio/``, socket.io path ``/socket.io``) and credentials keys are those
of Rasa's channel, so the widget and other socket.io clients need no change.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint
from socketio import AsyncServer

from channels.conversation_ids import ConversationIds
from channels.guard import DEFAULT_MAX_MESSAGE_CHARS, answer_every_message, without_identity
from channels.webchat_cluster import Presence, share_emits_through_redis

logger = logging.getLogger(__name__)

SESSION_PREFIX = "web-"


class WebchatOutput(SocketIOOutput):
    """Rasa's socket.io output, sending custom JSON as the event payload."""

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        await self.sio.emit(self.bot_message_evt, json_message, room=recipient_id)


def socketio_room_occupied(sio: Any, room: str, namespace: str | None = None) -> bool:
    """Whether a socket is in the room (the session id) on this server, with python-socketio's manager."""
    try:
        return any(True for _ in sio.manager.get_participants(namespace or "/", room))
    except Exception:  # another manager API: be honest and call it stored (the replay delivers it)
        logger.warning("cannot tell whether %s is connected; reporting agent replies as stored", room)
        return False


async def join_room(sio: AsyncServer, sid: str, room: str, namespace: str | None) -> None:
    """Enter a room with either python-socketio API (coroutine since 5.10, plain call before)."""
    result = sio.enter_room(sid, room, namespace=namespace)
    if inspect.isawaitable(result):
        await result


class WebchatInput(SocketIOInput):
    """Rasa's socket.io input channel whose replies reach persistent sessions.

    A `LiveChannel` for the hand-off relay (channels/handoff_relay.py): an agent's replies reach the
    widget live (the session id is the socket.io room) when a browser is in the room; otherwise they
    are "stored" and replayed when the session reconnects."""

    max_message_chars = DEFAULT_MAX_MESSAGE_CHARS
    ids: ConversationIds
    redis_url = ""  # several workers: emits and presence through Redis
    presence: Presence | None = None

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        secret = str((credentials or {}).get("id_secret") or "")
        if not secret or secret.startswith("${"):
            raise RasaException(
                "The socket.io channel needs 'id_secret' in credentials.yml: write it unquoted, "
                "'id_secret: ${CONVERSATION_ID_SECRET}', and set CONVERSATION_ID_SECRET (bot/launcher.py does)."
            )
        channel = super().from_credentials(credentials)
        channel.max_message_chars = int((credentials or {}).get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS))
        channel.ids = ConversationIds(secret, channel=cls.name(), prefix=SESSION_PREFIX)
        redis_url = str((credentials or {}).get("redis_url") or "")
        channel.redis_url = "" if redis_url.startswith("${") else redis_url
        return channel

    def get_output_channel(self) -> OutputChannel | None:
        if self.sio is None:
            return super().get_output_channel()
        return WebchatOutput(self.sio, self.bot_message_evt)

    def live_output(self) -> OutputChannel:
        assert self.sio is not None  # set by SocketIOInput.blueprint, before the server starts
        return WebchatOutput(self.sio, self.bot_message_evt)

    async def client_connected(self, conversation_id: str) -> bool:
        if self.sio is None:
            return False
        if socketio_room_occupied(self.sio, conversation_id, self.namespace):
            return True
        return self.presence is not None and await self.presence.connected(conversation_id)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        guarded = answer_every_message(on_new_message, self.max_message_chars)
        webhook = guarded.serve_with(super().blueprint(guarded))
        sio = self.sio
        assert sio is not None  # set by SocketIOInput.blueprint
        if self.redis_url:
            share_emits_through_redis(sio, self.redis_url)
            self.presence = Presence.from_url(self.redis_url)
        presence = self.presence

        # Registering again for the same event replaces Rasa's handler.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: dict[str, Any] | None) -> None:
            data = data if isinstance(data, dict) else {}
            offered = data.get("session_id")
            session_id = offered if self.ids.is_valid(offered) else self.ids.issue()
            if self.session_persistence:
                await join_room(sio, sid, session_id, self.namespace)
                if presence is not None:
                    await presence.joined(session_id, sid)
            # This socket may write into this session only (python-socketio drops it on disconnect).
            await sio.save_session(sid, {"session_id": session_id}, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
            logger.debug("socket %s confirmed session %s", sid, session_id)
            relay = guarded.relay()
            if self.session_persistence and relay is not None:
                await relay.replay_stored(session_id, WebchatOutput(sio, self.bot_message_evt))

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str, *reason: Any) -> None:
            if presence is None:
                return
            session_id = (await sio.get_session(sid, namespace=self.namespace)).get("session_id")
            if session_id:
                await presence.left(session_id, sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict):
                logger.warning("socket.io message from %s ignored: payload is not an object", sid)
                return
            if self.session_persistence:
                confirmed = (await sio.get_session(sid, namespace=self.namespace)).get("session_id")
                if confirmed is None or data.get("session_id") != confirmed:
                    logger.warning(
                        "socket.io message from %s ignored: not the session confirmed on this socket "
                        "(send `session_request` first)",
                        sid,
                    )
                    return
                sender_id = confirmed
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    logger.warning("socket.io message from %s: metadata is not JSON", sid)
                    metadata = {}
            message = UserMessage(
                str(data.get("message", "")),
                WebchatOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                metadata=without_identity(metadata),
            )
            await guarded(message)

        return webhook
