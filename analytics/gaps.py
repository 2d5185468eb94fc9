"""The knowledge-base gaps: for each unanswered topic, the closest thing the assistant can already
say and where an operator would add the missing answer.

What the assistant knows: the policy answers of the message catalogue (`policies.answers.<intent>`
and `policies.product_answers.<topic>` in bot/texts/<language>.yml), the catalogue's policies
(policies.yml of the shop's catalogue files) and its products. The topic's messages and every entry
are embedded the same way as the topics (analytics/topics.py) and compared by cosine. Where the
place is suggested (`suggest`):

- an existing policy answer is close: the answer exists but the NLU missed the question, so add the
  messages as examples of that intent (bot/data/nlu) or the words to the policy's `topics`;
- a product is close: a product question the catalogue could answer, so the product data or the
  product keywords (bot/data/nlu/entities/keywords.yml) miss the words;
- nothing is close: a new policy entry in policies.yml (and an intent if it needs a flow)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from analytics.topics import EMBEDDERS, Embedding, Topic
from contracts.catalogue import Catalogue

REPO = Path(__file__).resolve().parent.parent
TEXTS = REPO / "bot" / "texts" / "en.yml"
CLOSE = {"tfidf": 0.3, "minilm": 0.5}  # cosine from which an entry counts as answering the topic


@dataclass(frozen=True)
class Entry:
    """Something the assistant can already say: where it lives, its name there, and its text."""

    kind: str  # policy_answer | product_answer | catalogue_policy | product
    key: str
    text: str


@dataclass(frozen=True)
class Gap:
    topic: Topic
    closest: Entry | None
    similarity: float
    suggestion: str


def entries(catalogue: Catalogue, texts_file: Path = TEXTS) -> list[Entry]:
    """The policy answers of the message catalogue, the catalogue's policies and its products."""
    sections = yaml.safe_load(texts_file.read_text(encoding="utf-8")) or {}
    policies = sections.get("policies") or {}
    found = [Entry("policy_answer", key, str(text)) for key, text in (policies.get("answers") or {}).items()]
    found += [Entry("product_answer", key, str(text)) for key, text in (policies.get("product_answers") or {}).items()]
    found += [
        Entry("catalogue_policy", policy.id, f"{policy.title}. {' '.join(policy.topics)}. {policy.answer}")
        for policy in catalogue.policies
    ]
    found += [
        Entry("product", product.id, f"{product.title}. {product.product_type}") for product in catalogue.products
    ]
    return found


def find_gaps(topics: Sequence[Topic], known: Sequence[Entry], embedding: Embedding = "tfidf") -> list[Gap]:
    """One gap per topic, in the topics' order."""
    if not topics:
        return []
    queries = [" ".join(topic.examples) for topic in topics]
    vectors = EMBEDDERS[embedding]([*queries, *(entry.text for entry in known)])
    if not known:
        return [Gap(topic, None, 0.0, suggest(None, 0.0, embedding)) for topic in topics]
    similarity = vectors[: len(queries)] @ vectors[len(queries) :].T
    gaps = []
    for row, topic in enumerate(topics):
        best = int(np.argmax(similarity[row]))
        score = float(similarity[row, best])
        gaps.append(Gap(topic, known[best], round(score, 3), suggest(known[best], score, embedding)))
    return gaps


def suggest(closest: Entry | None, similarity: float, embedding: Embedding) -> str:
    if closest is None or similarity < CLOSE[embedding]:
        return (
            "Nothing close: add a policy entry (id, title, topics, answer) to the catalogue's policies.yml, "
            "and an intent with examples in bot/data/nlu if it needs its own flow."
        )
    if closest.kind == "policy_answer":
        return (
            f"The answer exists (bot/texts/en.yml policies.answers.{closest.key}) but the question was not "
            f"recognised: add these messages as examples of the intent {closest.key} in bot/data/nlu."
        )
    if closest.kind == "product_answer":
        return (
            f"The answer exists (bot/texts/en.yml policies.product_answers.{closest.key}): add the topic's words "
            "to bot/data/nlu/entities/keywords.yml so product questions find it."
        )
    if closest.kind == "catalogue_policy":
        return (
            f"The catalogue's policy '{closest.key}' is close: add the topic's words to its `topics` in policies.yml."
        )
    return (
        f"A product question ({closest.key} is the closest product): check that product's data in the catalogue "
        "and the product keywords in bot/data/nlu/entities/keywords.yml."
    )
