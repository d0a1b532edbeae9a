"""The first load (siyu.loyalty.firstload: an empty PostgreSQL ledger posted set-based in the server) writes the
ledger the ordinary batched path writes, entry for entry, on orders of every kind the rules tell apart; a second
sync posts nothing; it declines where it must (SQLite, a ledger with orders, an order twice in the input); and a
load killed with SIGKILL anywhere, then run again, leaves exactly a clean run's ledger. On SQLite and PostgreSQL
(SQLite always takes the ordinary path: the equality is checked against it too)."""

from __future__ import annotations

import datetime as dt
import random
import signal
import time
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from siyu.loyalty import earning, firstload, lots, wallet
from siyu.loyalty.orders import OrderRow
from siyu.loyalty.rules import LoyaltySettings
from siyu.loyalty.tables import account, lot, order
from siyu.store import open_store

from .loyalty_stores import pg_url, store
from .test_loyalty_crash import child, snapshot

RULES = LoyaltySettings(channel_multipliers={"tmall": Decimal(2), "store": Decimal("1.5")},
                        excluded_statuses=["partially_refunded"], return_window_days=15)
AS_OF = dt.date(2026, 6, 30)
AT = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)


def mixed_orders(n: int = 3_000, seed: int = 3) -> list[OrderRow]:
    """Orders of every kind: three channels (two multipliers), every status (one excluded), amounts negative,
    zero and positive, excluded items, versions given and not, paid across two years (two expiry dates) and
    inside and outside the return window."""
    rnd = random.Random(seed)
    statuses = ("paid", "paid", "paid", "partially_refunded", "refunded", "pending", "closed")
    return [OrderRow(f"P{rnd.randrange(n // 6):05d}", rnd.choice(("tmall", "jd", "store")), f"O{i}",
                     rnd.choice((None, 1, 3)), rnd.choice(statuses), rnd.choice((-500, 0, rnd.randrange(1, 90_000))),
                     AS_OF - dt.timedelta(days=rnd.randrange(400)), rnd.choice((0, 0, rnd.randrange(0, 5_000))))
            for i in range(n)]


def as_arrow(rows: list[OrderRow]) -> pa.Table:
    return pa.Table.from_pylist([r.__dict__ for r in rows])


def full_snapshot(engine: Engine) -> dict[str, Any]:
    """The ledger by business keys (crash test's snapshot) with every lot, order row and account."""
    found = snapshot(engine)
    with engine.connect() as conn:
        found["lots"] = sorted(tuple(r) for r in conn.execute(sa.select(
            lot.c.key, lot.c.origin, lot.c.channel, lot.c.order_id, lot.c.expires_on, lot.c.settled)))
        found["order_rows"] = sorted(tuple(r) for r in conn.execute(sa.select(
            order.c.channel, order.c.order_id, order.c.person_id, order.c.version, order.c.rate_ppm,
            order.c.basis_fen, order.c.points, order.c.paid_on, order.c.released, lot.c.key, order.c.moves)
            .join(lot, lot.c.id == order.c.lot_id)))
        found["accounts"] = sorted(tuple(r) for r in conn.execute(sa.select(
            account.c.owner_type, account.c.owner, account.c.kind)))
    return found


def before_any_order(engine: Engine) -> None:
    """A ledger that holds a manual credit and a top-up before its first sync (ids and accounts in use)."""
    lots.adjust(engine, "P00001", 50, "welcome gift", "welcome:P00001", at=AT)
    wallet.topup(engine, "P00002", 10_000, 1_000, "topup:P00002", at=AT)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_first_load_writes_the_ordinary_paths_ledger_and_a_rerun_posts_nothing(kind: str,
                                                                                    tmp_path: Path) -> None:
    rows = mixed_orders()
    with store(kind, tmp_path) as loaded, store(kind, tmp_path) as ordinary, store("sqlite", tmp_path) as lite:
        for engine in (loaded, ordinary, lite):
            before_any_order(engine)
        counts = firstload.load(loaded, as_arrow(rows), RULES, AS_OF, AT)
        assert (counts is not None) == (kind == "postgresql")  # the new path runs on PostgreSQL only
        result = earning.sync(loaded, as_arrow(rows), RULES, AS_OF, at=AT)  # after it: posts nothing
        if counts is not None:
            assert result.postings == {} and counts["earn_pending"] > 0 and counts["release"] > 0
        earning.sync(ordinary, rows, RULES, AS_OF, at=AT, batch_size=500)  # Python rows: the batched path
        earning.sync(lite, rows, RULES, AS_OF, at=AT, batch_size=500)
        expected = full_snapshot(ordinary)
        assert full_snapshot(loaded) == expected == full_snapshot(lite)
        assert expected["trial"] == 0 and len(expected["order_rows"]) == len(rows)
        assert firstload.load(loaded, as_arrow(rows), RULES, AS_OF, AT) is None  # orders posted: not a first load
        again = earning.sync(loaded, as_arrow(rows), RULES, AS_OF, at=AT)
        assert again.postings == {} and full_snapshot(loaded) == expected


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_order_twice_in_the_input_declines_the_first_load(kind: str, tmp_path: Path) -> None:
    rows = mixed_orders(500)
    twice = [*rows, OrderRow(rows[7].person_id, rows[7].channel, rows[7].order_id, 9, "paid", 1_000, rows[7].paid_on)]
    with store(kind, tmp_path) as loaded, store(kind, tmp_path) as ordinary:
        assert firstload.load(loaded, as_arrow(twice), RULES, AS_OF, AT) is None
        assert full_snapshot(loaded)["order_rows"] == []  # rolled back whole
        earning.sync(loaded, as_arrow(twice), RULES, AS_OF, at=AT)
        earning.sync(ordinary, twice, RULES, AS_OF, at=AT)
        assert full_snapshot(loaded) == full_snapshot(ordinary)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_first_load_killed_anywhere_then_rerun_equals_a_clean_run(kind: str, tmp_path: Path) -> None:
    with ExitStack() as stack:
        urls = ([f"sqlite:///{tmp_path / f'{n}.sqlite'}" for n in ("crashed", "clean")] if kind == "sqlite"
                else [stack.enter_context(pg_url()) for _ in range(2)])
        crashed_url, clean_url = urls
        crashed, clean = open_store(crashed_url), open_store(clean_url)  # migrated, as the child finds them
        stack.callback(crashed.dispose)
        stack.callback(clean.dispose)
        start = time.perf_counter()
        assert child(clean_url, "arrow").wait(300) == 0
        took = time.perf_counter() - start
        expected = full_snapshot(clean)
        rnd = random.Random(9)
        landed = 0  # kills before the sync was done
        for _ in range(10):  # killed anywhere from its start (imports) to near its end
            proc = child(crashed_url, "arrow")
            time.sleep(rnd.uniform(0.3, 0.8 * took))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            left = full_snapshot(crashed)
            if kind == "postgresql":  # one transaction: nothing or everything
                assert left["order_rows"] in ([], expected["order_rows"])
            landed += left != expected
        assert landed >= 2  # (once a run has finished, the later ones have nothing to do)
        assert child(crashed_url, "arrow").wait(300) == 0
        assert full_snapshot(crashed) == expected
        assert child(crashed_url, "arrow").wait(300) == 0  # and once more: nothing new
        assert full_snapshot(crashed) == expected
