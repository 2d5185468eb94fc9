"""Sentences about products: which message of the catalogue (bot/texts/<language>.yml) fits, filled with product data.

Functions take the catalogue's types (contracts/catalogue.py) and return text; deciding *what* to say stays in
the actions of actions/products/, the words live in the message catalogue (contracts/texts.py), and this module
keeps the choice of message and the formatting of values (lists, prices). Answers are short: they are shown in a
chat bubble and read aloud on the phone line, so lists are numbered and stop at five.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from actions.order_texts import MONTHS, money
from contracts.catalogue import Attribute, ProductDetails, ProductSummary, Variant
from contracts.texts import texts
from service_clients.pricing import Coupon, Quote

MAX_LISTED = 5
LOW_STOCK = 5
DESCRIPTION_CHARS = 220


# Placeholders that hold a list of things ("{products}", "{sizes}"): a reply never shows one empty
# ("In stock now: ."); the caller must choose another message when there is nothing to list.
LIST_PLACEHOLDERS = frozenset(
    {
        "products", "options", "sizes", "colours", "values", "attributes", "prices", "differences", "items",
        "reasons", "terms", "steps",
    }
)  # fmt: skip


class EmptyList(ValueError):
    """A message would have shown an empty list: a bug in the choice of message."""


def _say(key: str, /, **values: object) -> str:
    empty = sorted(name for name in LIST_PLACEHOLDERS & values.keys() if not str(values[name]).strip())
    if empty:
        raise EmptyList(f"{key} with nothing in {', '.join(empty)}")
    return texts().text(key, **values)


def _sentences(*parts: str) -> str:
    return " ".join(part for part in parts if part)


# --------------------------------------------------------------------------- building blocks


def price(amount: float, currency: str) -> str:
    return money(Decimal(str(amount)), currency)


def price_range(summary: ProductSummary) -> str:
    if summary.min_price is None:
        return _say("products.price_not_listed")
    low = price(summary.min_price, summary.currency)
    if summary.max_price is None or summary.max_price == summary.min_price:
        return low
    return _say("products.price_range", low=low, high=price(summary.max_price, summary.currency))


def join_words(words: Sequence[str]) -> str:
    """'S, M and L' — how a person lists things."""
    items = [w for w in words if w]
    if len(items) <= 1:
        return "".join(items)
    return _say("formats.list_and", items=", ".join(items[:-1]), last=items[-1])


def _titled(summary: ProductSummary) -> str:
    """'Trail Jacket by Acme'."""
    return _say("products.by_brand", product=summary.title, brand=summary.brand) if summary.brand else summary.title


def product_line(summary: ProductSummary) -> str:
    key = "products.line" if summary.in_stock else "products.line_sold_out"
    return _say(key, product=_titled(summary), price=price_range(summary))


def _numbered_line(number: int, product: ProductSummary, reason: str | None = None) -> str:
    if reason:
        return _say("products.recommended_line", number=number, product=product_line(product), reason=reason)
    return _say("products.numbered_line", number=number, product=product_line(product))


def numbered(products: Sequence[ProductSummary]) -> str:
    return "\n".join(_numbered_line(i, p) for i, p in enumerate(products[:MAX_LISTED], start=1))


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
    return "; ".join(_say("products.attribute_value", name=attribute_label(a), value=a.value) for a in attributes)


def option_label(size: str | None, colour: str | None) -> str:
    """'ocean blue, size L' / 'size L' / 'ocean blue'."""
    if size and colour:
        return _say("products.colour_and_size", colour=colour, size=size)
    if size:
        return _say("products.size", size=size)
    return colour or ""


def stock_note(stock: int) -> str:
    return _say("products.only_left" if stock <= LOW_STOCK else "products.in_stock_count", count=stock)


# --------------------------------------------------------------------------- finding the product


def which_one(candidates: Sequence[ProductSummary]) -> str:
    return _say("products.which_one", products=numbered(candidates))


def which_product() -> str:
    return _say("products.which_product")


def not_found(name: str, near: Sequence[ProductSummary] = ()) -> str:
    if near:
        return _say("products.not_found_near", name=name, products=numbered(near))
    return _say("products.not_found", name=name)


def list_too_short(count: int) -> str:
    return _say("products.list_too_short", count=count)


# --------------------------------------------------------------------------- product information


def overview(details: ProductDetails) -> str:
    summary = details.summary
    category = category_name(details)
    values = {"product": _titled(summary), "price": price_range(summary)}
    if category:
        heading = _say("products.overview", category=category.lower(), **values)
    else:
        heading = _say("products.overview_no_category", **values)
    shown = [a for a in details.attributes if a.name.lower() not in {"type", "product_type"}][:4]
    text = heading
    if details.description:
        text += " " + short_description(details.description)
    if shown:
        text += " " + _say("products.overview_details", attributes=attribute_list(shown))
    return text


def attribute_answer(details: ProductDetails, attributes: Sequence[Attribute]) -> str:
    values = [a for a in attributes if a.value]
    flags = [a for a in values if a.value.lower() in {"yes", "true", "no", "false"}]
    if len(flags) == len(values) == 1:
        yes = flags[0].value.lower() in {"yes", "true"}
        key = "products.attribute_yes" if yes else "products.attribute_no"
        return _say(key, product=details.title, attribute=attribute_label(flags[0]))
    return _say("products.attribute_values", product=details.title, attributes=attribute_list(values))


def description_says(details: ProductDetails, sentence: str) -> str:
    return _say("products.description_says", product=details.title, sentence=sentence)


def attribute_unknown(details: ProductDetails, asked: str) -> str:
    if details.attributes:
        known = attribute_list(details.attributes[:4])
        return _say("products.attribute_unknown_known", product=details.title, asked=asked, attributes=known)
    return _say("products.attribute_unknown", product=details.title, asked=asked)


# --------------------------------------------------------------------------- availability


def _sizes(sizes: Sequence[str]) -> str:
    """'size M' / 'sizes S, M and L'."""
    return _say("products.sizes", count=len(sizes), sizes=join_words(list(sizes)))


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
    for shared_sizes, colours in by_sizes.items():
        size_text = _sizes(shared_sizes) if shared_sizes else ""
        colour_text = join_words([c for c in colours if c])
        if size_text and colour_text:
            parts.append(_say("products.sizes_in_colours", sizes=size_text, colours=colour_text))
        else:
            parts.append(size_text or colour_text)
    return "; ".join(p for p in parts if p)


def no_stock_data(details: ProductDetails) -> str:
    return _say("products.no_stock_data", product=details.title)


def in_stock_options(variants: Sequence[Variant]) -> str:
    """The options of these variants by size and colour, else by their other option values ('Gold',
    '14 inch'); empty for a product without options (Shopify's single 'Default Title' variant)."""
    named = [" / ".join(v.option_values) for v in variants if v.option_values]
    return sizes_and_colours(variants) or join_words(list(dict.fromkeys(named)))


def in_stock_overview(details: ProductDetails, in_stock: Sequence[Variant]) -> str:
    options = in_stock_options(in_stock)
    total = sum(v.stock for v in in_stock)
    if options:
        return _say("products.in_stock_options", product=details.title, options=options)
    return _say("products.in_stock_note", product=details.title, stock=stock_note(total))


def sold_out(details: ProductDetails, successor: ProductSummary | None = None) -> str:
    if successor is not None:
        return _say("products.sold_out_replaced", product=details.title, successor=product_line(successor))
    return _say("products.sold_out", product=details.title)


def option_not_offered(
    details: ProductDetails, asked: str, offered: tuple[str, Sequence[str]], in_stock: Sequence[Variant]
) -> str:
    """'It comes in sizes S, M and XL' for the option the shopper asked about; a product without any
    choice of that option (Shopify's single 'Default Title' variant) says it comes in one size, and
    whether it is in stock."""
    kind, values = offered
    if not values:
        one = _say("products.one_size" if kind == "size" else "products.one_colour", product=details.title)
        if not in_stock:
            return _sentences(one, _say("products.it_is_sold_out"))
        return _sentences(one, _say("products.it_is_in_stock", stock=stock_note(sum(v.stock for v in in_stock))))
    if kind == "size":
        comes_in = _say("products.comes_in_sizes", count=len(values), sizes=join_words(list(values)))
    else:
        comes_in = _say("products.comes_in", values=join_words(list(values)))
    options = in_stock_options(in_stock)
    return _sentences(
        _say("products.not_offered", product=details.title, asked=asked),
        comes_in,
        _say("products.in_stock_now", options=options) if options else "",
    )


def option_in_stock(details: ProductDetails, asked: str, variants: Sequence[Variant]) -> str:
    """One variant: its stock; several (size L in three colours): which of them are in stock."""
    values = {"product": details.title, "asked": asked}
    if len(variants) == 1:
        return _say("products.option_in_stock_note", stock=stock_note(variants[0].stock), **values)
    colours = list(dict.fromkeys(v.colour for v in variants if v.colour))
    sizes = list(dict.fromkeys(v.size for v in variants if v.size))
    spread = join_words(colours) if len(colours) > 1 else join_words(sizes) if len(sizes) > 1 else ""
    if spread:
        return _say("products.option_in_stock_options", options=spread, **values)
    return _say("products.option_in_stock_note", stock=stock_note(sum(v.stock for v in variants)), **values)


def option_sold_out(details: ProductDetails, asked: str, in_stock: Sequence[Variant]) -> str:
    options = in_stock_options(in_stock)
    if options:
        return _say("products.option_sold_out_others", product=details.title, asked=asked, options=options)
    return _say("products.option_sold_out", product=details.title, asked=asked)


# --------------------------------------------------------------------------- prices


def variant_price(variant: Variant, currency: str) -> str:
    now = price(variant.price, currency)
    if variant.compare_at_price and variant.compare_at_price > variant.price:
        saving = price(variant.compare_at_price - variant.price, currency)
        return _say("products.on_sale", price=now, was=price(variant.compare_at_price, currency), saving=saving)
    return now


def product_price(details: ProductDetails) -> str:
    summary = details.summary
    variants = details.variants
    if not variants or summary.min_price is None:
        return _say("products.no_price", product=details.title)
    prices = sorted({v.price for v in variants})
    on_sale = [v for v in variants if v.compare_at_price and v.compare_at_price > v.price]
    if len(prices) == 1:
        only = variant_price(on_sale[0] if on_sale else variants[0], summary.currency)
        return _say("products.costs", product=details.title, price=only)
    groups = []
    for amount in prices[:4]:
        options = [option_label(v.size, v.colour) or v.title for v in variants if v.price == amount]
        groups.append(
            _say(
                "products.price_for_options",
                price=price(amount, summary.currency),
                options=join_words(list(dict.fromkeys(options))),
            )
        )
    text = _say("products.costs_by_option", product=details.title, price=price_range(summary), prices="; ".join(groups))
    if on_sale:
        cheapest = min(on_sale, key=lambda v: v.price)
        option = option_label(cheapest.size, cheapest.colour) or cheapest.title
        text = _sentences(
            text, _say("products.on_sale_now", option=option, price=variant_price(cheapest, summary.currency))
        )
    return text


def option_price(details: ProductDetails, asked: str, variants: Sequence[Variant]) -> str:
    currency = details.summary.currency
    prices = sorted({v.price for v in variants})
    if len(prices) == 1:
        return _say(
            "products.option_costs", product=details.title, asked=asked, price=variant_price(variants[0], currency)
        )
    listed = [
        _say(
            "products.option_price", option=option_label(v.size, v.colour) or v.title, price=variant_price(v, currency)
        )
        for v in variants[:4]
    ]
    return _say("products.option_prices", product=details.title, asked=asked, prices="; ".join(listed))


# --------------------------------------------------------------------------- related products


def _kind_name(kind: str | None) -> str:
    if not kind:
        return _say("products.kind_any")
    return _say("products.kind_accessories") if kind == "accessory" else _say("products.kind_other", kind=kind)


def compatible_list(target: ProductSummary, products: Sequence[ProductSummary], kind: str | None) -> str:
    what = _kind_name(kind)
    if not products:
        return _say("products.no_compatible", what=what, target=target.title)
    return _say("products.compatible", what=what, target=target.title, products=numbered(products))


def compatible_with_list(subject: ProductDetails, products: Sequence[ProductSummary]) -> str:
    if not products:
        return _say("products.no_compatibility_info", product=subject.title)
    return _say("products.compatible_with", product=subject.title, products=numbered(products))


def fits(subject: ProductDetails, target: ProductSummary) -> str:
    return _say("products.fits", product=subject.title, target=target.title)


def does_not_fit(subject: ProductDetails, target: ProductSummary, alternatives: Sequence[ProductSummary]) -> str:
    if alternatives:
        return _say(
            "products.does_not_fit_others", product=subject.title, target=target.title, products=numbered(alternatives)
        )
    return _say("products.does_not_fit", product=subject.title, target=target.title)


def similar_list(base: ProductDetails, products: Sequence[ProductSummary], cheaper: bool) -> str:
    key = "products.cheaper" if cheaper else "products.similar"
    return _say(key, product=base.title, price=price_range(base.summary), products=numbered(products))


def no_similar(base: ProductDetails, cheaper: bool) -> str:
    if cheaper:
        return _say("products.no_cheaper", product=base.title, price=price_range(base.summary))
    return _say("products.no_similar", product=base.title)


def replaced_by(base: ProductDetails, successor: ProductSummary) -> str:
    return _say("products.replaced_by", product=base.title, successor=product_line(successor))


# --------------------------------------------------------------------------- comparison


def comparison(first: ProductDetails, second: ProductDetails, rows: Sequence[tuple[str, str, str]], diffs: list[str]):
    lines = [_say("products.comparison_heading", first=first.title, second=second.title)]
    lines += [_say("products.comparison_row", label=label, first=a, second=b) for label, a, b in rows]
    if diffs:
        lines.append(_say("products.comparison_difference", differences="; ".join(diffs)))
    else:
        lines.append(_say("products.comparison_alike"))
    return "\n".join(lines)


def comparison_label(name: str) -> str:
    """A row of the comparison table ("price", "brand", "in_stock") or a cell word ("sold_out", "yes")."""
    return _say(f"products.comparison.{name}")


def differs(label: str, first: str, second: str) -> str:
    """'material cotton vs wool'."""
    return _say("products.differs", label=label, first=first, second=second)


def brands_differ(first: str, second: str) -> str:
    return _say("products.brands_differ", first=first, second=second)


def cheaper_by(cheaper: ProductDetails, other: ProductDetails, amount: float) -> str:
    return _say("products.cheaper_by", product=cheaper.title, amount=price(amount, cheaper.summary.currency))


def only_one_has(details: ProductDetails, what: str) -> str:
    return _say("products.only_one_has", product=details.title, what=what)


def compare_needs_two(found: ProductDetails | None) -> str:
    if found is None:
        return _say("products.compare_which_two")
    return _say("products.compare_with_what", product=found.title)


# --------------------------------------------------------------------------- search


def search_results(products: Sequence[ProductSummary], limits: str) -> str:
    if limits:
        return _say("products.search_results_limited", limits=limits, products=numbered(products))
    return _say("products.search_results", products=numbered(products))


def no_results(query: str, limits: str) -> str:
    if limits:
        return _say("products.no_results_limited", query=query, limits=limits)
    return _say("products.no_results", query=query)


def price_limits(min_price: float | None, max_price: float | None, currency: str, in_stock_only: bool) -> str:
    parts = []
    if min_price is not None and max_price is not None:
        parts.append(_say("products.between", low=price(min_price, currency), high=price(max_price, currency)))
    elif max_price is not None:
        parts.append(_say("products.up_to", price=price(max_price, currency)))
    elif min_price is not None:
        parts.append(_say("products.from", price=price(min_price, currency)))
    if in_stock_only:
        parts.append(_say("products.in_stock"))
    return ", ".join(parts)


def personal_price(quote: Quote) -> str:
    values = {"price": money(quote.unit_price, quote.currency), "reasons": "; ".join(quote.explanations)}
    key = "products.personal_price" + ("_why" if quote.explanations else "") + ("_guardrail" if quote.guardrail else "")
    return _say(key, guardrail=quote.guardrail, **values)


# --------------------------------------------------------------------------- discount codes


def ask_coupon_code() -> str:
    return _say("coupons.ask_code")


def coupon_check_down(code: str) -> str:
    return _say("coupons.check_down", code=code)


def coupon_refused(code: str, problem: str) -> str:
    return _say(f"coupons.problem.{problem}", code=code)


def coupon_accepted(coupon: Coupon) -> str:
    if coupon.kind == "percent":
        discount = _say("coupons.percent_off", percent=f"{coupon.value.normalize():f}")
    else:
        discount = _say("coupons.amount_off", amount=money(coupon.value, "USD"))
    limits = []
    if coupon.max_uses_per_customer == 1:
        limits.append(_say("coupons.once_per_customer"))
    if coupon.min_order_value:
        limits.append(_say("coupons.min_order", amount=money(coupon.min_order_value, "USD")))
    until = coupon.valid_to
    month = _say(f"formats.month.{MONTHS[until.month - 1]}")
    values = {
        "code": coupon.code,
        "discount": discount,
        "date": _say("coupons.valid_until", day=f"{until.day:02d}", month=month, year=until.year),
    }
    if limits:
        return _say("coupons.accepted_terms", terms=", ".join(limits), **values)
    return _say("coupons.accepted", **values)


def price_with_coupon(details: ProductDetails, quote: Quote) -> str:
    values = {"product": details.title, "price": money(quote.unit_price, quote.currency)}
    if quote.explanations:
        return _say("coupons.price_with_coupon_steps", steps="; ".join(quote.explanations), **values)
    return _say("coupons.price_with_coupon", **values)


# --------------------------------------------------------------------------- recommendations


def goes_with(subject: ProductDetails, products: Sequence[ProductSummary]) -> str:
    return _say("products.goes_with", product=subject.title, products=numbered(products))


def recommended(products: Sequence[ProductSummary], reasons: dict[str, str]) -> str:
    lines = [_numbered_line(i, p, reasons.get(p.id)) for i, p in enumerate(products[:MAX_LISTED], start=1)]
    return _say("products.recommended", products="\n".join(lines))


def what_to_recommend() -> str:
    return _say("products.what_to_recommend")
