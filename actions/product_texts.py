"""Sentences about products. All wording of product answers is here, so it reads the same everywhere.

Functions take the graph's result types and return text; deciding *what* to say stays in
actions/product_questions.py. Answers are short: they are shown in a chat bubble and read aloud on
the phone line, so lists are numbered and stop at five.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from actions.clients.pricing import Coupon, Quote
from actions.order_texts import money
from knowledge_graph.model import Attribute, Variant
from knowledge_graph.store import ProductDetails, ProductSummary

MAX_LISTED = 5
LOW_STOCK = 5
DESCRIPTION_CHARS = 220


# --------------------------------------------------------------------------- building blocks


def price(amount: float, currency: str) -> str:
    return money(Decimal(str(amount)), currency)


def price_range(summary: ProductSummary) -> str:
    if summary.min_price is None:
        return "price not listed"
    low = price(summary.min_price, summary.currency)
    if summary.max_price is None or summary.max_price == summary.min_price:
        return low
    return f"{low}–{price(summary.max_price, summary.currency)}"


def join_words(words: Sequence[str], last: str = "and") -> str:
    """'S, M and L' — how a person lists things."""
    items = [w for w in words if w]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def product_line(summary: ProductSummary) -> str:
    brand = f" by {summary.brand}" if summary.brand else ""
    sold_out = "" if summary.in_stock else ", sold out"
    return f"{summary.title}{brand} ({price_range(summary)}{sold_out})"


def numbered(products: Sequence[ProductSummary]) -> str:
    return "\n".join(f"{i}. {product_line(p)}" for i, p in enumerate(products[:MAX_LISTED], start=1))


def category_name(details: ProductDetails) -> str:
    if details.categories:
        return details.categories[-1].name
    return details.summary.product_type


def short_description(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """The first sentence or two, cut at a word boundary (a bullet list from the shop's HTML ends it)."""
    text = " ".join(text.split())
    bullets = text.find(" - ")
    if bullets > limit // 4:
        text = text[:bullets].rstrip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = cut.rfind(". ")
    if end > limit // 3:
        return cut[: end + 1]
    return cut[: cut.rfind(" ")].rstrip(",;:") + "…"


def attribute_label(attribute: Attribute) -> str:
    return attribute.name.replace("_", " ")


def attribute_list(attributes: Iterable[Attribute]) -> str:
    return "; ".join(f"{attribute_label(a)}: {a.value}" for a in attributes)


def option_label(size: str | None, colour: str | None) -> str:
    """'ocean blue, size L' / 'size L' / 'ocean blue'."""
    parts = [colour or "", f"size {size}" if size else ""]
    return ", ".join(p for p in parts if p)


def stock_note(stock: int) -> str:
    return f"only {stock} left" if stock <= LOW_STOCK else f"{stock} in stock"


# --------------------------------------------------------------------------- finding the product


def which_one(candidates: Sequence[ProductSummary]) -> str:
    return f"Which one do you mean?\n{numbered(candidates)}\nJust say the number or the name."


def which_product() -> str:
    return (
        "Which product do you mean? Tell me its name, or describe what you're looking for "
        "(for example 'a warm jacket under $100') and I'll search the shop."
    )


def not_found(name: str, near: Sequence[ProductSummary] = ()) -> str:
    text = f"I couldn't find a product called '{name}'."
    if near:
        return f"{text} Did you mean one of these?\n{numbered(near)}"
    return f"{text} Describe what you're looking for (for example 'a warm jacket under $100') and I'll search the shop."


def list_too_short(count: int) -> str:
    return f"I only showed you {count} product{'s' if count != 1 else ''}. Which one do you mean?"


# --------------------------------------------------------------------------- product information


def overview(details: ProductDetails) -> str:
    summary = details.summary
    brand = f" by {summary.brand}" if summary.brand else ""
    category = category_name(details)
    kind = f", {category.lower()}" if category else ""
    text = f"{summary.title}{brand}{kind}, {price_range(summary)}."
    if details.description:
        text += " " + short_description(details.description)
    shown = [a for a in details.attributes if a.name.lower() not in {"type", "product_type"}][:4]
    if shown:
        text += f" Details: {attribute_list(shown)}."
    return text


def attribute_answer(details: ProductDetails, attributes: Sequence[Attribute]) -> str:
    values = [a for a in attributes if a.value]
    flags = [a for a in values if a.value.lower() in {"yes", "true", "no", "false"}]
    if len(flags) == len(values) == 1:
        yes = flags[0].value.lower() in {"yes", "true"}
        label = attribute_label(flags[0])
        return f"Yes, the {details.title} is {label}." if yes else f"No, the {details.title} isn't {label}."
    return f"{details.title}: {attribute_list(values)}."


def description_says(details: ProductDetails, sentence: str) -> str:
    return f"From the description of the {details.title}: {sentence}"


def attribute_unknown(details: ProductDetails, asked: str) -> str:
    text = f"The product information for the {details.title} doesn't say anything about {asked}."
    if details.attributes:
        text += f" What I know: {attribute_list(details.attributes[:4])}."
    return text + " Our team can check for you if you like."


# --------------------------------------------------------------------------- availability


def sizes_and_colours(variants: Sequence[Variant]) -> str:
    """'sizes S, M and L in grey and navy; size M in white': in-stock options, colours with the same sizes together."""
    by_colour: dict[str, list[str]] = {}
    for variant in variants:
        sizes = by_colour.setdefault(variant.colour or "", [])
        if variant.size and variant.size not in sizes:
            sizes.append(variant.size)
    by_sizes: dict[tuple[str, ...], list[str]] = {}
    for colour, sizes in by_colour.items():
        by_sizes.setdefault(tuple(sizes), []).append(colour)
    parts = []
    for sizes, colours in by_sizes.items():
        size_text = f"size{'s' if len(sizes) > 1 else ''} {join_words(list(sizes))}" if sizes else ""
        parts.append(" in ".join(p for p in (size_text, join_words([c for c in colours if c])) if p))
    return "; ".join(p for p in parts if p)


def no_stock_data(details: ProductDetails) -> str:
    return f"I don't have stock information for the {details.title}. Our team can check it for you."


def in_stock_overview(details: ProductDetails, in_stock: Sequence[Variant]) -> str:
    options = sizes_and_colours(in_stock)
    total = sum(v.stock for v in in_stock)
    if options:
        return f"Yes, the {details.title} is in stock: {options}."
    return f"Yes, the {details.title} is in stock ({stock_note(total)})."


def sold_out(details: ProductDetails, successor: ProductSummary | None = None) -> str:
    text = f"Sorry, the {details.title} is sold out at the moment."
    if successor is not None:
        return text + f" It has been replaced by the {product_line(successor)}."
    return text + " Say 'show me alternatives' and I'll find similar products."


def option_not_offered(
    details: ProductDetails, asked: str, offered: tuple[str, Sequence[str]], in_stock: Sequence[Variant]
) -> str:
    """'It comes in sizes S, M and XL' for the option the shopper asked about."""
    kind, values = offered
    text = f"The {details.title} doesn't come in {asked}."
    if values and kind == "size":
        text += f" It comes in size{'s' if len(values) > 1 else ''} {join_words(list(values))}."
    elif values:
        text += f" It comes in {join_words(list(values))}."
    if in_stock:
        text += f" In stock now: {sizes_and_colours(in_stock)}."
    return text


def option_in_stock(details: ProductDetails, asked: str, variants: Sequence[Variant]) -> str:
    """One variant: its stock; several (size L in three colours): which of them are in stock."""
    if len(variants) == 1:
        return f"Yes, the {details.title} in {asked} is in stock ({stock_note(variants[0].stock)})."
    colours = list(dict.fromkeys(v.colour for v in variants if v.colour))
    sizes = list(dict.fromkeys(v.size for v in variants if v.size))
    spread = join_words(colours) if len(colours) > 1 else join_words(sizes) if len(sizes) > 1 else ""
    if spread:
        return f"Yes, the {details.title} in {asked} is in stock: {spread}."
    return f"Yes, the {details.title} in {asked} is in stock ({stock_note(sum(v.stock for v in variants))})."


def option_sold_out(details: ProductDetails, asked: str, in_stock: Sequence[Variant]) -> str:
    text = f"Sorry, the {details.title} in {asked} is sold out."
    if in_stock:
        return text + f" Still in stock: {sizes_and_colours(in_stock)}."
    return text + " It's sold out in every option right now."


# --------------------------------------------------------------------------- prices


def variant_price(variant: Variant, currency: str) -> str:
    now = price(variant.price, currency)
    if variant.compare_at_price and variant.compare_at_price > variant.price:
        saving = price(variant.compare_at_price - variant.price, currency)
        return f"{now} (on sale, down from {price(variant.compare_at_price, currency)}: you save {saving})"
    return now


def product_price(details: ProductDetails) -> str:
    summary = details.summary
    variants = details.variants
    if not variants or summary.min_price is None:
        return f"I don't have a price for the {details.title}. Our team can tell you."
    prices = sorted({v.price for v in variants})
    on_sale = [v for v in variants if v.compare_at_price and v.compare_at_price > v.price]
    if len(prices) == 1:
        return f"The {details.title} costs {variant_price(on_sale[0] if on_sale else variants[0], summary.currency)}."
    groups = []
    for amount in prices[:4]:
        options = [option_label(v.size, v.colour) or v.title for v in variants if v.price == amount]
        groups.append(f"{price(amount, summary.currency)} for {join_words(list(dict.fromkeys(options)))}")
    text = f"The {details.title} costs {price_range(summary)} depending on the option: {'; '.join(groups)}."
    if on_sale:
        cheapest = min(on_sale, key=lambda v: v.price)
        text += f" On sale now: {option_label(cheapest.size, cheapest.colour) or cheapest.title} "
        text += f"for {variant_price(cheapest, summary.currency)}."
    return text


def option_price(details: ProductDetails, asked: str, variants: Sequence[Variant]) -> str:
    currency = details.summary.currency
    prices = sorted({v.price for v in variants})
    if len(prices) == 1:
        return f"The {details.title} in {asked} costs {variant_price(variants[0], currency)}."
    listed = [f"{option_label(v.size, v.colour) or v.title}: {variant_price(v, currency)}" for v in variants[:4]]
    return f"The {details.title} in {asked}: {'; '.join(listed)}."


# --------------------------------------------------------------------------- related products


def compatible_list(target: ProductSummary, products: Sequence[ProductSummary], kind: str | None) -> str:
    what = ("accessories" if kind == "accessory" else f"{kind}s") if kind else "products"
    if not products:
        return f"I don't have any {what} listed as compatible with the {target.title}."
    return f"These {what} fit the {target.title}:\n{numbered(products)}"


def compatible_with_list(subject: ProductDetails, products: Sequence[ProductSummary]) -> str:
    if not products:
        return (
            f"I don't have compatibility information for the {subject.title}. "
            "Check the product page, or our team can confirm it for you."
        )
    return f"The {subject.title} is listed as compatible with:\n{numbered(products)}"


def fits(subject: ProductDetails, target: ProductSummary) -> str:
    return f"Yes, the {subject.title} fits the {target.title}."


def does_not_fit(subject: ProductDetails, target: ProductSummary, alternatives: Sequence[ProductSummary]) -> str:
    text = f"No, the {subject.title} isn't listed as compatible with the {target.title}."
    if alternatives:
        return text + f" These fit the {target.title}:\n{numbered(alternatives)}"
    return text


def similar_list(base: ProductDetails, products: Sequence[ProductSummary], cheaper: bool) -> str:
    what = "cheaper alternatives" if cheaper else "similar products"
    return f"Here are {what} to the {base.title} ({price_range(base.summary)}):\n{numbered(products)}"


def no_similar(base: ProductDetails, cheaper: bool) -> str:
    if cheaper:
        return (
            f"I couldn't find anything like the {base.title} for less than {price_range(base.summary)}. "
            "Tell me your budget and what you need it for, and I'll search the shop."
        )
    return f"I don't have similar products listed for the {base.title}. Describe what you need and I'll search."


def replaced_by(base: ProductDetails, successor: ProductSummary) -> str:
    return f"The {base.title} has been replaced by the {product_line(successor)}."


# --------------------------------------------------------------------------- comparison


def comparison(first: ProductDetails, second: ProductDetails, rows: Sequence[tuple[str, str, str]], diffs: list[str]):
    lines = [f"{first.title} vs {second.title}:"]
    lines += [f"• {label}: {a} | {b}" for label, a, b in rows]
    if diffs:
        lines.append("The difference: " + "; ".join(diffs) + ".")
    else:
        lines.append("On paper they're very alike.")
    return "\n".join(lines)


def cheaper_by(cheaper: ProductDetails, other: ProductDetails, amount: float) -> str:
    return f"the {cheaper.title} is {price(amount, cheaper.summary.currency)} cheaper"


def only_one_has(details: ProductDetails, what: str) -> str:
    return f"only the {details.title} has {what} in stock"


def compare_needs_two(found: ProductDetails | None) -> str:
    if found is None:
        return "Which two products would you like me to compare? Tell me their names or their numbers in the list."
    return f"Which product should I compare the {found.title} with?"


# --------------------------------------------------------------------------- search


def search_results(products: Sequence[ProductSummary], limits: str) -> str:
    where = f" ({limits})" if limits else ""
    return (
        f"Here's what I found{where}:\n{numbered(products)}\n"
        "Ask me about any of them, for example 'tell me about the first one' or 'is the second one in stock?'"
    )


def no_results(query: str, limits: str) -> str:
    where = f" {limits}" if limits else ""
    return (
        f"I couldn't find anything for '{query}'{where}. Try other words, a broader description or a different budget."
    )


def price_limits(min_price: float | None, max_price: float | None, currency: str, in_stock_only: bool) -> str:
    parts = []
    if min_price is not None and max_price is not None:
        parts.append(f"between {price(min_price, currency)} and {price(max_price, currency)}")
    elif max_price is not None:
        parts.append(f"up to {price(max_price, currency)}")
    elif min_price is not None:
        parts.append(f"from {price(min_price, currency)}")
    if in_stock_only:
        parts.append("in stock")
    return ", ".join(parts)


def personal_price(quote: Quote) -> str:
    steps = "; ".join(quote.explanations)
    guardrail = f" ({quote.guardrail})" if quote.guardrail else ""
    why = f": {steps}" if steps else ""
    return f"Your price today is {money(quote.unit_price, quote.currency)}{why}{guardrail}."


COUPON_PROBLEMS = {
    "unknown": "I couldn't find the code {code}. Please check the spelling (codes look like WELCOME10).",
    "expired": "Sorry, the code {code} has expired.",
    "not_yet": "The code {code} isn't active yet.",
    "used_up": "Sorry, the code {code} has been used up.",
    "personal": "The code {code} belongs to another account, so I can't apply it here.",
}


def ask_coupon_code() -> str:
    return "Sure! What's the code? Type it like 'WELCOME10'."


def coupon_check_down(code: str) -> str:
    return f"I can't check the code {code} right now. It will still be checked at checkout."


def coupon_refused(code: str, problem: str) -> str:
    return COUPON_PROBLEMS[problem].format(code=code)


def coupon_accepted(coupon: Coupon) -> str:
    off = f"{coupon.value.normalize():f}% off" if coupon.kind == "percent" else f"{money(coupon.value, 'USD')} off"
    limits = []
    if coupon.max_uses_per_customer == 1:
        limits.append("once per customer")
    if coupon.min_order_value:
        limits.append(f"on orders from {money(coupon.min_order_value, 'USD')}")
    terms = f" ({', '.join(limits)})" if limits else ""
    return (
        f"{coupon.code} gives {off}{terms}, valid until {coupon.valid_to:%d %B %Y}. "
        "I'll use it in the prices I give you; it is applied at checkout."
    )


def price_with_coupon(details: ProductDetails, quote: Quote) -> str:
    steps = "; ".join(quote.explanations)
    return f"With it, the {details.title} comes to {money(quote.unit_price, quote.currency)}" + (
        f" ({steps})." if steps else "."
    )


def goes_with(subject: ProductDetails, products: Sequence[ProductSummary]) -> str:
    return f"These go well with the {subject.title}:\n{numbered(products)}"


def recommended(products: Sequence[ProductSummary], reasons: dict[str, str]) -> str:
    lines = []
    for i, product in enumerate(products[:MAX_LISTED], start=1):
        reason = reasons.get(product.id)
        lines.append(f"{i}. {product_line(product)}" + (f" — {reason}" if reason else ""))
    return "Here are some picks for you:\n" + "\n".join(lines) + "\nAsk me about any of them, e.g. 'the first one'."


def what_to_recommend() -> str:
    return (
        "Happy to help you choose! What are you shopping for? Tell me what it's for, who it's for and a "
        "budget, for example 'a warm jacket for hiking under $150'."
    )
