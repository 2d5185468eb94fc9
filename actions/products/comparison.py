"""Two products side by side: price, brand, key attributes, what is in stock, and what differs."""

from __future__ import annotations

from rasa_sdk.events import EventType

from actions.products import texts
from actions.products.base import ProductAction
from actions.products.context import last_product_id, listed_ids, listing, named_products, remember, waiting_for_product
from actions.products.knowledge_base import ordinal_mentions_in
from actions.products.resolution import Turn, resolve_name
from actions.products.words import BOTH, DESCRIPTIVE_ATTRIBUTES
from contracts.catalogue import ProductDetails


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
        return texts.comparison_label("sold_out")
    return texts.sizes_and_colours(in_stock) or texts.comparison_label("yes")


def compare(first: ProductDetails, second: ProductDetails) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Table rows (label, first, second) and the differences worth saying."""
    a, b = first.summary, second.summary
    rows = [(texts.comparison_label("price"), texts.price_range(a), texts.price_range(b))]
    diffs: list[str] = []
    if a.brand or b.brand:
        rows.append((texts.comparison_label("brand"), a.brand or "—", b.brand or "—"))
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
            diffs.append(texts.differs(label, value_a, value_b))
    rows.append((texts.comparison_label("in_stock"), in_stock_options(first), in_stock_options(second)))
    if a.min_price is not None and b.min_price is not None and a.min_price != b.min_price:
        cheaper, other = (first, second) if a.min_price < b.min_price else (second, first)
        diffs.insert(0, texts.cheaper_by(cheaper, other, abs(a.min_price - b.min_price)))
    if a.brand and b.brand and a.brand != b.brand:
        diffs.append(texts.brands_differ(a.brand, b.brand))
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
            what = (
                texts.option_label(texts.join_words(missing), None)
                if attribute == "size"
                else texts.join_words(missing)
            )
            said.append(texts.only_one_has(one, what))
    return said
