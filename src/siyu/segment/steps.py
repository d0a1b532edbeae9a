"""The pipeline steps of the segment layer: `tags` (see tagging.py) and `segments` (member snapshots)."""

from __future__ import annotations

from siyu.config import Settings
from siyu.engine import Engine
from siyu.segment.served import adopt, service_segments
from siyu.segment.store import snapshot
from siyu.segment.tagging import run_tags


def run_segments(engine: Engine, settings: Settings, run_id: str | None = None) -> tuple[int, int, str]:
    """Snapshot every saved segment's members for this run, the service's included (copied first, see
    siyu.segment.served); returns (segments, member rows, message)."""
    if not engine.table_exists("person_profile"):
        return 0, 0, "no person_profile yet: run the profile step first"
    served = service_segments(engine, settings)
    copied = adopt(engine, served).detail() if served is not None else ""
    segments, rows, skipped = snapshot(engine, run_id)
    message = f"{segments} saved segment(s) snapshotted" if segments or skipped else "no saved segments"
    if skipped:
        message += f"; {len(skipped)} skipped: " + "; ".join(skipped)
    return segments, rows, f"{message}; {copied}" if copied else message


__all__ = ["run_segments", "run_tags"]
