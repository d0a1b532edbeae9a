"""Hostile names through every place siyu builds SQL from outside text, on DuckDB and on Spark (issue 18 §2).

Quotes, backticks, semicolons, `--`, newlines, `${…}`, 10 KB names, Chinese and emoji go in as tag names
(rules and manual lists), segment names and expressions, run ids, staff ids, mapping sources, channels and
headers, CSV headers and a config setting. Each one is either stored exactly as given or refused with a clear
message; none is ever executed (the warehouse keeps all its tables, and no statement's text changes).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest
from test_profile_columns import open_world

from siyu.config import Settings
from siyu.engine import Engine, EngineError
from siyu.metrics.funnel import script_dropoff
from siyu.profile import run_profile
from siyu.profile.facts import INPUTS
from siyu.segment import SegmentError, run_segments, run_tags
from siyu.segment.manual import import_tags
from siyu.segment.store import count, history, list_segments, save_segment

HOSTILE = [
    "it's", 'say "hi"', "back`tick", "x; DROP TABLE person_profile", "x' OR '1'='1", "a -- comment",
    "/* c */", "two\nlines", "${HOME}", "$1 :x ?", "back\\slash", "王丽华", "冰丝🩱✨", "x" * 10_240,
]
SHORT = [h for h in HOSTILE if len(h) <= 500]  # the segment language's limit for one quoted text


def _quoted(text: str) -> str:
    """How a user writes text in the segment language (docs/segments.md): single quotes, a quote doubled."""
    return "'" + text.replace("'", "''") + "'"


def _tables_intact(engine: Engine, before: list[str]) -> None:
    assert set(before) <= set(engine.tables())
    assert engine.row_count("person_profile") == 6


def exercise_tags_segments_and_ids(engine: Engine, root: Path) -> None:
    """Tag rules and manual tags, segment names and expressions, run ids and staff ids on one engine."""
    before = engine.tables()
    rules = "".join(f"[[tag]]\nname = {json.dumps(h, ensure_ascii=False)}\npredicate = \"orders >= 2\"\n\n"
                    for h in HOSTILE)
    (root / "tags.toml").write_text(rules, encoding="utf-8")
    with (root / "manual.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["person_id", "tag"])
        writer.writerows(["alice", f"m:{h}"] for h in HOSTILE)
    settings = Settings(root=root)
    assert import_tags(engine, root / "manual.csv")[0] == len(HOSTILE)
    run_tags(engine, settings)
    held = engine.query("SELECT tag, count(*) AS n FROM person_tag WHERE source IN ('rule', 'manual') "
                        "GROUP BY tag").to_pylist()
    assert {r["tag"]: r["n"] for r in held} == {**{h: 4 for h in HOSTILE}, **{f"m:{h}": 1 for h in HOSTILE}}
    # has_tag() reads them back exactly; a text past the language's limit is refused, not cut
    repeat = count(engine, "orders >= 2")
    either = " or ".join(f"has_tag({_quoted(h)})" for h in SHORT[:6])
    assert count(engine, either) == repeat
    assert all(count(engine, f"has_tag({_quoted('m:' + h)})") == 1 for h in SHORT[6:])
    with pytest.raises(SegmentError, match="characters long; the limit is 4000"):
        count(engine, f"has_tag({_quoted(HOSTILE[-1])})")
    with pytest.raises(SegmentError, match="at most 500 characters"):
        count(engine, f"has_tag({_quoted(HOSTILE[-1][:501])})")

    # segment names: the documented characters are stored exactly, anything else is refused by name
    for bad in [h for h in HOSTILE if h not in ("王丽华",)]:
        with pytest.raises(ValueError, match="segment name"):
            save_segment(engine, bad, "orders >= 2")
    save_segment(engine, "王丽华", "orders >= 2")
    # expressions holding hostile text are stored as written and run as written
    for i, h in enumerate(SHORT):
        save_segment(engine, f"s{i}", f"has_tag({_quoted(h)}) or city = {_quoted(h)}")
    saved = {s["name"]: s["expression"] for s in list_segments(engine)}
    assert saved["s3"] == "has_tag('x; DROP TABLE person_profile') or city = 'x; DROP TABLE person_profile'"
    assert saved["s7"] == "has_tag('two\nlines') or city = 'two\nlines'"

    # run ids are bound values: stored exactly, compared exactly on the next run
    first, second = HOSTILE[4], HOSTILE[8]
    assert run_segments(engine, settings, run_id=first)[:2] == (len(SHORT) + 1, 4 * (len(SHORT) + 1))
    run_segments(engine, settings, run_id=second)
    assert [(r["run_id"], r["members"], r["entered"], r["exited"]) for r in history(engine, "s0")] == [
        (first, 4, 4, 0), (second, 4, 0, 0)]
    stored = engine.query("SELECT DISTINCT run_id FROM segment_member ORDER BY run_id").column(0).to_pylist()
    assert stored == sorted([first, second])

    # a staff id chosen on the command line is a bound value
    day = dt.date(2026, 6, 1)
    engine.write_arrow("mx_script", pa.table({
        "day": [day] * 4, "staff_id": [HOSTILE[0], HOSTILE[0], HOSTILE[4], "S1"],
        "script_line_id": [1, 2, 1, 1], "replied": [True, False, True, True]}), mode="replace")
    assert [(r["script_line_id"], r["sent"]) for r in script_dropoff(engine, HOSTILE[0], day, day)] == [(1, 1), (2, 1)]
    assert [r["sent"] for r in script_dropoff(engine, HOSTILE[4], day, day)] == [1]
    assert script_dropoff(engine, "x' OR 'a'='a", day, day) == []
    _tables_intact(engine, before)


def exercise_mapping(engine: Engine, root: Path) -> None:
    """Mappings whose source, channel, headers and map values are hostile: stored exactly or refused."""
    before = engine.tables()
    headers = ['订单"号', "user`id", "amount;--", "st\natus", "${time}"]
    status = "已收货'); DROP TABLE raw_order; --"
    for i, (source, channel) in enumerate([("pdd'; DROP TABLE raw_order; --", "tmall"),
                                           ("src`2", "ch'an;--nel\n${x}")]):
        _import_hostile(engine, root / f"hostile{i}", source, channel, headers, status)
    _tables_intact(engine, before)


def _import_hostile(engine: Engine, base: Path, source: str, channel: str, headers: list[str], status: str) -> None:
    from siyu.ingest.importer import import_file
    from siyu.ingest.mapping import MappingError

    fields = dict(zip(["order_id", "channel_uid", "amount_paid", "status", "created_at"], headers, strict=True))
    types = {"order_id": "id", "channel_uid": "id", "amount_paid": "amount", "status": "map", "created_at": "datetime"}
    lines = [f"source = {json.dumps(source)}", f"channel = {json.dumps(channel)}", "", "[fields]"]
    for name, header in fields.items():
        extra = ', map = "s"' if name == "status" else ""
        lines.append(f'{name} = {{ headers = [{json.dumps(header, ensure_ascii=False)}], type = "{types[name]}", '
                     f"required = true{extra} }}")
    lines += ["", "[maps.s]", f"{json.dumps(status, ensure_ascii=False)} = \"paid\"", "",
              "[[targets]]", 'table = "raw_order"', f"fields = {json.dumps(list(fields))}"]
    base.with_suffix(".toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with base.with_suffix(".csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerow(["o'1", 'u"1', "19.9", status, "2026-03-01 08:00:00"])
    try:
        report = import_file(engine, base.with_suffix(".toml"), base.with_suffix(".csv"))
    except (MappingError, ValueError) as exc:  # refused: then with a message naming the mapping
        assert base.name in str(exc) and "Traceback" not in str(exc)
        return
    assert report.rows_loaded == 1, report.problems
    row = engine.query("SELECT order_id, channel_uid, channel, status, _source FROM raw_order WHERE _source = $s",
                       {"s": source}).to_pylist()
    assert row == [{"order_id": "o'1", "channel_uid": 'u"1', "channel": channel, "status": "paid", "_source": source}]


def test_hostile_names_on_duckdb(tmp_path: Path) -> None:
    engine = open_world(tmp_path / "w.duckdb")
    run_profile(engine, Settings())
    exercise_tags_segments_and_ids(engine, tmp_path)
    exercise_mapping(engine, tmp_path)
    engine.close()


def test_hostile_csv_headers_for_clv(tmp_path: Path) -> None:
    from siyu.clv.transactions import Columns, load_transactions

    customer, date, amount = 'cust"omer', "date`; DROP TABLE t; --", "amount's\n(元)"
    path = tmp_path / "t.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([[customer, date, amount], ["c1", "2026-01-02", "10"], ["c1", "2026-02-03", "5"]])
    table = load_transactions(path, Columns(customer, date, amount))
    assert table.column("customer_id").to_pylist() == ["c1", "c1"]
    assert table.column("amount").to_pylist() == [10.0, 5.0]


def test_a_hostile_memory_limit_setting_is_refused_not_run(tmp_path: Path) -> None:
    from siyu.engine.duckdb_engine import DuckDBEngine

    with pytest.raises(EngineError, match="setting memory_limit failed"):
        DuckDBEngine(tmp_path / "w.duckdb", memory_limit="1GB'; CREATE TABLE pwned (x INT); --")
    with DuckDBEngine(tmp_path / "w.duckdb") as engine:
        assert "pwned" not in engine.tables()


@pytest.mark.spark
def test_hostile_names_on_spark(spark: Engine, tmp_path: Path) -> None:
    duck = open_world(tmp_path / "w.duckdb")
    for name in [*INPUTS, "person_map"]:
        spark.write_arrow(name, duck.read_arrow(name), mode="replace")
    duck.close()
    run_profile(spark, Settings())
    exercise_tags_segments_and_ids(spark, tmp_path)
    exercise_mapping(spark, tmp_path)
