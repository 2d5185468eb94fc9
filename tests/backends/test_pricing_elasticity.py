"""Price elasticity: a synthetic shop with a known elasticity, the cleaning rules, and one run over
the real UCI Online Retail file (skipped when ../shared is not there)."""

from __future__ import annotations

import csv
import gzip
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from backends.pricing import elasticity

REPO = Path(__file__).resolve().parents[2]
REAL_DATA = REPO.parent / "shared" / "data" / "online_retail" / "online_retail_all.csv.gz"
COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]


def synthetic_rows(true_elasticity: float, weeks: int = 40, seed: int = 7) -> list[dict[str, str]]:
    """Weekly demand q = k·p^e with log-normal noise, sold as a few invoice lines a week at that price."""
    rng = np.random.default_rng(seed)
    rows, invoice, start = [], 500000, date(2011, 1, 3)
    for week in range(weeks):
        price = round(float(rng.uniform(1.0, 4.0)), 2)
        quantity = 400 * price**true_elasticity * float(np.exp(rng.normal(0, 0.1)))
        lines = 4
        for line in range(lines):
            invoice += 1
            day = start + timedelta(weeks=week, days=line)
            rows.append(
                {
                    "InvoiceNo": str(invoice),
                    "StockCode": "12345A",
                    "Description": "SYNTHETIC MUG",
                    "Quantity": str(max(1, round(quantity / lines))),
                    "InvoiceDate": f"{day} 10:00:00",
                    "UnitPrice": f"{price}",
                    "CustomerID": "17850.0",
                    "Country": "United Kingdom",
                }
            )
    return rows


def noise_rows() -> list[dict[str, str]]:
    """Lines every cleaning rule must drop: they would wreck the fit if kept."""
    base = {"Description": "X", "InvoiceDate": "2011-01-04 10:00:00", "CustomerID": "1.0", "Country": "UK"}
    return [
        {**base, "InvoiceNo": "C500001", "StockCode": "12345A", "Quantity": "9999", "UnitPrice": "0.01"},
        {
            **base,
            "InvoiceNo": "500002",
            "StockCode": "12345A",
            "Quantity": "9999",
            "UnitPrice": "0.01",
            "CustomerID": "",
        },
        {**base, "InvoiceNo": "500003", "StockCode": "12345A", "Quantity": "-5", "UnitPrice": "2.00"},
        {**base, "InvoiceNo": "500004", "StockCode": "12345A", "Quantity": "5", "UnitPrice": "0"},
        {**base, "InvoiceNo": "500005", "StockCode": "POST", "Quantity": "5", "UnitPrice": "18.00"},
    ]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with gzip.open(path, "wt", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("true_elasticity", [-1.5, -0.5])
def test_recovers_a_known_elasticity(true_elasticity: float) -> None:
    report = elasticity.estimate(synthetic_rows(true_elasticity))
    assert len(report.fits) == 1
    assert abs(report.fits[0].elasticity - true_elasticity) <= 0.2, report.fits[0]


def test_cleaning_drops_cancellations_guests_and_non_products(tmp_path: Path) -> None:
    rows = synthetic_rows(-1.5) + noise_rows()
    report = elasticity.estimate_file(write_csv(tmp_path / "retail.csv.gz", rows))
    assert report.lines_read == len(rows) and report.lines_kept == len(rows) - len(noise_rows())
    assert abs(report.fits[0].elasticity + 1.5) <= 0.2


def test_flat_prices_and_short_histories_are_not_fitted() -> None:
    flat = [{**row, "UnitPrice": "2.50"} for row in synthetic_rows(-1.5)]
    short = [row for row in synthetic_rows(-1.5) if row["InvoiceDate"] < "2011-02-01"]
    assert elasticity.estimate(flat).fits == [] and elasticity.estimate(flat).products == 1
    assert elasticity.estimate(short).products == 0
    assert "no product had enough price variation" in elasticity.format_report(elasticity.estimate(flat))


def test_command_prints_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path / "retail.csv.gz", synthetic_rows(-1.5))
    elasticity.main(["--data", str(path)])
    out = capsys.readouterr().out
    assert "with enough price variation" in out and "median elasticity: -1." in out and "12345A" in out


@pytest.mark.skipif(not REAL_DATA.exists(), reason=f"{REAL_DATA} is not available")
def test_real_online_retail_data_has_a_negative_median() -> None:
    report = elasticity.estimate_file(REAL_DATA)
    values = report.elasticities()
    assert report.lines_read > 500_000 and len(report.fits) > 300
    assert -5 < float(np.median(values)) < -0.3
    assert float(np.mean(values < 0)) > 0.8
