"""The trained model and the request-time recommender that combines algorithms and context.

Training builds the matrices (item×item neighbours, user×item profiles, content vectors,
popularity). Serving folds the shopper's latest interactions into a profile vector on each
request, so new events count immediately; only neighbours and popularity wait for a retrain.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from backends.recommendations import algorithms as algo
from backends.recommendations.context import boost_factor
from backends.recommendations.items import ItemCatalogue, ItemInfo

RECENT = timedelta(days=7)
CONTEXT_SEED_WEIGHT = 5.0  # a product on screen or in the cart counts like a purchase for similarity


@dataclass(frozen=True)
class Event:
    customer_id: str
    product_id: str
    kind: str
    occurred_at: datetime
    rating: float | None = None


@dataclass
class Model:
    items: list[ItemInfo]
    item_index: dict[str, int]
    users: list[str]
    user_index: dict[str, int]
    matrix: sp.csr_matrix  # users × items, log-damped implicit weights
    user_norms: np.ndarray  # L2 norm of each user row, for user-CF cosine
    similarity: sp.csr_matrix  # items × items, top-N cosine neighbours
    content: sp.csr_matrix  # items × terms, TF-IDF
    popularity: np.ndarray  # distinct shoppers per item, all time
    recent_popularity: np.ndarray  # distinct shoppers per item in the last 7 days before training
    categories: np.ndarray  # category code per item
    category_codes: dict[str, int]
    keywords: list[frozenset[str]]
    sku_index: dict[str, int] = field(default_factory=dict)
    accessories: dict[int, list[int]] = field(default_factory=dict)
    alternatives: dict[int, list[int]] = field(default_factory=dict)
    trained_at: datetime | None = None
    catalogue_fingerprint: str | None = None  # ItemCatalogue.fingerprint() of the items it was trained on

    def item_of(self, product_or_sku: str) -> int | None:
        index = self.item_index.get(product_or_sku)
        return index if index is not None else self.sku_index.get(product_or_sku)

    def save(self, path: Path) -> None:
        """Written to a uniquely named temporary file and renamed: a running service that reloads the
        file sees the old model or the new one, never half of one, even with two writers."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as out:
            pickle.dump(self, out, protocol=pickle.HIGHEST_PROTOCOL)
        Path(out.name).replace(path)

    # What a half-copied, corrupt or foreign file raises when unpickled.
    LOAD_ERRORS = (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, IndexError, ValueError)

    @staticmethod
    def load(path: Path) -> Model:
        """Only ever loads the file this service's own `train` command wrote."""
        return pickle.loads(path.read_bytes())


def train(catalogue: ItemCatalogue, events: Iterable[Event], now: datetime, neighbours: int = 50) -> Model:
    """Builds every matrix from the catalogue and the full interaction log."""
    items = list(catalogue.items)
    item_index = {item.id: i for i, item in enumerate(items)}
    user_index: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    weights: list[float] = []
    recent: list[bool] = []
    for event in events:
        if event.product_id not in item_index:  # an item the catalogue no longer has (or not yet)
            item_index[event.product_id] = len(items)
            items.append(ItemInfo(id=event.product_id))
        weight = algo.event_weight(event.kind, event.rating)
        if weight <= 0:
            continue
        rows.append(user_index.setdefault(event.customer_id, len(user_index)))
        cols.append(item_index[event.product_id])
        weights.append(weight)
        recent.append(event.occurred_at >= now - RECENT)
    arrays = (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), np.asarray(weights, dtype=np.float32))
    links = ItemCatalogue(items, catalogue.accessories, catalogue.alternatives)
    return train_arrays(links, list(user_index), *arrays, np.asarray(recent, dtype=bool), now, neighbours)


