"""Saved segments, member snapshots per run, masked exports, and the `siyu segment` / `siyu tags` commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_profile_columns import open_world
from typer.testing import CliRunner

from siyu.config import Settings
from siyu.engine import Engine, EngineError
from siyu.profile import run_profile
from siyu.segment import SegmentError, run_segments, run_tags
from siyu.segment.export import export, members
from siyu.segment.store import get_segment, history, list_segments, save_segment


def built(path: Path, settings: Settings | None = None) -> Engine:
    engine = open_world(path)
    run_profile(engine, settings or Settings())
    run_tags(engine, settings or Settings())
    return engine


def test_save_list_replace_and_refuse_bad_expressions(tmp_path: Path) -> None:
    engine = built(tmp_path / "w.duckdb")
    assert save_segment(engine, "ice", "preferred_material = '冰丝'", "冰丝 lovers") is False
    assert save_segment(engine, "ice", "preferred_material = '冰丝' and orders >= 2") is True
    assert [(s["name"], s["expression"]) for s in list_segments(engine)] == [
        ("ice", "preferred_material = '冰丝' and orders >= 2")]
    with pytest.raises(SegmentError, match="unknown column"):
        save_segment(engine, "bad", "preferd_material = '冰丝'")
    with pytest.raises(ValueError, match="segment name"):
        save_segment(engine, "no spaces; please", "orders > 1")
    with pytest.raises(ValueError, match="no segment named 'icee'; did you mean 'ice'"):
        get_segment(engine, "icee")
    engine.close()


def test_members_are_masked_unless_asked(tmp_path: Path) -> None:
    engine = built(tmp_path / "w.duckdb")
    save_segment(engine, "buyers", "orders >= 1 and phone is not null")
    masked = {r["person_id"]: r for r in members(engine, "buyers").to_pylist()}
    assert (masked["alice"]["name"], masked["alice"]["phone"]) == ("王*", "138****0001")
    assert masked["bob"]["phone"] == "139****0002"
    clear = {r["person_id"]: r for r in members(engine, "buyers", unmask=True).to_pylist()}
    assert (clear["alice"]["name"], clear["alice"]["phone"]) == ("王丽", "13800000001")
    engine.close()


def test_export_csv_and_xlsx(tmp_path: Path) -> None:
    engine = built(tmp_path / "w.duckdb")
    save_segment(engine, "buyers", "orders >= 1")
    assert export(engine, "buyers", tmp_path / "out.csv") == 5
    text = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    assert "13800000001" not in text and "138****0001" in text and "王*" in text
    assert export(engine, "buyers", tmp_path / "out.xlsx", unmask=True) == 5
    sheet = load_workbook(tmp_path / "out.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("person_id", "name", "phone") and ("alice", "王丽", "13800000001") in [r[:3] for r in rows]
    with pytest.raises(ValueError, match=r"\.csv or \.xlsx"):
        export(engine, "buyers", tmp_path / "out.json")
    engine.close()


def test_snapshots_per_run_record_size_and_who_entered_or_exited(tmp_path: Path) -> None:
    may = Settings(sections={"profile": {"as_of": "2026-05-15"}})
    engine = built(tmp_path / "w.duckdb", may)
    save_segment(engine, "sleepers", "has_tag('sleeping')")
    save_segment(engine, "active", "has_tag('active')")
    assert run_segments(engine, may, run_id="r1")[:2] == (2, 3)  # active: alice, dave, frank; sleeping: nobody
    run_profile(engine, Settings())
    run_tags(engine, Settings())
    run_segments(engine, Settings(), run_id="r2")
    sizes = [(h["run_id"], h["members"], h["entered"], h["exited"]) for h in history(engine, "active")]
    assert sizes == [("r1", 3, 3, 0), ("r2", 2, 0, 1)]  # dave exited (he is sleeping now)
    assert [(h["members"], h["entered"]) for h in history(engine, "sleepers")] == [(0, 0), (1, 1)]
    who = engine.query("SELECT person_id FROM segment_member WHERE segment = 'sleepers' AND run_id = 'r2'")
    assert who.column(0).to_pylist() == ["dave"]
    engine.close()


def test_cli_count_save_list_members_export(tmp_path: Path) -> None:
    from siyu.cli.main import app

    engine = built(tmp_path / "w.duckdb")
    engine.close()
    runner = CliRunner()
    w = ["--warehouse", str(tmp_path / "w.duckdb")]
    out = runner.invoke(app, ["segment", "count", "orders >= 2", *w])
    assert out.exit_code == 0 and out.stdout.strip().endswith("4")
    out = runner.invoke(app, ["segment", "save", "repeat", "orders >= 2", *w])
    assert out.exit_code == 0 and "4 members" in out.stdout
    assert "repeat" in runner.invoke(app, ["segment", "list", *w]).stdout
    shown = runner.invoke(app, ["segment", "members", "repeat", *w], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "王*" in shown.stdout and "王丽" not in shown.stdout
    out = runner.invoke(app, ["segment", "export", "repeat", "--out", str(tmp_path / "r.csv"), *w])
    assert out.exit_code == 0 and (tmp_path / "r.csv").exists()
    tags = runner.invoke(app, ["tags", "list", *w], env={"COLUMNS": "200"})
    assert tags.exit_code == 0 and "sleeping" in tags.stdout


def test_cli_bad_expression_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    from siyu.cli.main import app

    built(tmp_path / "w.duckdb").close()
    out = CliRunner().invoke(app, ["segment", "count", "1; drop table person_profile",
                                   "--warehouse", str(tmp_path / "w.duckdb")])
    assert out.exit_code == 2 and "not several statements" in out.stderr and "Traceback" not in out.stderr
    out = CliRunner().invoke(app, ["segment", "members", "nope", "--warehouse", str(tmp_path / "w.duckdb")])
    assert out.exit_code == 2 and "no segment named 'nope'" in out.stderr


# --- issue 18: a bad saved segment never poisons later runs ---------------------------------------------------
def test_cli_save_of_a_segment_that_cannot_run_stores_nothing(tmp_path: Path) -> None:
    from siyu.cli.main import app

    built(tmp_path / "w.duckdb").close()
    w = ["--warehouse", str(tmp_path / "w.duckdb")]
    for expression, message in [("last_order_date > DATE '2026-02-30'", "'2026-02-30' is not a real date"),
                                ("month(orders) = 1", "does not run on this warehouse"),
                                ("orders > 1 -- and drop", "comments are not part")]:
        out = CliRunner().invoke(app, ["segment", "save", "bad", expression, *w])
        assert out.exit_code == 2 and message in out.stderr and "Traceback" not in out.stderr
    engine = open_world(tmp_path / "w.duckdb")
    assert list_segments(engine) == []
    engine.close()


def _store_as_an_old_version_did(engine: Engine, rows: list[tuple[str, str]]) -> None:
    """Saved segments written straight to the table, as versions before the grammar's checks could."""
    import datetime as dt

    import pyarrow as pa

    from siyu.segment.tables import SEGMENT, ensure_tables

    ensure_tables(engine)
    stamp = dt.datetime(2026, 1, 1)
    engine.write_arrow("segment", pa.Table.from_pylist(
        [{"name": n, "expression": e, "description": "", "created_at": stamp, "updated_at": stamp} for n, e in rows],
        schema=SEGMENT), mode="replace")


