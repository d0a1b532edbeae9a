"""How far the `loyalty` step has read the warehouse, so a day's run reads only what changed since.

The mark holds the newest raw import (`_ingested_at` of raw_order/raw_order_item) and the newest OneID event
(`person_history.at`) the last completed run had seen, and a digest of the `[loyalty]` rules it read under. It
advances only after everything that run posted has committed, so a run killed anywhere reads the same changes
again next time (postings are idempotent).

Rows newer than the mark are read (strictly: a bulk import stamps millions of rows with one time, and reading
those again every day is what the mark avoids). Raw tables are append-only, an import stamps its rows while it
holds the warehouse (one writer at a time) and the step reads the mark while it holds it, so every row committed
after a run is stamped later than what that run saw: a refund of an old order arrives as a new raw row with a
new `_ingested_at`, and the orders of persons OneID merged, split or created come with new `person_history` rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine

from siyu.loyalty.db import insert_ignore, now, write
from siyu.loyalty.rules import LoyaltySettings
from siyu.loyalty.tables import sync_mark

NAME = "warehouse"


@dataclass(frozen=True)
class Mark:
    ingested_at: dt.datetime | None  # None: nothing read yet
    identity_at: dt.datetime | None
    rules: str


def rules_digest(rules: LoyaltySettings) -> str:
    """A digest of the rules: a change of what orders earn on (exclusions, rates) makes the next run read all."""
    return hashlib.sha256(rules.model_dump_json().encode()).hexdigest()


def read(engine: Engine) -> Mark | None:
    with engine.connect() as conn:
        row = conn.execute(select(sync_mark).where(sync_mark.c.name == NAME)).one_or_none()
    return None if row is None else Mark(row.ingested_at, row.identity_at, row.rules)


def advance(engine: Engine, mark: Mark) -> None:
    """Record `mark` as read (after the run's postings committed)."""
    with write(engine) as conn:
        insert_ignore(conn, sync_mark, [{"name": NAME, "rules": mark.rules, "updated_at": now()}])
        conn.execute(sync_mark.update().where(sync_mark.c.name == NAME).values(
            ingested_at=mark.ingested_at, identity_at=mark.identity_at, rules=mark.rules, updated_at=now()))