def train_arrays(
    catalogue: ItemCatalogue,
    users: list[str],
    rows: np.ndarray,
    cols: np.ndarray,
    weights: np.ndarray,
    recent: np.ndarray,
    now: datetime,
    neighbours: int = 50,
) -> Model:
    """The same training from index arrays (row = user, col = catalogue position): no per-event objects."""
    items = catalogue.items
    item_index = {item.id: i for i, item in enumerate(items)}
    shape = (len(users), len(items))
    matrix = algo.interaction_matrix(rows, cols, weights, shape)
    recent_matrix = algo.interaction_matrix(rows[recent], cols[recent], np.ones(int(recent.sum())), shape)
    categories = sorted({item.category_id or "" for item in items})
    category_code = {c: i for i, c in enumerate(categories)}

    def indexed(links: Mapping[str, list[str]]) -> dict[int, list[int]]:
        return {
            item_index[k]: [item_index[v] for v in values if v in item_index]
            for k, values in links.items()
            if k in item_index
        }

    return Model(
        items=items,
        item_index=item_index,
        users=users,
        user_index={user: i for i, user in enumerate(users)},
        matrix=matrix,
        user_norms=algo.row_norms(matrix),
        similarity=algo.item_similarity(matrix, neighbours),
        content=algo.content_vectors([item.text for item in items]),
        popularity=algo.popularity(matrix),
        recent_popularity=algo.popularity(recent_matrix),
        categories=np.array([category_code[item.category_id or ""] for item in items], dtype=np.int32),
        category_codes=category_code,
        keywords=[item.keywords for item in items],
        sku_index={sku: item_index[item.id] for item in items for sku in item.skus},
        accessories=indexed(catalogue.accessories),
        alternatives=indexed(catalogue.alternatives),
        trained_at=now,
    )


@dataclass(frozen=True)
class Request:
    history: Sequence[Event] = ()  # the shopper's own interactions, newest last (fresh from the log)
    product_id: str | None = None  # the product on screen
    cart: Sequence[str] = ()  # product ids or SKUs in the cart now
    k: int = 10
    exclude: frozenset[str] = frozenset()  # e.g. frequency-capped items
    customer_id: str | None = None


@dataclass(frozen=True)
class Recommendation:
    product_id: str
    score: float
    reason: str
    source: str


def profile_vector(model: Model, history: Sequence[Event]) -> np.ndarray:
    """The incremental step: the shopper's events as an item vector, same weighting as training."""
    profile = np.zeros(len(model.items), dtype=np.float32)
    for event in history:
        index = model.item_index.get(event.product_id)
        if index is not None:
            profile[index] += algo.event_weight(event.kind, event.rating)
    return np.log1p(profile)


def abandoned_items(model: Model, history: Sequence[Event], cart: set[int]) -> list[int]:
    """Added to cart, never bought, not in the cart now: the shopper wanted something like it."""
    added, bought = set(), set()
    for event in history:
        index = model.item_index.get(event.product_id)
        if index is None:
            continue
        if event.kind == "add_to_cart":
            added.add(index)
        elif event.kind == "purchase":
            bought.add(index)
    return sorted(added - bought - cart)


def link_scores(size: int, sources: Iterable[int], links: Mapping[int, list[int]]) -> tuple[np.ndarray, dict[int, int]]:
    scores = np.zeros(size, dtype=np.float32)
    origin: dict[int, int] = {}
    for source in sources:
        for target in links.get(source, []):
            scores[target] = 1.0
            origin.setdefault(target, source)
    return scores, origin


