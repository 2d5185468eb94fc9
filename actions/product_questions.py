"""Answers to product questions from the product knowledge graph (via the knowledge-graph service).

One action per kind of question; all share one step that decides which product the shopper means
(`which_product`):

1. an ordinal mention ("the second one", "number 3") picks from the products listed last
   (`knowledge_base_listed_objects`), with rasa-sdk's `resolve_mention`;
2. a product the NLU found ("the ocean blue shirt") is resolved by the service (fuzzy + semantic);
   when it could be several, the one already in the conversation wins, else the shopper is asked;
3. otherwise "it", "that one", "this jacket" or no mention at all: the product talked about last
   (`knowledge_base_last_object`, via rasa-sdk's `get_object_name`);
4. with nothing in the conversation yet, the whole message is resolved as a product name.

Every action remembers the product it answered about and the products it listed, so follow-ups
("is it in stock in large?", "the second one") work. Wording is in actions/product_texts.py;
general answers (sizing, warranty, care...) and the "catalogue is down" apology are in
bot/shop_policies.yml.
"""

from __future__ import annotations

import abc
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.knowledge_base.utils import (
    SLOT_LAST_OBJECT,
    SLOT_LAST_OBJECT_TYPE,
    SLOT_LISTED_OBJECTS,
    SLOT_MENTION,
    SLOT_OBJECT_TYPE,
    get_object_name,
)
from rasa_sdk.types import DomainDict

from actions import backend
from actions import product_texts as texts
from actions.clients.catalogue import CatalogueUnavailable
from actions.clients.pricing import PricingUnavailable, Quote
from actions.clients.recommendations import RecommendationsUnavailable
from actions.identity import app_customer_id
from actions.knowledge_base import (
    OBJECT_TYPE,
    Catalogue,
    GraphKnowledgeBase,
    normalise_mention,
    ordinal_mention_in,
    ordinal_mentions_in,
)
from actions.product_words import (
    ACCESSORIES,
    ATTRIBUTE_WORDS,
    BOTH,
    CHEAPER,
    DEMONSTRATIVE_BEFORE,
    DESCRIPTIVE_ATTRIBUTES,
    FIT_PHRASE,
    LIST_QUESTION,
    SIMILAR,
    SUCCESSOR,
    TOPIC_INTENT_ANSWERS,
    Options,
    asked_attributes,
    asked_concepts,
    is_cheaper,
    is_vague_request,
    kind_matches,
    kind_word,
    matching,
    offered_values,
    policy_topic,
    refers_back,
    requested_options,
)
from actions.shop_policies import shop_policies
from knowledge_graph.model import Variant
from knowledge_graph.store import ProductDetails, ProductFilter, ProductSummary
from knowledge_graph.wire import Candidate

logger = logging.getLogger(__name__)

# Which product question is waiting for the shopper to say which product ("which one do you mean?").
SLOT_PENDING_QUESTION = "product_question"
SLOT_COUPON = "coupon_code"  # a code the shopper gave, used in later price answers

MAX_LISTED = texts.MAX_LISTED
RELATED_POOL = 20  # related products fetched before filtering by kind ("cases") or price
MIN_SEARCH_SCORE = 0.25  # search hits below this are unrelated to the query
RELATIVE_SEARCH_SCORE = 0.6  # ...or far weaker than the best hit

# --------------------------------------------------------------------------- reading the message


def message_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def latest_entities(tracker: Tracker, name: str) -> list[dict[str, Any]]:
    return [e for e in tracker.latest_message.get("entities") or [] if e.get("entity") == name and e.get("value")]


def is_demonstrative(text: str, entity: dict[str, Any]) -> bool:
    """'this phone', 'that jacket': the product already talked about, not a new name."""
    start = entity.get("start")
    if isinstance(start, int):
        return bool(DEMONSTRATIVE_BEFORE.search(text[:start].lower()))
    value = str(entity.get("value")).lower()
    return any(f"{word} {value}" in text.lower() for word in ("this", "that", "these", "those"))


