"""Operators' decisions (`siyu identity merge/split`), stored in `identity_override` and applied every run.

Overrides name identities (`channel:channel_uid`), not person ids, so they keep meaning across runs. For
one pair of identities the latest decision wins. A merge is an edge that no guard removes; a split
detaches an identity: every automatic link touching it is ignored, so it ends up apart from the other.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from siyu.engine import Engine
from siyu.engine.quote import literal
from siyu.identity.tables import OUTPUT, ensure_output_tables


def record_override(engine: Engine, kind: str, a: str, b: str | None, note: str = "") -> None:
    """Append one decision; `b` may be None for a split that detaches `a` from whoever it is with."""
    if kind not in ("merge", "split"):
        raise ValueError(f"override kind must be 'merge' or 'split', not {kind!r}")
    if kind == "merge" and not b:
        raise ValueError("a merge needs two identities")
    if b is not None and a == b:
        raise ValueError(f"cannot {kind} {a} with itself")
    ensure_output_tables(engine)
    row = {"kind": kind, "a": a, "b": b, "at": dt.datetime.now(), "note": note}
    engine.write_arrow("identity_override", pa.Table.from_pylist([row], schema=OUTPUT["identity_override"]))


def _latest_sql() -> str:
    """The latest decision per unordered pair (a split without a partner is its own 'pair')."""
    return """
        SELECT kind, a, b FROM (
            SELECT kind, a, b, row_number() OVER (
                PARTITION BY least(a, coalesce(b, '')), greatest(a, coalesce(b, '')) ORDER BY "at" DESC, kind
            ) AS r
            FROM identity_override
        ) q WHERE r = 1
    """


def merge_edges_sql(run_id: str) -> str:
    """Edges for operators' merges still in force."""
    return (
        f"SELECT a, b, 'override' AS kind, 'merge' AS key_name, CAST(NULL AS VARCHAR) AS key_value, "
        f"CAST(NULL AS DOUBLE) AS probability, {literal(run_id)} AS run_id FROM ({_latest_sql()}) o "
        f"WHERE kind = 'merge'"
    )


def split_pairs_sql() -> str:
    """Splits still in force: `a` must not share a person with `b` (or with anyone, when b is NULL)."""
    return f"SELECT a, b FROM ({_latest_sql()}) o WHERE kind = 'split'"
