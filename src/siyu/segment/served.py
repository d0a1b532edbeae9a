"""Segments saved in the service (`PUT /segments/{name}`, the console's builder) become warehouse segments.

The service keeps what its users save in the operational store; a run snapshots only the warehouse's `segment`
table. At the start of the segments step the run copies the store's segments into that table (through
`save_segment`, so with the same validation as `siyu segment save`), and their size over time is then recorded,
listed and read like any other: `siyu segment history`, `/segments/tracked/{name}/history`, the console.

- Names are kept as saved, so the console's saved segment and its history have one name.
- A name saved both in the warehouse and in the service: the later save wins (each is a deliberate "this is
  segment X now", as saving twice through one door replaces); the one kept says where it came from (`source`).
- A service segment deleted from the store stops being tracked (its definition leaves `segment`); the sizes
  already recorded stay in `segment_snapshot`, as after `siyu segment delete`.
- One that does not run on this warehouse is skipped with its reason in the run log; the run goes on (a version
  copied earlier, if any, is still tracked).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from siyu.config import Settings
from siyu.engine import Engine
from siyu.segment.store import delete_segment, list_segments, save_segment

SERVICE = "service"


@dataclass
class Adopted:
    """What copying the service's segments did, for the run log."""

    saved: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # a warehouse segment saved after the service's of that name
    skipped: list[str] = field(default_factory=list)  # "name: why"

    def detail(self) -> str:
        parts = [f"{label} {', '.join(names)}" for label, names in (
            ("copied", self.saved), ("no longer in the service", self.deleted),
            ("kept the warehouse's later save of", self.kept)) if names]
        if self.skipped:
            parts.append(f"{len(self.skipped)} not copied: " + "; ".join(self.skipped))
        return "service segments: " + "; ".join(parts) if parts else ""


def service_segments(engine: Engine, settings: Settings) -> list[dict[str, object]] | None:
    """The segments saved in this warehouse's operational store; None when it has no store (never served)."""
    import sqlalchemy as sa

    from siyu.store import existing_store, run_warehouse
    from siyu.store.tables import saved_segments

    store = existing_store(settings, run_warehouse(engine, settings))
    if store is None:
        return None
    try:
        with store.connect() as con:
            return [dict(r._mapping) for r in con.execute(sa.select(saved_segments).order_by(saved_segments.c.name))]
    finally:
        store.dispose()


def adopt(engine: Engine, served: list[dict[str, object]]) -> Adopted:
    """Bring the warehouse's segments in line with the service's: copy new and changed ones, drop the ones the
    service no longer has. `served`: rows of the store's `saved_segments` (updated_at naive UTC)."""
    out = Adopted()
    here = {str(s["name"]): s for s in list_segments(engine)}
    for row in served:
        name, expression, description = str(row["name"]), str(row["expression"]), str(row["description"] or "")
        old = here.get(name)
        if old is not None and (old["expression"], old["description"] or "") == (expression, description):
            continue
        saved_here_later = _utc(old["updated_at"]) >= _utc(row["updated_at"], local=False) if old else False
        if old is not None and old.get("source") != SERVICE and saved_here_later:
            out.kept.append(name)
            continue
        try:
            save_segment(engine, name, expression, description, source=SERVICE)
        except ValueError as exc:  # SegmentError, UserError: the reason, on one line
            out.skipped.append(f"{name}: {str(exc).splitlines()[0]}")
            continue
        out.saved.append(name)
    names = {str(r["name"]) for r in served}
    for name, seg in here.items():
        if seg.get("source") == SERVICE and name not in names:
            delete_segment(engine, name)
            out.deleted.append(name)
    return out


def _utc(stamp: object, local: bool = True) -> dt.datetime:
    """A timestamp as naive UTC: the warehouse's are naive local time (siyu.segment.tables.now), the store's
    naive UTC already (`local=False`)."""
    if not isinstance(stamp, dt.datetime):
        return dt.datetime.min
    return stamp.astimezone(dt.UTC).replace(tzinfo=None) if local else stamp