def demonstrative_kinds(tracker: Tracker) -> list[str]:
    """The X of 'this X' / 'that X' in the latest message ('this case' -> 'case')."""
    text = message_text(tracker)
    return [str(e["value"]) for e in latest_entities(tracker, "product") if is_demonstrative(text, e)]


def named_products(tracker: Tracker) -> list[str]:
    """Product names in the latest message, without the ones said as 'this X'."""
    text = message_text(tracker)
    names = [str(e["value"]) for e in latest_entities(tracker, "product") if not is_demonstrative(text, e)]
    return list(dict.fromkeys(names))


def latest_mention(tracker: Tracker) -> str | None:
    """The mention in the latest message only (the slot may still hold an old one), normalised."""
    for entity in latest_entities(tracker, SLOT_MENTION):
        mention = normalise_mention(str(entity["value"]))
        if mention:
            return mention
    return ordinal_mention_in(message_text(tracker))


def listed_ids(tracker: Tracker) -> list[str]:
    listed = tracker.get_slot(SLOT_LISTED_OBJECTS)
    return [str(item) for item in listed] if isinstance(listed, list) else []


def last_product_id(tracker: Tracker) -> str | None:
    last = tracker.get_slot(SLOT_LAST_OBJECT)
    return str(last) if last else None


def mention_view(tracker: Tracker, mention: str | None, product_name: str | None) -> Tracker:
    """The tracker as rasa-sdk's mention helpers read it: this turn's mention and name only."""
    slots = {
        **tracker.slots,
        SLOT_MENTION: mention,
        SLOT_OBJECT_TYPE: OBJECT_TYPE,
        OBJECT_TYPE: product_name,
        SLOT_LAST_OBJECT_TYPE: OBJECT_TYPE if last_product_id(tracker) else None,
    }
    return Tracker(
        tracker.sender_id,
        slots,
        tracker.latest_message,
        [],
        tracker.is_paused(),
        tracker.followup_action,
        tracker.active_loop,
        tracker.latest_action_name,
    )


# --------------------------------------------------------------------------- which product


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
    ordinal = mention in kb.ordinal_mention_mapping
    if ordinal and listed:
        if mention.isdigit() and int(mention) > len(listed):
            return Choice(list_length=len(listed))
        picked = get_object_name(mention_view(tracker, mention, None), kb.ordinal_mention_mapping)
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
    """A name the NLU found; when unclear, the product already in the conversation, then the whole message."""
    lookup = await turn.kb.find(name)
    if lookup.best is not None:
        return Choice(product_id=lookup.best.id)
    context = {*listed_ids(turn.tracker), last_product_id(turn.tracker)}
    in_context = [c for c in lookup.candidates if c.id in context]
    if len(in_context) == 1:
        return Choice(product_id=in_context[0].id)
    # The whole message may name the product better than the entity did ("the oceen blu shirt"), unless
    # it names other products too.
    only_name = len(latest_entities(turn.tracker, "product")) <= 1
    if only_name and " ".join(turn.text.lower().split()) != " ".join(name.lower().split()):
        whole = await turn.kb.find(turn.text)
        if whole.best is not None:
            return Choice(product_id=whole.best.id)
    if lookup.ambiguous:
        return Choice(candidates=lookup.candidates, ambiguous=True)
    return Choice(asked_for=name, candidates=lookup.candidates)


async def resolve_text(turn: Turn, text: str) -> Choice:
    if not text.strip():
        return Choice()
    lookup = await turn.kb.find(text)
    if lookup.best is not None:
        return Choice(product_id=lookup.best.id)
    if lookup.ambiguous:
        return Choice(candidates=lookup.candidates, ambiguous=True)
    return Choice()


# --------------------------------------------------------------------------- slot events


