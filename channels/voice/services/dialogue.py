"""The gateway's side of Rasa's voice channel (channels/voice_input.py): one POST per caller turn.

Replies are read with ``?stream=true``: Rasa writes each bot message as soon as its action ran, so
the first sentence is being spoken while later actions still run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from contracts.request_ids import HEADER, current_request_id, new_request_id

logger = logging.getLogger(__name__)

WEBHOOK = "/webhooks/voice/webhook"
AGENT_MESSAGES = "/webhooks/voice/messages"


class RasaUnavailable(Exception):
    """Rasa did not answer the turn (down, refused, too slow); the caller hears an apology."""


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout_s: float = 10.0) -> None:
        self.url = base_url.rstrip("/") + WEBHOOK + "?stream=true"
        self.messages_url = base_url.rstrip("/") + AGENT_MESSAGES
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """Yields the bot's messages for one caller message as Rasa produces them."""
        body = {"sender": sender, "message": text, "metadata": metadata}
        headers = {"Authorization": f"Bearer {self.token}", HEADER: current_request_id() or new_request_id()}
        session = await self.session()
        try:
            async with session.post(self.url, json=body, headers=headers) as response:
                if response.status != 200:
                    detail = (await response.text())[:300]
                    raise RasaUnavailable(f"Rasa answered {response.status}: {detail}")
                async for line in response.content:
                    if not line.strip():
                        continue
                    try:
                        message = json.loads(line)
                    except ValueError:
                        logger.warning("call %s: Rasa sent a line that is not JSON (%d bytes)", sender, len(line))
                        continue
                    if isinstance(message, dict):
                        yield message
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RasaUnavailable(f"Rasa is unreachable or too slow: {error!r}") from error

    async def agent_messages(self, conversation_id: str, since: float) -> list[dict[str, Any]]:
        """What a human agent said in the conversation after ``since`` (a hand-off, see docs/voice.md).

        Rasa cannot push to the gateway, so the gateway asks; [] when Rasa has no such route."""
        session = await self.session()
        # repr, not a rounded form: Rasa answers messages strictly after ``since``, and a timestamp cut
        # to six decimals is earlier than the last message's own one, which then came back every time.
        params = {"sender": conversation_id, "since": repr(since)}
        try:
            headers = {"Authorization": f"Bearer {self.token}"}
            async with session.get(self.messages_url, params=params, headers=headers) as response:
                if response.status != 200:
                    return []
                messages = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            logger.debug("agent messages of %s not fetched: %r", conversation_id, error)
            return []
        return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []
