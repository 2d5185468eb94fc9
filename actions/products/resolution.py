"""Which product the shopper means: the one step every product question shares.

1. an ordinal mention ("the second one", "number 3") picks from the products listed last
   (`knowledge_base_listed_objects`), with rasa-sdk's `resolve_mention`;
2. a product the NLU found ("the ocean blue shirt") is resolved by the service (fuzzy + semantic);
   when it could be several, the one already in the conversation wins, else the shopper is asked;
3. otherwise "it", "that one", "this jacket" or no mention at all: the product talked about last
   (`knowledge_base_last_object`, via rasa-sdk's `get_object_name`);
4. with nothing in the conversation yet, the whole message is resolved as a product name.

"The whole message" is always sent without the shopper's framing (`shopper_query`: "do you have the
X?" asks for "X"), the same text the search sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.knowledge_base.utils import get_object_name

from actions.products.context import (
    demonstrative_kinds,
    last_product_id,
    latest_entities,
    latest_mention,
    listed_ids,
    mention_view,
    message_text,
    named_products,
)
from actions.products.knowledge_base import Catalogue, GraphKnowledgeBase
from actions.products.query import shopper_query
from actions.products.words import kind_matches, kind_word
from contracts.catalogue import ProductSummary


@dataclass(frozen=True)
class Choice:
    """The outcome of `which_product`: one product, candidates to choose from, or nothing."""

    product_id: str | None = None
    candidates: tuple[ProductSummary, ...] = ()
    ambiguous: bool = False
    asked_for: str | None = None  # a name that matched no product
    list_length: int | None = None  # an ordinal beyond the end of the list

    @property
    def nothing(self) -> bool:
        return not (self.product_id or self.candidates or self.asked_for or self.list_length is not None)


@dataclass
class Turn:
    """One product question being answered: who to answer, what was said, where to look."""

    dispatcher: CollectingDispatcher
    tracker: Tracker
    client: Catalogue
    kb: GraphKnowledgeBase

    @property
    def text(self) -> str:
        return message_text(self.tracker)

    def say(self, text: str) -> None:
        self.dispatcher.utter_message(text=text)


async def which_product(turn: Turn, names: Sequence[str] | None = None) -> Choice:
    """The product the shopper means (see the module docstring for the order of the steps).

    `names` replaces the product names found in the message (a question about two products
    passes only the one it is asking about)."""
    tracker, kb = turn.tracker, turn.kb
    listed = listed_ids(tracker)
    mention = latest_mention(tracker)
    names = named_products(tracker) if names is None else list(names)
    ordinal = mention if mention in kb.ordinal_mention_mapping else None
    if ordinal is not None and listed:
        if ordinal.isdigit() and int(ordinal) > len(listed):
            return Choice(list_length=len(listed))
        picked = get_object_name(mention_view(tracker, ordinal, None), kb.ordinal_mention_mapping)
        return Choice(product_id=str(picked)) if picked else Choice()
    if names:
        return await resolve_name(turn, names[0])
    spoken = None if ordinal else mention
    last = get_object_name(mention_view(tracker, spoken, None), kb.ordinal_mention_mapping)
    kinds = demonstrative_kinds(tracker)
    if kinds and (last or listed):
        of_kind = await product_of_kind(turn, kind_word(kinds), last, listed)
        return Choice(product_id=of_kind) if of_kind else await resolve_name(turn, kinds[0])
    if last:
        return Choice(product_id=str(last))
    if listed:
        return Choice()  # the caller asks which of the listed products
    return await resolve_text(turn, turn.text)


async def product_of_kind(turn: Turn, kind: str | None, last: str | None, listed: list[str]) -> str | None:
    """'this case': the product in context if it is a case, else the one case among those listed; None
    when there is no case in the conversation (the caller then resolves 'case' like a name)."""
    found = {d.id: d.summary for d in await turn.client.products([i for i in (last, *listed) if i])}
    if last in found and kind_matches(found[last], kind):
        return last
    matches = [i for i in listed if i in found and kind_matches(found[i], kind)]
    if len(matches) == 1:
        return matches[0]
    return last if not matches and kind is None else None


async def resolve_name(turn: Turn, name: str) -> Choice:
    """A name the NLU found. An exact title wins: the entity's, else one in the whole message; then the
    entity's looser match, the product already in the conversation, and the whole message's."""
    lookup = await turn.kb.find(name)
    if lookup.best is not None and title_in(lookup.best, name):
        return Choice(product_id=lookup.best.id)
    # The whole message may name the product better than the entity did ("the oceen blu shirt", an entity
    # cut short), unless it names other products too.
    only_name = len(latest_entities(turn.tracker, "product")) <= 1
    whole_text = shopper_query(turn.text).text
    whole = None
    if only_name and " ".join(whole_text.lower().split()) != " ".join(name.lower().split()):
        whole = await turn.kb.find(whole_text)
        if whole.best is not None and title_in(whole.best, whole_text):
            return Choice(product_id=whole.best.id)
    if lookup.best is not None:
        return Choice(product_id=lookup.best.id)
    context = {*listed_ids(turn.tracker), last_product_id(turn.tracker)}
    in_context = [c for c in lookup.candidates if c.id in context]
    if len(in_context) == 1:
        return Choice(product_id=in_context[0].id)
    if whole is not None and whole.best is not None:
        return Choice(product_id=whole.best.id)
    if lookup.ambiguous:
        return Choice(candidates=lookup.candidates, ambiguous=True)
    return Choice(asked_for=name, candidates=lookup.candidates)


def title_in(product: ProductSummary, text: str) -> bool:
    """Every word of the product's title is in the text: the shopper named it, not something like it."""
    return set(_words(product.title)) <= set(_words(text))


def is_title(product: ProductSummary, text: str) -> bool:
    """The text is the product's title, give or take case, spacing and punctuation."""
    return _words(product.title) == _words(text)


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text.lower()).split()


async def resolve_text(turn: Turn, text: str) -> Choice:
    """A message with no product entity, resolved as a name without its framing."""
    text = shopper_query(text).text
    if not text.strip():
        return Choice()
    lookup = await turn.kb.find(text)
    if lookup.best is not None:
        return Choice(product_id=lookup.best.id)
    if lookup.ambiguous:
        return Choice(candidates=lookup.candidates, ambiguous=True)
    return Choice()
