"""No product answer shows an empty list ("In stock now: ."): every message of the catalogue that lists
things refuses to be rendered with nothing in its list (actions/products/texts.py), so a wrong choice
of message fails here and in every action test instead of reaching a shopper."""

from __future__ import annotations

import pytest

from actions.products import texts
from contracts.texts import CATALOGUE_DIR, placeholders, read_catalogue

MESSAGES = {
    key: message
    for key, message in read_catalogue(CATALOGUE_DIR / "en.yml").items()
    if key.startswith(("products.", "coupons.")) or key == "formats.list_and"
}
# Placeholders that hold one value (a name, a price, a number): everything else must be a list.
SINGLE_VALUES = {
    "product", "brand", "price", "low", "high", "number", "size", "colour", "count", "name", "value",
    "category", "attribute", "sentence", "asked", "stock", "successor", "was", "saving", "option", "kind",
    "what", "target", "first", "second", "label", "amount", "limits", "query", "guardrail", "reason",
    "code", "discount", "date", "percent", "day", "month", "year", "last",
}  # fmt: skip
WITH_LISTS = sorted(key for key, message in MESSAGES.items() if placeholders(message) & texts.LIST_PLACEHOLDERS)


def test_every_placeholder_is_known_as_a_list_or_a_single_value():
    """A new placeholder must be classified, so a new list cannot slip past the check."""
    used = {name for message in MESSAGES.values() for name in placeholders(message)}
    assert used - SINGLE_VALUES - texts.LIST_PLACEHOLDERS == set()
    assert WITH_LISTS, "the catalogue has messages with lists"


@pytest.mark.parametrize("key", WITH_LISTS)
def test_a_message_with_a_list_is_never_rendered_empty(key: str):
    names = placeholders(MESSAGES[key])
    values: dict[str, object] = {name: "x" for name in names}
    values["count"] = 1
    assert texts._say(key, **values)  # with something in every list it renders
    for name in names & texts.LIST_PLACEHOLDERS:
        with pytest.raises(texts.EmptyList, match=name):
            texts._say(key, **{**values, name: ""})
