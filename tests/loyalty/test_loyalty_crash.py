"""Crash safety: a sync killed with SIGKILL (a real child process) at 10 random points, each time started again
from where the ledger was left, then run to the end, leaves exactly the ledger of a run never interrupted: no
posting lost, none twice, the same entries on the same lots, the same order projection. On SQLite and
PostgreSQL."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from siyu.loyalty import ledger
from siyu.loyalty.tables import account, entry, lot, order, posting
from siyu.store import open_store

from . import sync_child
from .loyalty_stores import pg_url

KILLS = 10
CHILD = Path(sync_child.__file__)


def snapshot(engine: sa.Engine) -> dict[str, Any]:
    """The ledger by its business keys (ids differ between runs)."""
    with engine.connect() as conn:
        entries = conn.execute(
            sa.select(posting.c.key, posting.c.type, posting.c.person_id, entry.c.leg, account.c.owner,
                      account.c.kind, entry.c.amount, lot.c.key)
            .select_from(entry.join(posting, posting.c.id == entry.c.posting_id)
                         .join(account, account.c.id == entry.c.account_id)
                         .outerjoin(lot, lot.c.id == entry.c.lot_id))).all()
        orders = conn.execute(sa.select(order.c.channel, order.c.order_id, order.c.person_id, order.c.version,
                                        order.c.points, order.c.released)).all()
        return {"entries": sorted(tuple(r) for r in entries), "orders": sorted(tuple(r) for r in orders),
                "balances": ledger.all_balances(conn), "trial": ledger.trial_balance(conn)}


def postings(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(posting)).scalar_one())


def child(url: str, *args: str) -> subprocess.Popen[bytes]:
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(CHILD.parents[2] / "src"), os.environ.get(
        "PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, str(CHILD), url, *args], env=env, stderr=subprocess.PIPE)


def kill_when(engine: sa.Engine, proc: subprocess.Popen[bytes], threshold: int, delay: float) -> bool:
    """SIGKILL the child `delay` seconds after the ledger holds `threshold` postings (so the kill lands anywhere
    in a transaction, not just after a commit); False when it finished first."""
    while proc.poll() is None:
        if postings(engine) >= threshold:
            time.sleep(delay)
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.01)
    assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else proc.returncode
    return False


def crash_and_compare(crashed_url: str, clean_url: str) -> None:
    clean, crashed = open_store(clean_url), open_store(crashed_url)  # migrated, as the child finds them
    try:
        sync_child.run(clean_url)
        expected = snapshot(clean)
        total = len({k for k, *_ in expected["entries"]})
        rnd = random.Random(5)
        points = sorted(rnd.sample(range(1, total), KILLS))
        left: list[int] = []  # postings the ledger held after each kill
        for threshold in points:
            if kill_when(crashed, child(crashed_url), threshold, rnd.uniform(0, 0.3)):
                left.append(postings(crashed))
        assert len(left) >= KILLS // 2 and min(left) < total  # the kills landed mid-sync
        rerun = child(crashed_url)
        assert rerun.wait(300) == 0
        assert snapshot(crashed) == expected
        assert expected["trial"] == 0 and expected["balances"]
        sync_child.run(crashed_url)  # and once more: nothing new
        assert snapshot(crashed) == expected
    finally:
        clean.dispose()
        crashed.dispose()


def test_a_sync_killed_at_10_points_then_rerun_equals_a_clean_run_sqlite(tmp_path: Path) -> None:
    crash_and_compare(f"sqlite:///{tmp_path / 'crashed.sqlite'}", f"sqlite:///{tmp_path / 'clean.sqlite'}")


def test_a_sync_killed_at_10_points_then_rerun_equals_a_clean_run_postgresql() -> None:
    with pg_url() as crashed, pg_url() as clean:
        crash_and_compare(crashed, clean)
