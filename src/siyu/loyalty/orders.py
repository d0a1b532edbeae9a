"""A clean order as the ledger sees it (one row per order from the warehouse after OneID), and what it earns on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from siyu.domain.orders import is_purchase
from siyu.loyalty.rules import LoyaltySettings


@dataclass(frozen=True)
class OrderRow:
    """One clean order as the warehouse has it after OneID; money in fen."""

    person_id: str
    channel: str
    order_id: str
    version: int | None  # None: the ledger numbers versions itself, one more each time what it earns on changes
    status: str
    net_fen: int
    paid_on: dt.date
    excluded_fen: int = 0  # the part of net paid on excluded items or categories


def basis_fen(row: OrderRow, rules: LoyaltySettings) -> int:
    """What the order earns on: net paid less excluded items, for a purchase in a status not excluded."""
    if row.status in rules.excluded_statuses or not is_purchase(row.status, row.net_fen):
        return 0
    return max(row.net_fen - row.excluded_fen, 0)


def rows_from_arrow(table: pa.Table) -> Iterator[OrderRow]:
    """OrderRows from an Arrow table with the OrderRow columns (`excluded_fen` optional), a chunk of rows in
    Python at a time (a first sync of 10M orders would otherwise hold 10M dicts at once)."""
    for chunk in table.to_batches(max_chunksize=CHUNK):
        yield from _rows(chunk.to_pylist())


CHUNK = 50_000


def _rows(rows: list[dict[str, Any]]) -> Iterator[OrderRow]:
    for r in rows:
        paid = r["paid_on"]
        version = r.get("version")
        yield OrderRow(str(r["person_id"]), str(r["channel"]), str(r["order_id"]),
                       None if version is None else int(version),
                       str(r["status"]), int(r["net_fen"] or 0),
                       paid.date() if isinstance(paid, dt.datetime) else paid, int(r.get("excluded_fen") or 0))
