"""Unanswered messages into topics, and each topic's closest existing answer (analytics/topics.py, gaps.py)."""

from __future__ import annotations

import pytest

from analytics.gaps import Entry, entries, find_gaps
from analytics.topics import Embedding, group
from catalogue_files.demo import load_demo_catalogue

GIFT_CARDS = ["do you sell gift cards", "can I buy a gift card", "gift card for my sister", "gift cards available?"]
STUDENTS = ["is there a student discount", "student discount please", "discount for students?"]
PICK_UP = ["can I collect my order in the store", "collect in store", "pick up the order in a store"]


@pytest.mark.parametrize("embedding", ["tfidf", "minilm"])
def test_group_finds_the_themes_with_their_counts(embedding: Embedding) -> None:
    texts = GIFT_CARDS + STUDENTS + PICK_UP
    counts = [3, 1, 1, 1, 2, 2, 2, 1, 1, 1]  # gift cards 6, students 6, pick-up 3
    topics = group(texts, counts, embedding)
    assert sorted(sorted(topic.messages) for topic in topics) == sorted(
        sorted(theme) for theme in (GIFT_CARDS, STUDENTS, PICK_UP)
    )
    assert [topic.count for topic in topics] == [6, 6, 3]  # most asked first
    gift = next(topic for topic in topics if "do you sell gift cards" in topic.messages)
    assert "gift" in gift.label and len(gift.examples) == 3


def test_group_of_nothing_and_of_one() -> None:
    assert group([]) == []
    (only,) = group(["where is the gift shop"], [4])
    assert (only.count, only.examples) == (4, ["where is the gift shop"])


def test_gaps_name_the_existing_answer_or_say_nothing_is_close() -> None:
    known = entries(load_demo_catalogue().catalogue)
    kinds = {entry.kind for entry in known}
    assert kinds == {"policy_answer", "product_answer", "catalogue_policy", "product"}
    topics = group(
        [
            "what is your refund policy for returns",
            "how do I return an item for a refund",
            "do you offer gift wrapping for presents",
            "can you wrap my gift",
            "do you have a loyalty programme with points",
            "loyalty points card",
        ]
    )
    gaps = {gap.topic.messages[0].split()[-1]: gap for gap in find_gaps(topics, known)}
    refund = next(gap for gap in gaps.values() if "refund" in " ".join(gap.topic.messages))
    assert refund.closest == next(e for e in known if e.key == "check_refund_policy")
    assert "bot/data/nlu" in refund.suggestion
    wrapping = next(gap for gap in gaps.values() if "wrap" in " ".join(gap.topic.messages))
    assert wrapping.closest is not None and wrapping.closest.key == "gift-wrapping"
    assert "policies.yml" in wrapping.suggestion
    loyalty = next(gap for gap in gaps.values() if "loyalty" in " ".join(gap.topic.messages))
    assert loyalty.suggestion.startswith("Nothing close")


def test_gaps_without_any_knowledge() -> None:
    (gap,) = find_gaps(group(["anything at all"]), [])
    assert gap.closest is None and gap.suggestion.startswith("Nothing close")
    assert find_gaps([], [Entry("product", "p", "a product")]) == []
