"""Price elasticity of demand from transaction data (the UCI Online Retail layout).

    python -m backends.pricing.elasticity --data ../shared/data/online_retail/online_retail_all.csv.gz

Per product (StockCode): weekly quantity sold and the median unit price of that week's lines,
then an ordinary least-squares fit of log(quantity) on log(price); the slope is the elasticity
(-1.5: a 1% higher price sells 1.5% fewer units). Only products whose weekly price actually varied
are fitted: with a flat price the slope is noise. Cleaning: cancellations (InvoiceNo starting with C),
guest sales (no CustomerID), non-positive quantities or prices, and non-product codes (postage,
fees, manual adjustments: codes that do not start with five digits) are dropped.

Caveat, said in the report too: this is a naive observational estimate. In this shop larger
(wholesale) orders get lower unit prices, so part of the slope is quantity discounting, not the
shopper's response to price. Good enough to rank products and sanity-check rules, not to set prices.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from sklearn.linear_model import LinearRegression

PRODUCT_CODE = re.compile(r"^\d{5}")
MIN_WEEKS = 8  # weeks with sales, per product
MIN_PRICE_LEVELS = 3  # distinct weekly mean prices (to the cent)
MIN_LOG_PRICE_STD = 0.05  # about 5% spread in price


@dataclass(frozen=True)
class Line:
    """One cleaned invoice line."""

    code: str
    description: str
    week: tuple[int, int]  # ISO year, ISO week
    quantity: int
    price: float
    customer: str = ""


@dataclass(frozen=True)
class Fit:
    code: str
    description: str
    elasticity: float
    r2: float
    weeks: int


@dataclass(frozen=True)
class Report:
    lines_read: int
    lines_kept: int
    products: int  # products with sales in at least MIN_WEEKS weeks
    fits: list[Fit]  # products with enough price variation

    def elasticities(self) -> np.ndarray:
        return np.array([f.elasticity for f in self.fits])


def open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path), encoding="utf-8", errors="replace", newline="")
    return path.open(encoding="utf-8", errors="replace", newline="")


def clean_lines(rows: Iterable[dict[str, str]], counter: list[int] | None = None) -> Iterator[Line]:
    """Drops cancellations, guests, non-positive quantities/prices and non-product codes."""
    for row in rows:
        if counter is not None:
            counter[0] += 1
        invoice, code = row["InvoiceNo"].strip(), row["StockCode"].strip()
        if invoice.upper().startswith("C") or not row["CustomerID"].strip() or not PRODUCT_CODE.match(code):
            continue
        try:
            quantity, price = int(float(row["Quantity"])), float(row["UnitPrice"])
            day = date.fromisoformat(row["InvoiceDate"].strip()[:10])
        except ValueError:
            continue
        if quantity <= 0 or price <= 0:
            continue
        iso = day.isocalendar()
        yield Line(
            code.upper(), row["Description"].strip(), (iso[0], iso[1]), quantity, price, row["CustomerID"].strip()
        )


def weekly(lines: Iterable[Line]) -> tuple[dict[str, list[tuple[float, float]]], dict[str, str], int]:
    """Per product: (weekly quantity, median unit price of the week's lines) pairs; plus descriptions
    and the number of lines. The median line price, not the quantity-weighted mean, because a mean
    weighted by quantity falls whenever one big discounted order lands in a week, which would build
    a negative slope out of nothing."""
    quantity: dict[tuple[str, tuple[int, int]], float] = defaultdict(float)
    prices: dict[tuple[str, tuple[int, int]], list[float]] = defaultdict(list)
    descriptions: dict[str, str] = {}
    kept = 0
    for line in lines:
        kept += 1
        key = (line.code, line.week)
        quantity[key] += line.quantity
        prices[key].append(line.price)
        if line.description and line.code not in descriptions:
            descriptions[line.code] = line.description
    series: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for key, qty in quantity.items():
        series[key[0]].append((qty, float(np.median(prices[key]))))
    return series, descriptions, kept


def has_price_variation(prices: np.ndarray) -> bool:
    levels = len(np.unique(np.round(prices, 2)))
    return levels >= MIN_PRICE_LEVELS and float(np.std(np.log(prices))) >= MIN_LOG_PRICE_STD


def fit(quantities: np.ndarray, prices: np.ndarray) -> tuple[float, float]:
    """Slope and R² of log(quantity) = a + b·log(price)."""
    x, y = np.log(prices).reshape(-1, 1), np.log(quantities)
    model = LinearRegression().fit(x, y)
    return float(model.coef_[0]), float(model.score(x, y))


def estimate(rows: Iterable[dict[str, str]]) -> Report:
    counter = [0]
    series, descriptions, kept = weekly(clean_lines(rows, counter))
    fits, products = [], 0
    for code, points in sorted(series.items()):
        if len(points) < MIN_WEEKS:
            continue
        products += 1
        quantities = np.array([q for q, _ in points])
        prices = np.array([p for _, p in points])
        if not has_price_variation(prices):
            continue
        slope, r2 = fit(quantities, prices)
        fits.append(Fit(code, descriptions.get(code, ""), slope, r2, len(points)))
    return Report(counter[0], kept, products, fits)


def estimate_file(path: Path) -> Report:
    with open_text(path) as handle:
        return estimate(csv.DictReader(handle))


def format_report(report: Report, top: int = 5) -> str:
    values = report.elasticities()
    lines = [
        f"invoice lines read: {report.lines_read:,}; kept after cleaning: {report.lines_kept:,}",
        f"products sold in >= {MIN_WEEKS} weeks: {report.products:,}; "
        f"with enough price variation (>= {MIN_PRICE_LEVELS} weekly prices, log-price sd >= {MIN_LOG_PRICE_STD}): "
        f"{len(report.fits):,}",
    ]
    if not report.fits:
        return "\n".join([*lines, "no product had enough price variation to estimate an elasticity"])
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    lines += [
        f"median elasticity: {median:.2f} (IQR {q1:.2f} to {q3:.2f}); "
        f"share elastic (< -1): {np.mean(values < -1):.0%}; positive: {np.mean(values > 0):.0%}",
        "",
        f"{top} most elastic (demand reacts most to price):",
        *(_row(f) for f in sorted(report.fits, key=lambda f: f.elasticity)[:top]),
        "",
        f"{top} most inelastic (closest to zero):",
        *(_row(f) for f in sorted(report.fits, key=lambda f: abs(f.elasticity))[:top]),
        "",
        "caveat: observational log-log fit; larger orders get lower unit prices in this data, so the",
        "slopes mix quantity discounts with shoppers' response to price.",
    ]
    return "\n".join(lines)


def _row(fit_: Fit) -> str:
    return f"  {fit_.code:<8} {fit_.elasticity:6.2f}  R²={fit_.r2:.2f}  weeks={fit_.weeks:<3} {fit_.description[:45]}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Estimate price elasticity of demand per product.")
    parser.add_argument("--data", type=Path, required=True, help="Online Retail CSV (optionally .gz)")
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.data.exists():
        parser.error(f"{args.data} does not exist")
    print(format_report(estimate_file(args.data), args.top))


if __name__ == "__main__":
    main()