def recommend(model: Model, request: Request, weights: Mapping[str, float], now: datetime) -> list[Recommendation]:
    """Hybrid of item-CF, user-CF, content and popularity, plus cart context and the time boost."""
    size = len(model.items)
    history_profile = profile_vector(model, request.history)
    cart = {i for i in (model.item_of(c) for c in request.cart) if i is not None}
    viewed = model.item_of(request.product_id) if request.product_id else None
    seeds = history_profile.copy()
    for index in [*cart, *([viewed] if viewed is not None else [])]:
        seeds[index] = max(seeds[index], np.log1p(CONTEXT_SEED_WEIGHT))
    user = model.user_index.get(request.customer_id or "")
    components = {
        "item_cf": algo.item_cf_scores(seeds, model.similarity),
        "user_cf": algo.user_cf_scores(history_profile, model.matrix, exclude_user=user, norms=model.user_norms),
        "content": algo.content_scores(seeds, model.content),
        "popularity": popularity_in_context(model, cart | ({viewed} if viewed is not None else set())),
    }
    on_screen = cart | ({viewed} if viewed is not None else set())
    components["accessory"], accessory_of = link_scores(size, on_screen, model.accessories)
    abandoned = abandoned_items(model, request.history, cart)
    alternative, alternative_of = link_scores(size, abandoned, model.alternatives)
    if abandoned:
        np.maximum(alternative, algo.item_content_neighbours(model.content, abandoned), out=alternative)
    components["alternative"] = alternative
    if not components["item_cf"].any() and "item_cf" in weights:
        # New item or new shopper: no co-interaction signal yet, so content neighbours take its share.
        weights = {**weights, "content": weights.get("content", 0.0) + weights["item_cf"], "item_cf": 0.0}
    scores = algo.blend(components, weights)
    if not scores.any():  # cold start with a variant that has no popularity weight
        scores = algo.normalise(components["popularity"]) + 1e-6
    exclude = np.zeros(size, dtype=bool)
    exclude[list(cart)] = True
    if viewed is not None:
        exclude[viewed] = True
    exclude[history_profile > 0] = True  # already seen, carted or bought: show something new
    for product in request.exclude:
        if product in model.item_index:
            exclude[model.item_index[product]] = True
    candidates = algo.top_k(scores, request.k * 3, exclude)
    boosted = sorted(
        ((float(scores[i]) * boost_factor(model.keywords[i], now), i) for i in candidates), key=lambda pair: -pair[0]
    )[: request.k]
    categories = {model.items[i].category_id for i in on_screen}
    because = algo.strongest_seeds(seeds, model.similarity, [index for _, index in boosted])
    context = Context(because, accessory_of, alternative_of, categories, tuple(abandoned))
    maxima = {name: float(values.max()) if values.size else 0.0 for name, values in components.items()}
    return [explain(model, components, maxima, weights, context, index, score) for score, index in boosted]


def popularity_in_context(model: Model, context_items: set[int]) -> np.ndarray:
    """Recent popularity (all-time as tie-break); items in the context's categories count fully, others 30 %."""
    scores = model.recent_popularity + 0.01 * model.popularity
    codes = {int(model.categories[i]) for i in context_items} - {model.category_codes.get("", -1)}
    if codes:
        in_category = np.isin(model.categories, list(codes))
        scores = np.where(in_category, scores, 0.3 * scores)
    return scores.astype(np.float32)


@dataclass(frozen=True)
class Context:
    because: dict[int, int]  # item -> the seed that made item-CF pick it
    accessory_of: dict[int, int]
    alternative_of: dict[int, int]
    categories: set[str | None]
    abandoned: tuple[int, ...]


def explain(
    model: Model,
    components: Mapping[str, np.ndarray],
    maxima: Mapping[str, float],
    weights: Mapping[str, float],
    context: Context,
    index: int,
    score: float,
) -> Recommendation:
    """The reason is the component that contributed most to this item's blended score."""
    contributions = {
        name: weight * float(components[name][index]) / maxima[name]
        for name, weight in weights.items()
        if name in components and maxima[name] > 0
    }
    source = max(contributions, key=lambda name: contributions[name]) if any(contributions.values()) else "popularity"
    item = model.items[index]
    title = lambda i: model.items[i].title or model.items[i].id  # noqa: E731 - tiny local helper
    reason = "popular this week"
    if source == "item_cf":
        seed = context.because.get(index)
        reason = f"people who bought {title(seed)} also bought" if seed is not None else "often bought together"
    elif source == "user_cf":
        reason = "shoppers with similar taste liked this"
    elif source == "content":
        reason = "similar to what you viewed"
    elif source == "accessory" and index in context.accessory_of:
        reason = f"goes with {title(context.accessory_of[index])}"
    elif source == "alternative" and context.abandoned:
        origin = context.alternative_of.get(index)
        if origin is None:  # the abandoned item whose text is closest
            closeness = model.content[list(context.abandoned)] @ model.content[index].toarray().ravel()
            origin = context.abandoned[int(np.argmax(closeness))]
        reason = f"an alternative to {title(origin)} you left in your cart"
    elif item.category_name and item.category_id in context.categories:
        reason = f"popular in {item.category_name} this week"
    return Recommendation(item.id, round(score, 6), reason, source)
