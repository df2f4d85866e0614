"""The CDNOW data (tests/data/cdnow/README), read into the forecast's arrays without the
database: the full history of the 23,570 customers acquired in 1997-Q1, and the standard
2,357-customer sample's summaries."""

from __future__ import annotations

import csv
import datetime
import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analytics.forecast.history import DailyPurchases

DATA = Path(__file__).resolve().parents[1] / "data" / "cdnow"
AS_OF = datetime.date(1997, 9, 30)
HORIZON_DAYS = 273  # 1997-10-01..1998-06-30


@dataclass(frozen=True)
class Transactions:
    daily: DailyPurchases
    customers: int


def _read(name: str) -> list[str]:
    with gzip.open(DATA / name, "rt", encoding="ascii") as file:
        return file.read().splitlines()


def master() -> Transactions:
    """CDNOW_master: one line per order (customer, yyyymmdd, CDs, dollars). Orders of $0.00 are
    not purchases (ANALYTICS.md: counted purchases have an amount above zero)."""
    rows = np.array([line.split() for line in _read("CDNOW_master.txt.gz")[1:]])
    customer = rows[:, 0].astype(np.int64)
    dates = rows[:, 1]
    ordinal = np.array(
        [datetime.date(int(d[:4]), int(d[4:6]), int(d[6:])).toordinal() for d in dates]
    )
    amount = rows[:, 3].astype(float)
    counted = amount > 0
    ids, index = np.unique(customer[counted], return_inverse=True)
    return Transactions(
        daily=DailyPurchases.aggregate(index, ordinal[counted], amount[counted]),
        customers=len(ids),
    )


def sample_summary() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """cdnow_customers_summary: x, t_x, T in weeks, calibrated to 1997-09-30 (week 39), as in
    Fader, Hardie & Lee (2005)."""
    with gzip.open(DATA / "cdnow_customers_summary.csv.gz", "rt", encoding="ascii") as file:
        rows = list(csv.DictReader(file))
    return tuple(np.array([float(row[k]) for row in rows]) for k in ("frequency", "recency", "T"))


def sample_order_values() -> tuple[np.ndarray, np.ndarray]:
    """cdnow_customers_summary_with_transactions: x repeat purchases and their mean value zbar,
    for the customers with x > 0 (Fader, Hardie & Lee 2005, "RFM and CLV")."""
    path = DATA / "cdnow_customers_summary_with_transactions.csv.gz"
    with gzip.open(path, "rt", encoding="ascii") as file:
        rows = [row for row in csv.DictReader(file) if float(row["x"]) > 0]
    return np.array([float(r["x"]) for r in rows]), np.array([float(r["zbar"]) for r in rows])
