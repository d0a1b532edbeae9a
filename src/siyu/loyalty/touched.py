"""Which members' exported facts may have changed: every write that changes a member's entries or coupons notes
the member here in its own transaction (`touch`), so the facts export (siyu.loyalty.export) rewrites only them.

A row's `seq` grows by one on every touch. An export reads the rows (`pending`) before it reads the ledger, and
after its warehouse write has committed deletes only the rows whose `seq` is still what it read (`clear`): a
change committed meanwhile keeps its row for the next export, and a crash before the delete only exports the
same members again.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Engine

from siyu.loyalty.db import write
from siyu.loyalty.tables import touched

CHUNK = 5_000  # members per statement


def touch(conn: Connection, person_ids: Iterable[str]) -> None:
    """Inside the writing transaction: note that these members' facts changed (in id order: two transactions
    touching the same members take their row locks in the same order)."""
    persons = sorted(set(person_ids))
    if not persons:
        return
    if conn.dialect.name == "postgresql":  # one statement of one bound array
        for i in range(0, len(persons), CHUNK):
            conn.execute(_TOUCH_PG, {"persons": persons[i:i + CHUNK]})
        return
    stmt = sqlite.insert(touched).values(person_id=bindparam("p"), seq=1)
    conn.execute(stmt.on_conflict_do_update(index_elements=[touched.c.person_id],
                                            set_={"seq": touched.c.seq + 1}), [{"p": p} for p in persons])


_TOUCH_PG = text("""
    INSERT INTO loyalty_touched (person_id, seq) SELECT p, 1 FROM unnest(CAST(:persons AS varchar[])) AS t(p)
    ON CONFLICT (person_id) DO UPDATE SET seq = loyalty_touched.seq + 1""")



def touch_one_pg(source: str) -> str:
    """The touch of member `:person_id` as a clause of a PostgreSQL data-modifying CTE, made once per row of the
    CTE `source` (0 or 1: siyu.loyalty.ledger folds it into a redemption's one statement, after its posting)."""
    return f"""
        INSERT INTO loyalty_touched (person_id, seq) SELECT CAST(:person_id AS varchar), 1 FROM {source}
        ON CONFLICT (person_id) DO UPDATE SET seq = loyalty_touched.seq + 1"""


def pending(engine: Engine) -> dict[str, int]:
    """Every touched member → the `seq` read now (what a `clear` after the export may delete)."""
    with engine.connect() as conn:
        return {r[0]: int(r[1]) for r in conn.execute(touched.select())}


def clear(engine: Engine, seen: dict[str, int]) -> int:
    """Delete the touches an export has written (`seen`, from `pending`), each only if untouched since; returns
    the rows deleted."""
    if not seen:
        return 0
    items = sorted(seen.items())
    done = 0
    with write(engine) as conn:
        for i in range(0, len(items), CHUNK):
            chunk = items[i:i + CHUNK]
            if conn.dialect.name == "postgresql":
                done += conn.execute(_CLEAR_PG, {"persons": [p for p, _ in chunk],
                                                 "seqs": [s for _, s in chunk]}).rowcount
            else:
                done += conn.execute(touched.delete().where(touched.c.person_id == bindparam("p"),
                                                            touched.c.seq == bindparam("s")),
                                     [{"p": p, "s": s} for p, s in chunk]).rowcount
    return done


_CLEAR_PG = text("""
    DELETE FROM loyalty_touched AS t
    USING unnest(CAST(:persons AS varchar[]), CAST(:seqs AS bigint[])) AS x(p, s)
    WHERE t.person_id = x.p AND t.seq = x.s""")