def remember(product_id: str) -> list[EventType]:
    """The product answered about becomes 'it' for the next question."""
    return [
        SlotSet(SLOT_LAST_OBJECT, product_id),
        SlotSet(SLOT_LAST_OBJECT_TYPE, OBJECT_TYPE),
        SlotSet(SLOT_PENDING_QUESTION, None),
    ]


def listing(products: Sequence[ProductSummary], focus_id: str | None = None) -> list[EventType]:
    """Listed products, for 'the second one'. 'It' is then the one product listed, else `focus_id` (the
    phone whose cases were listed), else nothing: 'is it in stock?' after five results asks which one."""
    ids = [p.id for p in products[:MAX_LISTED]]
    if len(ids) == 1:
        focus_id = ids[0]
    return [
        SlotSet(SLOT_LISTED_OBJECTS, ids),
        SlotSet(SLOT_LAST_OBJECT, focus_id),
        SlotSet(SLOT_LAST_OBJECT_TYPE, OBJECT_TYPE),
        SlotSet(SLOT_PENDING_QUESTION, None),
    ]


def offered(candidates: Sequence[ProductSummary]) -> list[EventType]:
    """Candidates of a clarifying question: listed for 'the second one', while 'it' stays what it was."""
    return [SlotSet(SLOT_LISTED_OBJECTS, [p.id for p in candidates[:MAX_LISTED]])]


def waiting_for_product(question: str) -> list[EventType]:
    return [SlotSet(SLOT_PENDING_QUESTION, question)]


# --------------------------------------------------------------------------- the actions


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


class ActionProductPolicy(ProductAction):
    """Sizing guide, warranty, care, discounts...: the graph's FAQ entry, else the shop's own answer."""

    def name(self) -> str:
        return "action_product_policy"

    async def answer(self, turn: Turn) -> list[EventType]:
        turn.say(await policy_answer(turn, policy_topic(turn.text)))
        return []


async def policy_answer(turn: Turn, topic: str | None) -> str:
    policy = await turn.client.policy(turn.text)
    if policy is not None and policy.answer:
        return policy.answer
    policies = shop_policies()
    if topic:
        answer = policies.product_answer(topic) or policies.answer(TOPIC_INTENT_ANSWERS.get(topic, ""))
        if answer:
            return answer
    logger.info("no policy answer for a question (topic %s)", topic)  # not the text: shopper words stay out of logs
    return policies.answer("contact_customer_service") or policies.message("human_offer")


class ActionProductInfo(ProductAction):
    """What a product is; or one thing about it ("what material", "is it waterproof")."""

    def name(self) -> str:
        return "action_product_info"

    async def answer(self, turn: Turn) -> list[EventType]:
        topic = policy_topic(turn.text)
        if topic and not named_products(turn.tracker) and not last_product_id(turn.tracker):
            return await self.delegate(ActionProductPolicy).answer(turn)
        details, events = await self.focus(turn)
        if details is None:
            return events
        question = question_without_name(turn, details)
        asked = asked_attributes(question, details.attributes)
        concepts = asked_concepts(question)
        if asked:
            turn.say(texts.attribute_answer(details, asked))
        elif topic:
            turn.say(await policy_answer(turn, topic))
        elif concepts:
            turn.say(answer_from_description(details, concepts))
        else:
            turn.say(texts.overview(details))
        return remember(details.id)


def question_without_name(turn: Turn, details: ProductDetails) -> str:
    """The message without the product's name, so 'Waterproof Trail Jacket' doesn't ask 'waterproof?'."""
    text = turn.text.lower()
    for name in [details.title, *named_products(turn.tracker)]:
        text = text.replace(name.lower(), " ")
    return text


def answer_from_description(details: ProductDetails, concepts: Sequence[str]) -> str:
    """The description's sentence that mentions what was asked, if any; else honest 'not listed'."""
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(details.description.split()))
    for concept in concepts:
        for word in ATTRIBUTE_WORDS[concept]:
            for sentence in sentences:
                if re.search(rf"\b{re.escape(word)}", sentence.lower()):
                    return texts.description_says(details, sentence)
    return texts.attribute_unknown(details, concepts[0].replace("_", " "))


# --------------------------------------------------------------------------- sizes and colours


def options_asked(tracker: Tracker, details: ProductDetails) -> Options:
    sizes = [str(e["value"]) for e in latest_entities(tracker, "size")]
    colours = [str(e["value"]) for e in latest_entities(tracker, "colour")]
    return requested_options(message_text(tracker), sizes, colours, details)


class ActionProductAvailability(ProductAction):
    """Stock, by size and colour: 'does the Ocean Blue Shirt come in large?', 'is the red one in stock?'."""

    def name(self) -> str:
        return "action_product_availability"

    async def answer(self, turn: Turn) -> list[EventType]:
        details, events = await self.focus(turn)
        if details is None:
            return events
        turn.say(await self.availability(turn, details))
        return remember(details.id)

    async def availability(self, turn: Turn, details: ProductDetails) -> str:
        variants = details.variants
        if not variants:
            return texts.no_stock_data(details)
        in_stock = [v for v in variants if v.in_stock]
        options = options_asked(turn.tracker, details)
        if not options:
            if in_stock:
                return texts.in_stock_overview(details, in_stock)
            return texts.sold_out(details, await successor_of(turn, details))
        chosen = matching(variants, options)
        if not chosen:
            return texts.option_not_offered(details, options.label, offered_values(variants, options), in_stock)
        available = [v for v in chosen if v.in_stock]
        if available:
            return texts.option_in_stock(details, options.label, available)
        return texts.option_sold_out(details, options.label, in_stock)


async def successor_of(turn: Turn, details: ProductDetails) -> ProductSummary | None:
    """The product that replaced this one (REPLACED_BY), if the graph knows one."""
    replaced = await turn.client.related(details.id, "REPLACED_BY", limit=1)
    return replaced[0].product if replaced else None


class ActionProductPrice(ProductAction):
    """Price range, or per size/colour; a compare-at price is shown as the saving."""

    def name(self) -> str:
        return "action_product_price"

    async def answer(self, turn: Turn) -> list[EventType]:
        topic = policy_topic(turn.text)
        if topic in ("discounts", "prices") and not named_products(turn.tracker) and not latest_mention(turn.tracker):
            return await self.delegate(ActionProductPolicy).answer(turn)
        details, events = await self.focus(turn)
        if details is None:
            return events
        options = options_asked(turn.tracker, details)
        chosen = matching(details.variants, options) if options else []
        if chosen:
            turn.say(texts.option_price(details, options.label, chosen))
        else:
            turn.say(texts.product_price(details))
        quote = await personal_quote(turn, details, chosen, turn.tracker.get_slot(SLOT_COUPON))
        if quote is not None and (quote.adjusted or quote.guardrail):
            turn.say(texts.personal_price(quote))
        return remember(details.id)


async def personal_quote(
    turn: Turn, details: ProductDetails, chosen: Sequence[Variant], coupon: str | None = None
) -> Quote | None:
    """Sales, tier and guardrails from the pricing backend for the variant asked about (or the cheapest
    in stock); None when it is down: the catalogue price already given stands."""
    variants = list(chosen) or sorted(details.variants, key=lambda v: (not v.in_stock, v.price))
    if not variants:
        return None
    variant = variants[0]
    try:
        return await backend.pricing_client().quote(
            sku=variant.sku,
            product_id=details.id,
            base_price=variant.price,
            currency=details.summary.currency,
            category=details.summary.category_path[-1] if details.summary.category_path else None,
            stock=max(variant.stock, 0),
            customer_id=app_customer_id(turn.tracker),
            coupon_code=coupon,
        )
    except PricingUnavailable:
        return None