def test_a_bad_stored_segment_is_skipped_with_its_reason_and_the_others_are_snapshotted(tmp_path: Path) -> None:
    engine = built(tmp_path / "w.duckdb")
    _store_as_an_old_version_did(engine, [
        ("bad_date", "last_order_date > DATE '2026-02-30'"), ("bad_type", "month(orders) = 1"),
        ("comment", "orders >= 2 -- old"), ("repeat", "orders >= 2")])
    segments, rows, message = run_segments(engine, Settings(), run_id="r1")
    assert (segments, rows) == (1, 4)
    assert "3 skipped" in message and "bad_date: '2026-02-30' is not a real date (at character 24)" in message
    assert "bad_type: query failed: Binder Error" in message and "SELECT" not in message
    done = {r["segment"]: r for r in engine.query("SELECT * FROM segment_snapshot").to_pylist()}
    assert done["repeat"]["members"] == 4 and done["repeat"]["skipped"] is None
    assert done["comment"]["members"] is None and "comments are not part" in done["comment"]["skipped"]
    assert history(engine, "bad_type")[0]["skipped"].startswith("query failed: Binder Error")
    members = engine.query("SELECT DISTINCT segment FROM segment_member").column(0).to_pylist()
    assert members == ["repeat"]
    # the next run compares with the last run that snapshotted the segment, not the skipped one
    _store_as_an_old_version_did(engine, [("bad_date", "orders >= 3"), ("repeat", "orders >= 2")])
    run_segments(engine, Settings(), run_id="r2")
    assert [(h["run_id"], h["members"], h["entered"]) for h in history(engine, "bad_date")] == [
        ("r1", None, None), ("r2", 2, 2)]
    engine.close()


def test_a_snapshot_is_one_transaction(tmp_path: Path) -> None:
    """A fault while recording sizes (here: a segment_snapshot whose `members` column cannot hold a count)
    leaves no member rows of that run behind."""
    engine = built(tmp_path / "w.duckdb")
    save_segment(engine, "repeat", "orders >= 2")
    save_segment(engine, "ice", "preferred_material = '冰丝'")
    engine.drop_table("segment_snapshot")
    engine.execute("CREATE TABLE segment_snapshot (segment VARCHAR, run_id VARCHAR, as_of DATE, "  # type: ignore[attr-defined]
                   "snapshot_at TIMESTAMP, members DATE, entered BIGINT, exited BIGINT, skipped VARCHAR)")
    with pytest.raises(EngineError, match="appending to segment_snapshot failed"):
        run_segments(engine, Settings(), run_id="r1")
    assert engine.row_count("segment_member") == 0
    engine.close()
