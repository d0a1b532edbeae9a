"""One writer at a time: an OS file lock beside the warehouse, held for the whole of a run or an import.

The lock is `flock` on `<warehouse>.lock`, so the kernel releases it when the holder exits, however it exits
(kill -9 included): there is never a stale lock to clean up by hand. The holder writes its pid and start time
into the file so a second writer can say who is in the way.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from siyu.errors import WarehouseBusy


def lock_path(warehouse: Path) -> Path:
    """The lock file of a warehouse file or a Spark lake folder."""
    return warehouse.with_name(warehouse.name + ".lock")


def holder(warehouse: Path) -> str:
    """Who holds the lock, as 'pid N since TIME', read from the lock file ('' when it says nothing)."""
    try:
        text = lock_path(warehouse).read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    pid, _, since = text.partition(" ")
    return f"pid {pid} since {since}" if pid else ""


def is_locked(warehouse: Path) -> bool:
    """Whether a writer holds the warehouse now (a reader uses it to explain why the snapshot is older)."""
    import fcntl

    path = lock_path(warehouse)
    if not path.exists():
        return False
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


@contextmanager
def writer_lock(warehouse: Path) -> Iterator[None]:
    """Hold the warehouse for writing, or raise WarehouseBusy naming the holder's pid and start time."""
    import fcntl

    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the whole block
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = holder(warehouse) or "another process"
            raise WarehouseBusy(
                f"a run or import is in progress on {warehouse} ({who}); try again when it has finished"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {dt.datetime.now().astimezone().isoformat(timespec='seconds')}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()
