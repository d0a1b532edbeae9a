"""The writer lock and the published snapshot, with real processes: one writer at a time, and a reader that sees
the last published warehouse whatever a writer is doing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from siyu.engine import Engine
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.engine.lock import writer_lock
from siyu.engine.snapshot import (
    GRACE_SECONDS,
    KEEP_GENERATIONS,
    copy_file,
    current_snapshot,
    generations,
    prune_lake,
    publish,
    snapshot_version,
)
from siyu.errors import WarehouseBusy
from siyu.schema import migrate

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from siyu.engine.lock import writer_lock
    with writer_lock(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(60)
    """
)


def _holder(warehouse: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(warehouse)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_writer_is_refused_naming_the_holder_and_the_lock_dies_with_it(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    proc = _holder(warehouse)
    try:
        with pytest.raises(WarehouseBusy) as busy, writer_lock(warehouse):
            pass
        assert f"pid {proc.pid} since " in str(busy.value) and busy.value.exit_code == 4
    finally:
        proc.kill()  # kill -9: the kernel drops the lock, nothing stale is left behind
        proc.wait()
    with writer_lock(warehouse):
        pass


def _warehouse_with(path: Path, marker: int) -> None:
    eng = DuckDBEngine(path)
    migrate(eng)
    eng.execute(f"CREATE OR REPLACE TABLE marker AS SELECT {marker} AS v")
    eng.close()


def test_a_reader_keeps_the_published_snapshot_while_the_warehouse_changes(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    assert current_snapshot(warehouse) is None
    _warehouse_with(warehouse, 1)
    snap = publish(warehouse)
    assert current_snapshot(warehouse) == snap and not snap.with_name(snap.name + ".partial").exists()
    reader = DuckDBEngine(snap, read_only=True)
    writer = DuckDBEngine(warehouse)  # a writer works while the reader is open: neither waits for the other
    writer.execute("CREATE OR REPLACE TABLE marker AS SELECT 2 AS v")
    writer.close()
    assert reader.scalar("SELECT v FROM marker") == 1
    first = snapshot_version(warehouse)
    publish(warehouse)
    assert snapshot_version(warehouse) != first  # same path, a new publication: long-lived readers reconnect
    assert reader.scalar("SELECT v FROM marker") == 1  # an open reader keeps its snapshot
    reader.close()
    again = DuckDBEngine(snap, read_only=True)
    assert again.scalar("SELECT v FROM marker") == 2
    with pytest.raises(Exception, match="read-only"):
        again.execute("CREATE TABLE x AS SELECT 1")
    again.close()


def test_the_lake_snapshot_is_hard_linked_and_survives_a_rewrite(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    (lake / "orders").mkdir(parents=True)
    part = lake / "orders" / "part-0.parquet"
    part.write_bytes(b"one")
    link = publish(lake)
    first = link.resolve()
    assert (first / "orders" / "part-0.parquet").stat().st_ino == part.stat().st_ino
    part.unlink()  # the writer swaps in a new folder; the snapshot still has the old file
    (lake / "orders" / "part-1.parquet").write_bytes(b"two")
    assert (first / "orders" / "part-0.parquet").read_bytes() == b"one"
    publish(lake)
    assert sorted(p.name for p in (link / "orders").iterdir()) == ["part-1.parquet"]
    assert (first / "orders" / "part-0.parquet").read_bytes() == b"one"  # a reader may still be listing it


def test_an_old_lake_generation_outlives_a_reader_that_may_still_list_it(tmp_path: Path) -> None:
    """A Spark reader resolves `<lake>.published` and lists the generation's folders later: publishing again
    (twice, quickly) must not delete what it lists. Only a generation with two newer ones, replaced more than
    GRACE_SECONDS ago, goes."""
    lake = tmp_path / "lake"
    (lake / "orders").mkdir(parents=True)
    (lake / "orders" / "part-0.parquet").write_bytes(b"0")
    reader = publish(lake).resolve()  # what a reader resolved, before it lists
    made = [reader]
    for i in (1, 2, 3):
        (lake / "orders" / f"part-{i - 1}.parquet").unlink()
        (lake / "orders" / f"part-{i}.parquet").write_bytes(str(i).encode())
        made.append(publish(lake).resolve())
    assert generations(lake) == made  # three publications within the grace period: nothing deleted
    assert [p.name for p in (reader / "orders").iterdir()] == ["part-0.parquet"]
    assert (reader / "orders" / "part-0.parquet").read_bytes() == b"0"
    assert prune_lake(lake, now=time.time() + GRACE_SECONDS - 5) == []  # its successor is not old enough yet
    gone = prune_lake(lake, now=time.time() + GRACE_SECONDS + 1)
    assert gone == made[:-KEEP_GENERATIONS] and generations(lake) == made[-KEEP_GENERATIONS:]
    assert not reader.exists()
    link = lake.with_name("lake.published")
    assert link.resolve() == made[-1] and (link / "orders" / "part-3.parquet").read_bytes() == b"3"
    assert (made[-2] / "orders" / "part-2.parquet").read_bytes() == b"2"  # the one before stays, whatever the time
    assert prune_lake(lake, now=time.time() + 100 * GRACE_SECONDS) == []


def test_a_writer_publishes_a_snapshot_with_the_services_lookup_indexes(tmp_path: Path) -> None:
    """The service looks persons up by id and phone on the published copy: the writer indexes that copy (not the
    warehouse it keeps writing), so the first request after a run does not scan the tables."""
    import duckdb

    from siyu.config import load_settings
    from siyu.pipeline.access import writing

    (tmp_path / "siyu.toml").write_text("", encoding="utf-8")
    settings = load_settings(tmp_path / "siyu.toml")
    warehouse = tmp_path / "w.duckdb"
    with writing(settings, warehouse, must_exist=False) as engine:
        engine.execute("CREATE TABLE person_profile AS SELECT 'P1' AS person_id, 'S1' AS owner_staff_id, "
                       "'T1' AS owner_store_id")

    def indexes(path: Path) -> set[str]:
        con = duckdb.connect(str(path), read_only=True)
        try:
            return {r[0] for r in con.execute("SELECT index_name FROM duckdb_indexes()").fetchall()}
        finally:
            con.close()

    published = current_snapshot(warehouse)
    assert published is not None
    assert indexes(published) == {"serve_person_profile_person_id", "serve_person_profile_owner_staff_id",
                                  "serve_person_profile_owner_store_id"}
    assert indexes(warehouse) == set()


def test_publishing_copies_the_file_whole_by_sharing_blocks_where_it_can(tmp_path: Path) -> None:
    """The snapshot copy shares the warehouse's blocks on a file system that clones (no second copy on disk),
    else is an ordinary copy; either way it is the same bytes."""
    source = tmp_path / "w.duckdb"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    how = copy_file(source, tmp_path / "copy.duckdb")
    assert how in ("clone", "copy")
    assert (tmp_path / "copy.duckdb").read_bytes() == source.read_bytes()
    source.write_bytes(b"changed")  # a clone is copy-on-write: the copy keeps its bytes
    assert (tmp_path / "copy.duckdb").stat().st_size == 3 * 1024 * 1024 + 17


def test_a_spark_reader_of_an_old_generation_still_reads_it_after_two_publications(
    spark: Engine, tmp_path: Path
) -> None:
    """A Spark reader lists a generation's files when it opens and reads them when it queries; two publications
    in between (a run, then a `segment save`) must leave it able to read what it opened."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from siyu.engine.spark_engine import SparkEngine

    lake = tmp_path / "w-lake"

    def write(values: list[int]) -> None:  # as the writer does: a fresh folder swapped in for the table
        staged = lake / f"_staging_{len(values)}"
        staged.mkdir(parents=True)
        pq.write_table(pa.table({"x": values}), staged / "part-0.parquet")
        if (lake / "t").exists():
            (lake / "t").rename(lake / f"_trash_{len(values)}")
            shutil.rmtree(lake / f"_trash_{len(values)}")
        staged.rename(lake / "t")

    write([1, 2, 3])
    reader = SparkEngine(publish(lake).resolve())  # resolved the link, listed the files
    try:
        for values in ([10, 20], [100, 200, 300, 400]):
            write(values)
            publish(lake)
        assert reader.scalar("SELECT sum(x) FROM t") == 6  # its generation is still there, unchanged
    finally:
        reader.close()