class ActionApplyCoupon(ProductAction):
    """'I have a coupon WELCOME10': checks the code's terms, remembers it for later prices in this
    conversation and, with a product in context, shows that product's price with the code. Codes are
    redeemed at checkout, not here."""

    def name(self) -> str:
        return "action_apply_coupon"

    async def answer(self, turn: Turn) -> list[EventType]:
        code = coupon_said(turn.tracker)
        if code is None:
            turn.say(texts.ask_coupon_code())
            return []
        try:
            coupon = await backend.pricing_client().coupon(code)
        except PricingUnavailable:
            turn.say(texts.coupon_check_down(code))
            return []
        customer = app_customer_id(turn.tracker)
        problem = "unknown" if coupon is None else coupon.problem(datetime.now(UTC), customer)
        if problem is not None:
            turn.say(texts.coupon_refused(code, problem))
            return [SlotSet(SLOT_COUPON, None)]
        turn.say(texts.coupon_accepted(coupon))
        events: list[EventType] = [SlotSet(SLOT_COUPON, coupon.code)]
        last = last_product_id(turn.tracker)
        details = await turn.client.product(last) if last else None
        if details is not None:
            quote = await personal_quote(turn, details, [], coupon.code)
            if quote is not None:
                turn.say(texts.price_with_coupon(details, quote))
        return events


def coupon_said(tracker: Tracker) -> str | None:
    """The code in this message (entity), else one given earlier in the conversation."""
    codes = [e.get("value") for e in latest_entities(tracker, "coupon_code") if e.get("value")]
    code = codes[0] if codes else tracker.get_slot(SLOT_COUPON)
    return str(code).strip().upper() if code else None


# --------------------------------------------------------------------------- related products


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


class ActionSimilarProducts(ProductAction):
    """'Something like this but cheaper', 'alternatives': SIMILAR_TO, and the successor of a replaced item.

    Reached from product_search and recommendation_request when the message asks for something
    like a product; a rule or a button can also predict it directly.
    """

    def name(self) -> str:
        return "action_similar_products"

    async def answer(self, turn: Turn) -> list[EventType]:
        base, events = await self.focus(turn)
        if base is None:
            return events
        lowered = turn.text.lower()
        cheaper = bool(CHEAPER.search(lowered))
        successor = None
        if SUCCESSOR.search(lowered) or not base.summary.in_stock:
            successor = await successor_of(turn, base)
        similar = await self.similar(turn, base, cheaper)
        if successor is not None:
            similar = [successor, *(p for p in similar if p.id != successor.id)]
            intro = texts.replaced_by(base, successor)
            turn.say(intro if len(similar) == 1 else intro + "\n" + texts.similar_list(base, similar, cheaper))
        elif similar:
            turn.say(texts.similar_list(base, similar, cheaper))
        else:
            turn.say(texts.no_similar(base, cheaper))
            return remember(base.id)
        return listing(similar, focus_id=base.id)

    async def similar(self, turn: Turn, base: ProductDetails, cheaper: bool) -> list[ProductSummary]:
        limit_price = base.summary.min_price if cheaper else None
        filters = ProductFilter(max_price=limit_price - 0.01) if limit_price else ProductFilter()
        related = await turn.client.related(base.id, "SIMILAR_TO", filters=filters, limit=MAX_LISTED)
        found = [r.product for r in related if r.product.id != base.id and is_cheaper(r.product, limit_price)]
        if found or not cheaper:
            return found[:MAX_LISTED]
        # No SIMILAR_TO link is cheaper: search products of the same kind under its price instead.
        query = base.summary.product_type or base.title
        result = await turn.client.search(query, k=MAX_LISTED + 1, filters=filters)
        return [h.product for h in result.hits if h.product.id != base.id and is_cheaper(h.product, limit_price)][
            :MAX_LISTED
        ]


# --------------------------------------------------------------------------- comparison


