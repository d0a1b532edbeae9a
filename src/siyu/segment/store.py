"""Saved segments: save, list, find, count and list members; snapshots of members per run."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pyarrow as pa

from siyu.engine import Engine, EngineError
from siyu.errors import UserError
from siyu.segment.errors import SegmentError, closest
from siyu.segment.language import Vocabulary, segment_sql
from siyu.segment.tables import SEGMENT, SEGMENT_SNAPSHOT, ensure_tables, now
from siyu.segment.vocabulary import count, vocabulary

_NAME = re.compile(r"^[\w\-.]{1,64}$")


def list_segments(engine: Engine) -> list[dict[str, object]]:
    """Saved segments by name; none when the warehouse has no segment table yet (a reader never creates it)."""
    if not engine.table_exists("segment"):
        return []
    return engine.query("SELECT * FROM segment ORDER BY name").to_pylist()


def last_sizes(engine: Engine) -> dict[str, dict[str, object]]:
    """Each saved segment's size and as-of day at its latest snapshot."""
    if not engine.table_exists("segment_snapshot"):
        return {}
    rows = engine.query(
        "SELECT segment, members, as_of FROM segment_snapshot QUALIFY row_number() OVER "
        "(PARTITION BY segment ORDER BY snapshot_at DESC) = 1"
    ).to_pylist()
    return {str(r["segment"]): r for r in rows}


def get_segment(engine: Engine, name: str) -> dict[str, object]:
    saved = {str(s["name"]): s for s in list_segments(engine)}
    if name not in saved:
        hint = closest(name, saved) or (f"saved: {', '.join(saved)}" if saved else "none saved yet")
        raise UserError(f"no segment named '{name}'; {hint}")
    return saved[name]


def save_segment(engine: Engine, name: str, expression: str, description: str = "",
                 source: str | None = None) -> bool:
    """Validate, run once and store (or replace) a segment; returns True when it replaced an existing one.

    The expression is compiled and counted on the warehouse inside the transaction that writes it, so what is
    stored has run at least once here: a segment that cannot run is never saved. `source`: "service" for a
    segment copied from the service's store (siyu.segment.served), None for one saved in the warehouse itself.
    """
    if not _NAME.match(name):
        raise UserError(f"segment name {name[:80]!r}: use letters, digits, '_', '-' or '.', at most 64 characters")
    ensure_tables(engine)
    with engine.transaction():
        try:
            count(engine, expression)
        except EngineError as exc:
            raise SegmentError(f"segment {name}: the expression does not run on this warehouse: {_reason(exc)}",
                               hint="nothing was saved") from None
        rows = list_segments(engine)
        old = next((r for r in rows if r["name"] == name), None)
        stamp = now()
        kept = [r for r in rows if r["name"] != name]
        kept.append({"name": name, "expression": expression, "description": description,
                     "created_at": old["created_at"] if old else stamp, "updated_at": stamp, "source": source})
        engine.write_arrow("segment", pa.Table.from_pylist(kept, schema=SEGMENT), mode="replace")
    return old is not None


def delete_segment(engine: Engine, name: str) -> None:
    get_segment(engine, name)
    ensure_tables(engine)
    kept = [r for r in list_segments(engine) if r["name"] != name]
    engine.write_arrow("segment", pa.Table.from_pylist(kept, schema=SEGMENT), mode="replace")


def members_sql(engine: Engine, name: str, columns: str = "p.person_id") -> str:
    seg = get_segment(engine, name)
    return segment_sql(str(seg["expression"]), vocabulary(engine), select=columns)


def snapshot(engine: Engine, run_id: str | None = None) -> tuple[int, int, list[str]]:
    """Append every saved segment's members (and who entered / exited since its last snapshot) for this run.

    Returns (segments snapshotted, member rows written, why each skipped segment was skipped). A stored segment
    that no longer compiles or runs (saved by an older version, or naming a column since removed) is skipped
    with its reason in `segment_snapshot.skipped`; the others are written together in one transaction.
    """
    ensure_tables(engine)
    run_id = run_id or uuid.uuid4().hex[:12]
    vocab = vocabulary(engine)
    stamp = dt.datetime.now()  # to the microsecond: "the latest snapshot" must not tie when two runs share a second
    runnable, skipped = _runnable(engine, vocab)
    params = {"run_id": run_id, "snapshot_at": stamp}
    select = "$run_id AS run_id, p.person_id, p.as_of, CAST($snapshot_at AS TIMESTAMP) AS snapshot_at"
    sizes = [{"segment": name, "run_id": run_id, "as_of": vocab.as_of, "snapshot_at": stamp, "skipped": why}
             for name, why in skipped.items()]
    written = 0
    with engine.transaction():
        for name, expression in runnable.items():
            at = {**params, "segment": name}
            previous = engine.scalar(
                "SELECT run_id FROM segment_snapshot WHERE segment = $segment AND skipped IS NULL "
                "ORDER BY snapshot_at DESC LIMIT 1", {"segment": name})
            body = segment_sql(expression, vocab, select=select)
            added = engine.insert_select("segment_member", f"SELECT $segment AS segment, s.* FROM ({body}) AS s", at)
            written += added
            entered, exited = added, 0
            if previous is not None:
                entered, exited = _moves(engine, segment_sql(expression, vocab), name, str(previous))
            sizes.append({"segment": name, "run_id": run_id, "as_of": vocab.as_of, "snapshot_at": stamp,
                          "members": added, "entered": entered, "exited": exited})
        if sizes:
            engine.write_arrow("segment_snapshot", pa.Table.from_pylist(sizes, schema=SEGMENT_SNAPSHOT))
    return len(runnable), written, [f"{name}: {why}" for name, why in skipped.items()]


def _runnable(engine: Engine, vocab: Vocabulary) -> tuple[dict[str, str], dict[str, str]]:
    """Saved segments that compile and run now (name → expression), and why each other one does not."""
    runnable: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for seg in list_segments(engine):
        name, expression = str(seg["name"]), str(seg["expression"])
        try:
            engine.scalar(f"SELECT count(*) FROM ({segment_sql(expression, vocab)}) AS s")
        except (SegmentError, EngineError) as exc:
            skipped[name] = _reason(exc)
            continue
        runnable[name] = expression
    return runnable, skipped


def _reason(exc: Exception) -> str:
    """An error as one line, without the SQL an EngineError carries (that is for --debug, not for users)."""
    if isinstance(exc, SegmentError):
        return exc.reason + (f" (at character {exc.start + 1})" if exc.start is not None else "")
    return " ".join(str(exc).split("--- SQL ---")[0].split())


def _moves(engine: Engine, current: str, name: str, previous: str) -> tuple[int, int]:
    """(entered, exited): persons in the segment now but not at the previous snapshot, and the reverse."""
    before = "SELECT person_id FROM segment_member WHERE segment = $segment AND run_id = $previous"
    at = {"segment": name, "previous": previous}
    entered = engine.scalar(f"SELECT count(*) FROM ({current}) AS c WHERE person_id NOT IN ({before})", at)
    exited = engine.scalar(f"SELECT count(*) FROM ({before}) AS b WHERE person_id NOT IN ({current})", at)
    return int(entered or 0), int(exited or 0)


def history(engine: Engine, name: str) -> list[dict[str, object]]:
    get_segment(engine, name)
    return engine.query(
        "SELECT run_id, as_of, snapshot_at, members, entered, exited, skipped FROM segment_snapshot "
        "WHERE segment = $segment ORDER BY snapshot_at", {"segment": name}).to_pylist()
