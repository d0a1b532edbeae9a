"""Saved segments: save, list, find, count and list members; snapshots of members per run."""

from __future__ import annotations

import re
import uuid

import pyarrow as pa

from siyu.engine import Engine
from siyu.segment.errors import closest
from siyu.segment.language import compile_predicate, segment_sql
from siyu.segment.tables import SEGMENT, SEGMENT_SNAPSHOT, ensure_tables, now, vocabulary

_NAME = re.compile(r"^[\w\-.]{1,64}$")


def count(engine: Engine, expression: str) -> int:
    """How many persons match an expression now."""
    vocab = vocabulary(engine)
    return int(engine.scalar(f"SELECT count(*) FROM ({segment_sql(expression, vocab)}) AS s") or 0)


def list_segments(engine: Engine) -> list[dict[str, object]]:
    ensure_tables(engine)
    return engine.query("SELECT * FROM segment ORDER BY name").to_pylist()


def get_segment(engine: Engine, name: str) -> dict[str, object]:
    saved = {str(s["name"]): s for s in list_segments(engine)}
    if name not in saved:
        hint = closest(name, saved) or (f"saved: {', '.join(saved)}" if saved else "none saved yet")
        raise ValueError(f"no segment named '{name}'; {hint}")
    return saved[name]


def save_segment(engine: Engine, name: str, expression: str, description: str = "") -> bool:
    """Validate and store (or replace) a segment; returns True when it replaced an existing one."""
    if not _NAME.match(name):
        raise ValueError(f"segment name '{name}': use letters, digits, '_', '-' or '.', at most 64 characters")
    compile_predicate(expression, vocabulary(engine))  # never store what cannot run
    rows = list_segments(engine)
    old = next((r for r in rows if r["name"] == name), None)
    stamp = now()
    kept = [r for r in rows if r["name"] != name]
    kept.append({"name": name, "expression": expression, "description": description,
                 "created_at": old["created_at"] if old else stamp, "updated_at": stamp})
    engine.write_arrow("segment", pa.Table.from_pylist(kept, schema=SEGMENT), mode="replace")
    return old is not None


def delete_segment(engine: Engine, name: str) -> None:
    get_segment(engine, name)
    kept = [r for r in list_segments(engine) if r["name"] != name]
    engine.write_arrow("segment", pa.Table.from_pylist(kept, schema=SEGMENT), mode="replace")


def members_sql(engine: Engine, name: str, columns: str = "p.person_id") -> str:
    seg = get_segment(engine, name)
    return segment_sql(str(seg["expression"]), vocabulary(engine), select=columns)


def snapshot(engine: Engine, run_id: str | None = None) -> tuple[int, int]:
    """Append every saved segment's members (and who entered / exited since the last snapshot) for this run.

    Returns (segments, member rows written). Sizes over time: `segment_snapshot`; who: `segment_member`.
    """
    ensure_tables(engine)
    run_id = run_id or uuid.uuid4().hex[:12]
    vocab = vocabulary(engine)
    stamp = now()
    written = 0
    sizes = []
    for seg in list_segments(engine):
        name = str(seg["name"])
        select = (f"'{run_id}' AS run_id, p.person_id, p.as_of, "
                  f"CAST('{stamp.isoformat(sep=' ')}' AS TIMESTAMP) AS snapshot_at")
        body = segment_sql(str(seg["expression"]), vocab, select=select)
        previous = engine.scalar(
            f"SELECT run_id FROM segment_snapshot WHERE segment = {_quote(name)} ORDER BY snapshot_at DESC LIMIT 1")
        added = engine.insert_select("segment_member", f"SELECT {_quote(name)} AS segment, s.* FROM ({body}) AS s")
        written += added
        entered, exited = added, 0
        if previous is not None:
            of = f"SELECT person_id FROM segment_member WHERE segment = {_quote(name)} AND run_id ="
            cur, prev = f"{of} {_quote(run_id)}", f"{of} {_quote(previous)}"
            entered = int(engine.scalar(f"SELECT count(*) FROM ({cur}) AS c WHERE person_id NOT IN ({prev})") or 0)
            exited = int(engine.scalar(f"SELECT count(*) FROM ({prev}) AS c WHERE person_id NOT IN ({cur})") or 0)
        sizes.append({"segment": name, "run_id": run_id, "as_of": vocab.as_of, "snapshot_at": stamp,
                      "members": added, "entered": entered, "exited": exited})
    if sizes:
        engine.write_arrow("segment_snapshot", pa.Table.from_pylist(sizes, schema=SEGMENT_SNAPSHOT))
    return len(sizes), written


def history(engine: Engine, name: str) -> list[dict[str, object]]:
    get_segment(engine, name)
    return engine.query(
        f"SELECT run_id, as_of, snapshot_at, members, entered, exited FROM segment_snapshot "
        f"WHERE segment = {_quote(name)} ORDER BY snapshot_at").to_pylist()


def _quote(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"