class ActionCompareProducts(ProductAction):
    """Two products side by side: price, brand, key attributes, what's in stock, and what differs."""

    def name(self) -> str:
        return "action_compare_products"

    async def answer(self, turn: Turn) -> list[EventType]:
        ids, events = await self.two_products(turn)
        if events is not None:
            return events
        products = await turn.client.products(ids[:2])
        if len(products) < 2:
            turn.say(texts.compare_needs_two(products[0] if products else None))
            return waiting_for_product(self.name())
        first, second = products
        rows, diffs = compare(first, second)
        turn.say(texts.comparison(first, second, rows, diffs))
        return listing([first.summary, second.summary])

    async def two_products(self, turn: Turn) -> tuple[list[str], list[EventType] | None]:
        """Ids of the two products, or events after asking (ambiguous, unknown, or only one)."""
        tracker = turn.tracker
        listed = listed_ids(tracker)
        ids: list[str] = []
        for mention in ordinal_mentions_in(turn.text) if listed else []:
            picked = turn.kb.ordinal_mention_mapping.get(mention)
            if picked and (not mention.isdigit() or int(mention) <= len(listed)):
                ids.append(str(picked(listed)))
        pair_listed = len(listed) == 2 or BOTH.search(turn.text.lower())
        if not ids and len(listed) >= 2 and pair_listed and not named_products(tracker):
            ids = listed[:2]
        for name in named_products(tracker):
            choice = await resolve_name(turn, name)
            if choice.product_id:
                ids.append(choice.product_id)
            elif choice.candidates or choice.asked_for:
                return [], await self.ask_which(turn, choice)
        last = last_product_id(tracker)
        if len(set(ids)) < 2 and last and last not in ids:
            ids.insert(0, last)
        ids = list(dict.fromkeys(ids))
        if len(ids) >= 2:
            return ids, None
        found = await turn.client.product(ids[0]) if ids else None
        turn.say(texts.compare_needs_two(found))
        return [], [*(remember(found.id) if found else []), *waiting_for_product(self.name())]


def in_stock_options(details: ProductDetails) -> str:
    in_stock = [v for v in details.variants if v.in_stock]
    if not in_stock:
        return "sold out"
    return texts.sizes_and_colours(in_stock) or "yes"


