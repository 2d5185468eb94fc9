"""A shop's catalogue from its Shopify CSV plus two small YAML files, and the demo shop's catalogue.

Shopify's CSV has no place for links between products or for FAQ entries, so a shop keeps those
beside it:

relations.yml -- product links by handle, grouped by relation:
    COMPATIBLE_WITH:
      phone-case: phone                     one target
      usb-charger: [phone-a, phone-b]       several
    SIMILAR_TO:
      down-jacket: {fleece-jacket: 0.7}     targets with a score (default 1.0)

policies.yml -- FAQ/policy entries:
    policies:
      - id: warranty
        title: Warranty
        topics: [warranty, repair]
        answer: Two years on everything.

Both loaders are generic (any shop's files) and report problems with the file's line numbers:
an unknown relation, a bad score, a link to a handle the CSV does not have, a policy without an
answer. The demo shop's files live in catalogue_files/demo/.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from catalogue_files.result import CatalogueBuilder, ImportResult, TextSource, open_text
from catalogue_files.shopify_csv import iter_shopify_products
from contracts.catalogue import PRODUCT_RELATIONS, Policy, ProductLink

DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_CATALOGUE_CSV = DEMO_DIR / "catalogue.csv"
DEMO_RELATIONS_YML = DEMO_DIR / "relations.yml"
DEMO_POLICIES_YML = DEMO_DIR / "policies.yml"
_NULL_TAG = "tag:yaml.org,2002:null"


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _scalar(node: yaml.Node | None) -> str | None:
    """A scalar's text; None for a missing/null value or a list/mapping where text was expected."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL_TAG:
        return None
    return str(node.value).strip()


def _compose(source: TextSource, builder: CatalogueBuilder) -> yaml.Node | None:
    """The file's node tree (nodes keep their line numbers); a YAML error is reported and reads as empty."""
    with open_text(source) as (text, name):
        builder.source = name
        try:
            return yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
            builder.issue(mark.line + 1 if mark else 1, f"not valid YAML, file skipped: {error}")
            return None


def _targets(node: yaml.Node, builder: CatalogueBuilder) -> list[tuple[str, float, int]]:
    """(target, score, line) from "t", "[t1, t2]" or "{t1: 0.8}"."""
    if isinstance(node, yaml.ScalarNode):
        target = _scalar(node)
        return [(target, 1.0, _line(node))] if target else []
    if isinstance(node, yaml.SequenceNode):
        found: list[tuple[str, float, int]] = []
        for item in node.value:
            target = _scalar(item)
            if target:
                found.append((target, 1.0, _line(item)))
            else:
                builder.issue(_line(item), "a link target must be a product handle")
        return found
    found = []
    for target_node, score_node in node.value:
        target, score_text = _scalar(target_node), _scalar(score_node)
        try:
            score = 1.0 if score_text is None else float(score_text)
        except ValueError:
            builder.issue(_line(score_node), f"score {score_text!r} for {target!r} is not a number; link skipped")
            continue
        if target:
            found.append((target, score, _line(target_node)))
    return found


def load_relations_yml(source: TextSource, builder: CatalogueBuilder) -> None:
    """Add the links of a relations.yml to `builder`; they are checked against the products on `finish()`."""
    root = _compose(source, builder)
    if root is None:
        return
    if not isinstance(root, yaml.MappingNode):
        builder.issue(_line(root), "expected relation names (COMPATIBLE_WITH, ...) at the top level")
        return
    for kind_node, by_source in root.value:
        kind = (_scalar(kind_node) or "").upper()
        if kind not in PRODUCT_RELATIONS:
            builder.issue(
                _line(kind_node), f"unknown relation {kind_node.value!r}; expected one of {PRODUCT_RELATIONS}"
            )
            continue
        if not isinstance(by_source, yaml.MappingNode):
            if _scalar(by_source) is not None or not isinstance(by_source, yaml.ScalarNode):
                builder.issue(_line(by_source), f"{kind} must map product handles to their targets")
            continue
        for source_node, targets_node in by_source.value:
            source_id = _scalar(source_node)
            if not source_id:
                builder.issue(_line(source_node), f"{kind}: a link source must be a product handle")
                continue
            for target_id, score, line in _targets(targets_node, builder):
                builder.add_link(ProductLink(kind=kind, source_id=source_id, target_id=target_id, score=score), line)


def _mapping(node: yaml.MappingNode) -> dict[str, yaml.Node]:
    return {str(key.value): value for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def _topics(node: yaml.Node | None) -> tuple[str, ...]:
    if isinstance(node, yaml.SequenceNode):
        return tuple(topic for topic in (_scalar(item) for item in node.value) if topic)
    text = _scalar(node) or ""
    return tuple(topic.strip() for topic in text.split(",") if topic.strip())


def load_policies_yml(source: TextSource, builder: CatalogueBuilder) -> None:
    """Add the entries of a policies.yml (a `policies:` list, or a bare list) to `builder`."""
    root = _compose(source, builder)
    if root is None:
        return
    entries = _mapping(root).get("policies") if isinstance(root, yaml.MappingNode) else root
    if not isinstance(entries, yaml.SequenceNode):
        builder.issue(_line(root), "expected a list of policies under `policies:`")
        return
    for entry in entries.value:
        if not isinstance(entry, yaml.MappingNode):
            builder.issue(_line(entry), "a policy must have id, title, answer and topics")
            continue
        fields = _mapping(entry)
        values = {name: _scalar(fields.get(name)) for name in ("id", "title", "answer")}
        missing = [name for name, value in values.items() if not value]
        if missing:
            builder.issue(_line(entry), f"policy skipped: no {', '.join(missing)}")
            continue
        policy = Policy(
            id=values["id"] or "",
            title=values["title"] or "",
            answer=" ".join((values["answer"] or "").split()),
            topics=_topics(fields.get("topics")),
        )
        builder.add_policy(policy, _line(entry))


def load_shop_catalogue(
    catalogue_csv: TextSource,
    relations: TextSource | None = None,
    policies: TextSource | None = None,
    *,
    currency: str = "USD",
) -> ImportResult:
    """A shop's catalogue: its Shopify product CSV plus, when given, its relations.yml and policies.yml."""
    builder = CatalogueBuilder()
    for _ in iter_shopify_products(catalogue_csv, currency=currency, builder=builder):
        pass
    if relations is not None:
        load_relations_yml(relations, builder)
    if policies is not None:
        load_policies_yml(policies, builder)
    return builder.finish()


def load_demo_catalogue() -> ImportResult:
    """The catalogue the assistant starts with (catalogue_files/demo/)."""
    return load_shop_catalogue(DEMO_CATALOGUE_CSV, DEMO_RELATIONS_YML, DEMO_POLICIES_YML)
