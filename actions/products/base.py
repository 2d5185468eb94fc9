"""`ProductAction`, the base of every product question: the catalogue client, the 'which product'
step (actions/products/resolution.py), asking which one when it is unclear, and the apology from
the message catalogue (`policies.messages.catalogue_down`) when the knowledge-graph service is down.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Sequence

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.knowledge_base.utils import SLOT_MENTION
from rasa_sdk.types import DomainDict

from actions import backend
from actions.products import texts
from actions.products.context import listed_ids, offered, waiting_for_product
from actions.products.knowledge_base import Catalogue, GraphKnowledgeBase
from actions.products.resolution import Choice, Turn, which_product
from actions.products.search_results import search_if_found
from contracts.catalogue import ProductDetails
from contracts.shop_policies import shop_policies
from service_clients.catalogue import CatalogueUnavailable

logger = logging.getLogger(__name__)


class ProductAction(Action, abc.ABC):
    """Shared by every product question: the client, the 'which product' step and the down apology."""

    def __init__(self, client: Catalogue | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Catalogue:
        return self._client if self._client is not None else backend.catalogue_client()

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        client = self.client
        turn = Turn(dispatcher, tracker, client, GraphKnowledgeBase(client))
        try:
            events = await self.answer(turn)
        except CatalogueUnavailable as error:
            logger.error("knowledge-graph service unavailable in %s: %s", self.name(), error)
            dispatcher.utter_message(text=shop_policies().message("catalogue_down"))
            events = []
        # A mention is about this turn only; rasa-sdk's knowledge-base actions reset it the same way.
        return [SlotSet(SLOT_MENTION, None), *events]

    @abc.abstractmethod
    async def answer(self, turn: Turn) -> list[EventType]:
        """Answers the question; returns the slot events."""

    def delegate(self, action_class: type[ProductAction]) -> ProductAction:
        """Another product action with the same client (one question type handing over to another)."""
        return action_class(self._client)

    async def focus(
        self, turn: Turn, names: Sequence[str] | None = None
    ) -> tuple[ProductDetails | None, list[EventType]]:
        """The product in question with its details, or (None, events) after asking which one."""
        choice = await which_product(turn, names)
        if choice.product_id:
            details = await turn.client.product(choice.product_id)
            if details is not None:
                return details, []
            logger.info("product %s from the conversation is no longer in the catalogue", choice.product_id)
            choice = Choice()
        return None, await self.ask_which(turn, choice)

    async def ask_which(self, turn: Turn, choice: Choice) -> list[EventType]:
        """No clear product: ask, listing what the shopper can pick from."""
        pending = waiting_for_product(self.name())
        if choice.ambiguous and choice.candidates:
            turn.say(texts.which_one(choice.candidates))
            return [*offered(choice.candidates), *pending]
        if choice.asked_for:
            # No product is called that: what the search finds for it, else near matches or an offer to search.
            found = await search_if_found(turn)
            if found is not None:
                return found
            turn.say(texts.not_found(choice.asked_for, choice.candidates))
            return [*offered(choice.candidates), *pending] if choice.candidates else pending
        listed = await turn.client.products(listed_ids(turn.tracker))
        summaries = [d.summary for d in listed]
        if choice.list_length is not None:
            turn.say(texts.list_too_short(choice.list_length) + ("\n" + texts.numbered(summaries) if summaries else ""))
            return pending
        if summaries:
            turn.say(texts.which_one(summaries))
            return pending
        turn.say(texts.which_product())
        return pending