def compare(first: ProductDetails, second: ProductDetails) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Table rows (label, first, second) and the differences worth saying."""
    a, b = first.summary, second.summary
    rows = [("Price", texts.price_range(a), texts.price_range(b))]
    diffs: list[str] = []
    if a.brand or b.brand:
        rows.append(("Brand", a.brand or "—", b.brand or "—"))
    attrs_a = {x.name.lower(): x for x in first.attributes if x.name.lower() not in DESCRIPTIVE_ATTRIBUTES}
    attrs_b = {x.name.lower(): x for x in second.attributes if x.name.lower() not in DESCRIPTIVE_ATTRIBUTES}
    shared = [name for name in attrs_a if name in attrs_b]
    names = (shared + [n for n in [*attrs_a, *attrs_b] if n not in shared])[:4]
    for name in dict.fromkeys(names):
        value_a = attrs_a[name].value if name in attrs_a else "—"
        value_b = attrs_b[name].value if name in attrs_b else "—"
        label = name.replace("_", " ")
        rows.append((label.capitalize(), value_a, value_b))
        if name in shared and value_a.lower() != value_b.lower():
            diffs.append(f"{label} {value_a} vs {value_b}")
    rows.append(("In stock", in_stock_options(first), in_stock_options(second)))
    if a.min_price is not None and b.min_price is not None and a.min_price != b.min_price:
        cheaper, other = (first, second) if a.min_price < b.min_price else (second, first)
        diffs.insert(0, texts.cheaper_by(cheaper, other, abs(a.min_price - b.min_price)))
    if a.brand and b.brand and a.brand != b.brand:
        diffs.append(f"brand {a.brand} vs {b.brand}")
    diffs += only_one_has(first, second) + only_one_has(second, first)
    return rows, diffs


def only_one_has(one: ProductDetails, other: ProductDetails) -> list[str]:
    """Sizes/colours in stock for one product and not for the other (when both have that option)."""
    said = []
    mine = [v for v in one.variants if v.in_stock]
    theirs = [v for v in other.variants if v.in_stock]
    for attribute in ("size", "colour"):
        values = {getattr(v, attribute) for v in mine if getattr(v, attribute)}
        others = {getattr(v, attribute) for v in other.variants if getattr(v, attribute)}
        if not values or not others:
            continue
        missing = sorted(values - {getattr(v, attribute) for v in theirs if getattr(v, attribute)})
        if missing:
            what = f"size {texts.join_words(missing)}" if attribute == "size" else texts.join_words(missing)
            said.append(texts.only_one_has(one, what))
    return said


# --------------------------------------------------------------------------- search and recommendations


class ActionProductSearch(ProductAction):
    """Semantic search over the message ('something warm for hiking under $100'), up to five results."""

    def name(self) -> str:
        return "action_product_search"

    async def answer(self, turn: Turn) -> list[EventType]:
        if asks_for_similar(turn):
            return await self.delegate(ActionSimilarProducts).answer(turn)
        if PAIRING.search(turn.text.lower()) and last_product_id(turn.tracker):
            return await goes_with(turn, last_product_id(turn.tracker))
        if latest_mention(turn.tracker) and listed_ids(turn.tracker):
            return await self.delegate(ActionProductInfo).answer(turn)  # "show me the second one"
        return await search(turn)


def asks_for_similar(turn: Turn) -> bool:
    """'something like this', 'alternatives to the X', or 'anything cheaper?' about the product in context.

    'cheaper t-shirts' names what to search for, so a bare 'cheaper' only counts without a product name.
    """
    lowered = turn.text.lower()
    named = bool(named_products(turn.tracker))
    in_context = bool(last_product_id(turn.tracker) or latest_mention(turn.tracker))
    if SIMILAR.search(lowered):
        return named or in_context
    return bool(CHEAPER.search(lowered)) and in_context and not named


def relevant(hits: Sequence[Candidate]) -> list[ProductSummary]:
    """Semantic search always returns k hits; keep the ones that are about the query (scores are cosine
    similarities of MiniLM vectors: unrelated products score below ~0.25, and far below the best hit)."""
    if not hits:
        return []
    floor = max(MIN_SEARCH_SCORE, hits[0].score * RELATIVE_SEARCH_SCORE)
    return [hit.product for hit in hits if hit.score >= floor][:MAX_LISTED]


async def search(turn: Turn) -> list[EventType]:
    result = await turn.client.search(turn.text, k=MAX_LISTED)
    products = relevant(result.hits)
    filters = result.filters
    currency = products[0].currency if products else "USD"
    limits = texts.price_limits(filters.min_price, filters.max_price, currency, filters.in_stock_only)
    if not products:
        turn.say(texts.no_results(result.query or turn.text, limits))
        return [SlotSet(SLOT_PENDING_QUESTION, None)]
    turn.say(texts.search_results(products, limits))
    return listing(products)


class ActionRecommendProducts(ProductAction):
    """Recommendations. The seam for a recommendations backend (issue 6): today it answers with search
    results for what the shopper described, asks what they need when the request is vague, and hands
    'like this' and sizing questions to the similar-products and policy answers."""

    def name(self) -> str:
        return "action_recommend_products"

    async def answer(self, turn: Turn) -> list[EventType]:
        if asks_for_similar(turn):
            return await self.delegate(ActionSimilarProducts).answer(turn)
        if PAIRING.search(turn.text.lower()) and last_product_id(turn.tracker):
            return await goes_with(turn, last_product_id(turn.tracker))
        if policy_topic(turn.text) == "sizing":
            return await self.delegate(ActionProductPolicy).answer(turn)
        return await self.recommend(turn)

    async def recommend(self, turn: Turn) -> list[EventType]:
        """A described need is searched ("a warm jacket for hiking"); 'what do you recommend?' gets the
        recommendations backend's list for this shopper, or a question about what they need."""
        if not is_vague_request(turn.text):
            return await search(turn)
        personal = await personal_recommendations(turn)
        if personal is not None:
            return personal
        turn.say(texts.what_to_recommend())
        return [SlotSet(SLOT_PENDING_QUESTION, None)]


