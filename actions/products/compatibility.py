"""What fits what: "which cases fit this phone?" (a list) and "does this case fit the X?" (yes or no),
from the graph's COMPATIBLE_WITH and ACCESSORY_OF relations.
"""

from __future__ import annotations

from rasa_sdk.events import EventType

from actions.products import texts
from actions.products.base import ProductAction
from actions.products.context import last_product_id, listing, named_products, remember
from actions.products.resolution import Choice, Turn
from actions.products.texts import MAX_LISTED
from actions.products.words import ACCESSORIES, FIT_PHRASE, LIST_QUESTION, kind_matches, kind_word, refers_back
from contracts.catalogue import ProductDetails, ProductSummary

RELATED_POOL = 20  # related products fetched before filtering by kind ("cases") or price


class ActionCompatibleProducts(ProductAction):
    """'Which cases fit this phone?' lists them; 'does this case fit the X?' answers yes or no.

    The message is split at the fit phrase ("fit", "work with", "compatible with", "for"): after it
    is the target (what it should fit), before it the subject or, in a "which/any/do you have"
    question, the kind of product wanted ("cases").
    """

    def name(self) -> str:
        return "action_compatible_products"

    async def answer(self, turn: Turn) -> list[EventType]:
        text = turn.text.lower()
        fit = FIT_PHRASE.search(text)
        target_phrase = fit.group("target").strip() if fit else None
        before = text[: fit.start()] if fit else text
        names_before = [n for n in named_products(turn.tracker) if n.lower() in before]
        target = await self.target(turn, target_phrase)
        if LIST_QUESTION.search(before):
            if target is None and target_phrase and not refers_back(target_phrase):
                return await self.ask_which(turn, Choice(asked_for=target_phrase))
            if target is None:
                details, events = await self.focus(turn, names=[])
                if details is None:
                    return events
                target = details.summary
            accessories = bool(ACCESSORIES.search(text))
            return await self.list_compatible(turn, target, kind_word(names_before), accessories)
        subject, events = await self.focus(turn, names=names_before)
        if subject is None:
            return events
        if target is None or target.id == subject.id:
            related = await turn.client.related(subject.id, "COMPATIBLE_WITH", limit=MAX_LISTED)
            products = [r.product for r in related]
            turn.say(texts.compatible_with_list(subject, products))
            return listing(products, focus_id=subject.id) if products else remember(subject.id)
        return await self.yes_or_no(turn, subject, target)

    async def target(self, turn: Turn, phrase: str | None) -> ProductSummary | None:
        """What it should fit: 'this phone'/'it' is the product in the conversation, else a name."""
        if not phrase:
            return None
        if refers_back(phrase):
            last = last_product_id(turn.tracker)
            details = await turn.client.product(last) if last else None
            return details.summary if details else None
        return (await turn.kb.find(phrase)).best

    async def list_compatible(
        self, turn: Turn, target: ProductSummary, kind: str | None, accessories: bool
    ) -> list[EventType]:
        found = await turn.client.related(target.id, "COMPATIBLE_WITH", incoming=True, limit=RELATED_POOL)
        if accessories or kind:
            found += await turn.client.related(target.id, "ACCESSORY_OF", incoming=True, limit=RELATED_POOL)
        products = list({r.product.id: r.product for r in found if kind_matches(r.product, kind)}.values())
        turn.say(texts.compatible_list(target, products[:MAX_LISTED], kind or ("accessory" if accessories else None)))
        return listing(products, focus_id=target.id) if products else remember(target.id)

    async def yes_or_no(self, turn: Turn, subject: ProductDetails, target: ProductSummary) -> list[EventType]:
        outgoing = await turn.client.related(subject.id, "COMPATIBLE_WITH", limit=RELATED_POOL)
        fits = any(r.product.id == target.id for r in outgoing)
        if not fits:
            incoming = await turn.client.related(subject.id, "COMPATIBLE_WITH", incoming=True, limit=RELATED_POOL)
            fits = any(r.product.id == target.id for r in incoming)
        if fits:
            turn.say(texts.fits(subject, target))
            return remember(subject.id)
        others = await turn.client.related(target.id, "COMPATIBLE_WITH", incoming=True, limit=RELATED_POOL)
        kind = subject.summary.product_type or None
        alternatives = [r.product for r in others if kind_matches(r.product, kind) and r.product.id != subject.id]
        turn.say(texts.does_not_fit(subject, target, alternatives[:MAX_LISTED]))
        return listing(alternatives, focus_id=subject.id) if alternatives else remember(subject.id)
