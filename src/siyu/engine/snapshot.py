"""The published snapshot: what readers see while a writer works (the same rule as the service).

A writer works on the warehouse itself; when it finishes it publishes a copy, which readers open read-only. A
reader therefore never waits for a run and never sees half a run: it answers from the last completed one.

- DuckDB: the checkpointed warehouse file is copied to `<name>.partial` beside it and renamed over
  `<stem>.published<suffix>` (rename is atomic; a reader that has the old snapshot open keeps reading it).
- Spark: the lake's Parquet files are hard-linked (never rewritten in place, so a link is a copy that costs
  nothing) into a fresh folder (a generation), and the symlink `<lake>.published` is swapped to point at it.
  A reader that resolved the link a moment ago may still be listing the generation before, so a generation is
  deleted only when two newer ones exist and the one that replaced it was published GRACE_SECONDS ago: a
  reader has at least that long, and one more whole publication, to finish (`prune_lake`).
"""

from __future__ import annotations

import itertools
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from siyu.config import Settings
    from siyu.engine.base import Engine

#: Lake generations always kept: the current one and the one before it.
KEEP_GENERATIONS = 2
#: How long after a generation was replaced a reader may still be listing it.
GRACE_SECONDS = 600.0


def snapshot_path(warehouse: Path) -> Path:
    """Where the published snapshot of a warehouse file or a lake folder lives."""
    if warehouse.suffix and not warehouse.is_dir():
        return warehouse.with_name(f"{warehouse.stem}.published{warehouse.suffix}")
    return warehouse.with_name(warehouse.name + ".published")


def current_snapshot(warehouse: Path) -> Path | None:
    """The last published snapshot, or None when nothing has been published yet."""
    path = snapshot_path(warehouse)
    return path if path.exists() else None


def snapshot_version(warehouse: Path) -> tuple[int, int] | None:
    """Which publication the snapshot is (inode and modification time): its path never changes, a long-lived
    reader (the service) reconnects when this does."""
    path = current_snapshot(warehouse)
    if path is None:
        return None
    stat = path.resolve().stat()
    return stat.st_ino, stat.st_mtime_ns


def publish(warehouse: Path, prepare: Callable[[Path], object] | None = None) -> Path:
    """Publish the finished warehouse (closed or checkpointed by the caller, who holds the writer lock).

    `prepare` gets the DuckDB copy before readers can see it (the service's lookup indexes are built there, so
    the warehouse itself carries none and no request ever waits for one)."""
    if warehouse.is_dir():
        return _publish_lake(warehouse)
    target = snapshot_path(warehouse)
    partial = target.with_name(target.name + ".partial")
    copy_file(warehouse, partial)
    wal, partial_wal = Path(f"{warehouse}.wal"), Path(f"{partial}.wal")
    if wal.exists():  # a clean close leaves none; copy it if a crash left one so the copy is whole
        copy_file(wal, partial_wal)
    if prepare is not None:
        prepare(partial)  # opening the copy replays its WAL and closing it checkpoints
    if partial_wal.exists():
        os.replace(partial_wal, Path(f"{target}.wal"))
    else:
        Path(f"{target}.wal").unlink(missing_ok=True)
    os.replace(partial, target)
    return target


_FICLONE = 0x40049409  # Linux ioctl: share the source's blocks (copy on write), as `cp --reflink` does


def copy_file(source: Path, dest: Path) -> str:
    """Copy a file; where the file system shares blocks between files (Btrfs, XFS, ZFS 2.2, APFS via the OS's
    copy) the copy costs no disk until the warehouse changes, elsewhere (ext4) it is a whole second copy.
    Returns "clone" or "copy" (docs/cli.md gives the disk cost of each)."""
    try:
        import fcntl

        with open(source, "rb") as src, open(dest, "wb") as dst:
            fcntl.ioctl(dst.fileno(), _FICLONE, src.fileno())
        return "clone"
    except (ImportError, OSError):
        shutil.copyfile(source, dest)
        return "copy"


def _publish_lake(lake: Path) -> Path:
    link = snapshot_path(lake)
    fresh = lake.with_name(f"{lake.name}.published-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}")
    partial = fresh.with_name(fresh.name + ".partial")
    for folder in sorted(p for p in lake.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        for source in folder.rglob("*"):
            if source.is_file():
                dest = partial / folder.name / source.relative_to(folder)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.link(source, dest)
    partial.mkdir(exist_ok=True)
    partial.rename(fresh)
    tmp_link = link.with_name(link.name + f".{uuid.uuid4().hex[:8]}")
    tmp_link.symlink_to(fresh.name)
    os.replace(tmp_link, link)
    prune_lake(lake)
    return link


def generations(lake: Path) -> list[Path]:
    """The lake's published generations, oldest first (an unfinished `.partial` is none)."""
    prefix = f"{lake.name}.published-"
    found = [p for p in lake.parent.iterdir()
             if p.name.startswith(prefix) and not p.name.endswith(".partial") and p.is_dir() and not p.is_symlink()]
    return sorted(found, key=_published_at)


def _published_at(generation: Path) -> float:
    """When a generation was published: its name holds the time (a generation named before names did, by its
    folder's modification time)."""
    stamp = generation.name.rsplit(".published-", 1)[-1].split("-")[0]
    return int(stamp) / 1e9 if len(stamp) == 20 and stamp.isdigit() else generation.stat().st_mtime


def prune_lake(lake: Path, now: float | None = None) -> list[Path]:
    """Delete the generations no reader can still be listing; returns them. One is kept while it is among the
    KEEP_GENERATIONS newest, or while the generation that replaced it is younger than GRACE_SECONDS."""
    now = time.time() if now is None else now
    current = snapshot_path(lake).resolve() if snapshot_path(lake).is_symlink() else None
    found = generations(lake)
    gone = []
    # (older, the one that replaced it) for every generation but the KEEP_GENERATIONS newest
    for older, newer in itertools.pairwise(found[: max(0, len(found) - KEEP_GENERATIONS + 1)]):
        if older.resolve() != current and now - _published_at(newer) >= GRACE_SECONDS:
            shutil.rmtree(older, ignore_errors=True)
            gone.append(older)
    return gone


def open_published(settings: Settings, warehouse: Path, engine: str | None = None) -> Engine | None:
    """The last published snapshot opened read-only, or None when nothing has been published yet."""
    from siyu.engine.factory import engine_name, open_engine, store_path

    snapshot = current_snapshot(store_path(settings, warehouse, engine))
    if snapshot is None:
        return None
    if engine_name(settings, engine) == "spark":
        return open_engine(settings, warehouse, "spark", lake=snapshot.resolve())
    return open_engine(settings, snapshot, "duckdb", read_only=True)