# "what goes with this?", "anything to match it", "accessories": asks for complements, not a search.
PAIRING = re.compile(
    r"\b(?:goes? (?:well )?with|pairs? (?:well )?with|match(?:es)? with|to go with|accessor(?:y|ies))\b"
)


async def goes_with(turn: Turn, product_id: str) -> list[EventType]:
    """'What goes with this?': the recommendations backend's picks for this product, else the graph's
    accessories of it, else a search."""
    personal = await personal_recommendations(turn)
    if personal is not None:
        return personal
    details = await turn.client.product(product_id)
    accessories = [r.product for r in await turn.client.related(product_id, "ACCESSORY_OF", incoming=True)]
    if details is None or not accessories:
        return await search(turn)
    turn.say(texts.goes_with(details, accessories))
    return listing(accessories, focus_id=product_id)


async def personal_recommendations(turn: Turn) -> list[EventType] | None:
    """The backend's picks with their reasons; None when it is down, has capped this shopper or has nothing."""
    tracker = turn.tracker
    try:
        found = await backend.recommendations_client().recommend(
            app_customer_id(tracker),
            product_id=last_product_id(tracker),
            conversation_id=conversation_key(tracker),
            k=MAX_LISTED,
        )
    except RecommendationsUnavailable:
        return None
    if found.capped or not found.items:
        return None
    products = [d.summary for d in await turn.client.products([item.product_id for item in found.items])]
    if not products:
        return None
    turn.say(texts.recommended(products, {item.product_id: item.reason for item in found.items}))
    return listing(products)


def conversation_key(tracker: Tracker) -> str | None:
    """The sender id as the backend's conversation id (its ids are 1-64 of [A-Za-z0-9_.:@/-])."""
    sender = tracker.sender_id or ""
    return sender if re.fullmatch(r"[A-Za-z0-9_.:@/-]{1,64}", sender) else None


# --------------------------------------------------------------------------- follow-ups without a question

PRODUCT_QUESTIONS: dict[str, type[ProductAction]] = {
    action().name(): action
    for action in (
        ActionProductInfo,
        ActionProductAvailability,
        ActionProductPrice,
        ActionCompatibleProducts,
        ActionSimilarProducts,
        ActionCompareProducts,
        ActionProductSearch,
        ActionRecommendProducts,
        ActionProductPolicy,
    )
}


def is_product_followup(tracker: Tracker) -> bool:
    """A bare value that continues a product conversation: 'the second one', 'large', 'the red one'."""
    entities = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
    if entities & {"product", SLOT_MENTION}:
        return True
    in_product_talk = bool(tracker.get_slot(SLOT_PENDING_QUESTION) or listed_ids(tracker) or last_product_id(tracker))
    if entities & {"colour", "size"}:
        return True
    return in_product_talk and ordinal_mention_in(message_text(tracker)) is not None


async def answer_product_followup(
    dispatcher: CollectingDispatcher, tracker: Tracker, client: Catalogue | None = None
) -> list[EventType]:
    """Answers the question waiting for a product, else: a size/colour asks for stock, a product for info."""
    pending = tracker.get_slot(SLOT_PENDING_QUESTION)
    entities = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
    if pending not in PRODUCT_QUESTIONS:
        pending = "action_product_availability" if entities & {"colour", "size"} else "action_product_info"
    return await PRODUCT_QUESTIONS[pending](client).run(dispatcher, tracker, {})
