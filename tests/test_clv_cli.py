"""`siyu clv fit` on files, as a user runs it: results, JSON, report, and clear messages for bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import clv_reference as ref
import pytest
from typer.testing import CliRunner

from siyu.cli.main import app

runner = CliRunner()
FIT = ["clv", "fit"]


@pytest.fixture
def cdnow_csv(cdnow_path: Path, tmp_path: Path) -> Path:
    out = tmp_path / "cdnow.csv"
    lines = ["customer,date,cds,dollars"]
    for ln in cdnow_path.read_text().splitlines():
        c, _, d, n, v = ln.split()
        lines.append(f"{c},{d[:4]}-{d[4:6]}-{d[6:]},{n},{v}")
    out.write_text("\n".join(lines) + "\n")
    return out


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*FIT, *args])
    return result.exit_code, result.output


def test_fit_cdnow_csv_prints_published_parameters_and_holdout(cdnow_csv: Path, tmp_path: Path) -> None:
    report = tmp_path / "clv.html"
    code, out = _run(str(cdnow_csv), "--customer", "customer", "--date", "date", "--amount", "dollars",
                     "--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30", "--report", str(report))
    assert code == 0, out
    assert "2,357 customers, 1,411 without a repeat purchase" in out
    assert re.search(r"alpha\s+│\s+4\.4136", out) and re.search(r"beta\s+│\s+11\.66", out)
    assert "Pareto/NBD ✓" in out and "0.7545" in out
    html = report.read_text()
    assert "<svg" in html and "Weekly cumulative repeat purchases" in html and "http" not in html.split("<svg")[0]


def test_fit_json_for_machines(cdnow_csv: Path) -> None:
    code, out = _run(str(cdnow_csv), "--customer", "customer", "--date", "date",
                     "--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30", "--model", "bgnbd", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["chosen"] == "bgnbd" and data["customers"] == ref.CDNOW_CUSTOMERS
    zero = data["evaluations"][0]["by_frequency"][0]
    assert zero["x"] == "0" and zero["customers"] == ref.CDNOW_ZERO_REPEATERS
    assert zero["actual"] == pytest.approx(0.2367, abs=1e-4) and zero["predicted"] == pytest.approx(0.225, abs=1e-3)
    fit = data["fits"][0]
    assert fit["converged"] and {k: round(v, 3) for k, v in fit["params"].items()} == ref.BGNBD_CDNOW
    assert fit["log_likelihood"] == pytest.approx(ref.BGNBD_CDNOW_LL, abs=0.1)
    assert 3 * fit["std_errors"]["b"] < fit["params"]["b"]


def test_whitespace_text_without_header(cdnow_path: Path) -> None:
    code, out = _run(str(cdnow_path), "--customer", "col1", "--date", "col3", "--calibration-end", "1998-06-30",
                     "--model", "pnbd", "--unit", "days")
    assert code == 0, out
    assert "2,357 customers" in out


def _bad(tmp_path: Path, body: str, *extra: str) -> str:
    f = tmp_path / "tx.csv"
    f.write_text("id,day,value\n" + body)
    code, out = _run(str(f), "--customer", "id", "--date", "day", "--amount", "value",
                     "--calibration-end", "2024-03-31", *extra)
    assert code == 2, out
    assert "Traceback" not in out
    return " ".join(out.split())


def test_unparsable_date_names_file_row_and_column(tmp_path: Path) -> None:
    out = _bad(tmp_path, "a,2024-01-01,10\na,2024-13-45,10\nb,yesterday,5\n")
    assert "tx.csv" in out and "column 'day': unparsable date (e.g. '2024-13-45')" in out and "rows 3, 4" in out


def test_negative_and_missing_amounts(tmp_path: Path) -> None:
    out = _bad(tmp_path, "a,2024-01-01,10\na,2024-01-05,-5\n")
    assert "column 'value': negative amount (e.g. '-5') in row 3" in out
    assert "column 'value': missing amount in row 2" in _bad(tmp_path, "a,2024-01-01,\na,2024-01-05,5\n")
    assert "not a number (e.g. 'ten')" in _bad(tmp_path, "a,2024-01-01,ten\n")


def test_dates_past_the_calibration_end_are_named(tmp_path: Path) -> None:
    out = _bad(tmp_path, "a,2024-01-01,10\na,2024-05-01,10\nb,2024-02-01,3\n")
    assert "1 row(s) dated after the calibration end 2024-03-31 (row 3)" in out and "--holdout-end" in out


def test_all_customers_with_one_purchase_is_degenerate(tmp_path: Path) -> None:
    body = "".join(f"c{i},2024-01-{i % 28 + 1:02d},10\n" for i in range(40))
    out = _bad(tmp_path, body)
    assert "all 40 customers have zero repeat purchases" in out


def test_unknown_column_lists_the_columns(tmp_path: Path) -> None:
    f = tmp_path / "tx.csv"
    f.write_text("id,day\na,2024-01-01\n")
    code, out = _run(str(f), "--customer", "user", "--date", "day", "--calibration-end", "2024-03-31")
    assert code == 2 and "no column 'user'; the file has: id, day" in " ".join(out.split())


def test_bad_option_values(tmp_path: Path) -> None:
    f = tmp_path / "tx.csv"
    f.write_text("id,day\na,2024-01-01\n")
    code, out = _run(str(f), "--customer", "id", "--date", "day", "--calibration-end", "31/03/2024")
    assert code == 2 and "--calibration-end '31/03/2024' is not a date" in out
    code, out = _run(str(f), "--customer", "id", "--date", "day", "--calibration-end", "2024-03-31", "--model", "x")
    assert code == 2 and "unknown model 'x'" in out


def test_score_writes_the_warehouse_tables(tmp_path: Path) -> None:
    from test_clv_summary import _orders, _shop  # the tests folder is on sys.path (pytest's default import mode)

    from siyu.engine.duckdb_engine import DuckDBEngine
    from siyu.schema import migrate

    warehouse = tmp_path / "w.duckdb"
    with DuckDBEngine(warehouse) as engine:
        migrate(engine)  # a siyu warehouse: the CLI refuses a DuckDB file without siyu's schema
        engine.write_arrow("orders", _orders(_shop(150)), mode="replace")
    result = runner.invoke(app, ["clv", "score", "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert "150 persons scored" in result.output
    with DuckDBEngine(warehouse, read_only=True) as engine:
        assert engine.row_count("clv_score") == 150


def test_report_evaluates_the_warehouse_on_a_holdout(tmp_path: Path) -> None:
    import datetime as dt

    from test_clv_summary import _orders, _shop

    from siyu.engine.duckdb_engine import DuckDBEngine
    from siyu.schema import migrate

    warehouse = tmp_path / "w.duckdb"
    with DuckDBEngine(warehouse) as engine:
        migrate(engine)
        engine.write_arrow("orders", _orders(_shop(400, seed=2)), mode="replace")
        lo, hi = engine.query("SELECT min(order_date), max(order_date) FROM orders WHERE status = 'paid'").to_pylist()[
            0].values()
    out = tmp_path / "clv.html"
    result = runner.invoke(app, ["clv", "report", "--warehouse", str(warehouse), "--out", str(out)])
    assert result.exit_code == 0, result.output
    # by default the last third of the history is held out, ending at the last counted order
    cal = hi - dt.timedelta(days=(hi - lo).days // 3)
    assert f"calibration to {cal}" in result.output and f"holdout to {hi}" in result.output
    assert "✓" in result.output and "chosen model:" in result.output
    html = out.read_text()
    assert "Conditional expectation by calibration frequency" in html and "Weekly cumulative" in html
    result = runner.invoke(app, ["clv", "report", "--warehouse", str(warehouse), "--json", "--out", str(out),
                                 "--calibration-end", "2024-09-30", "--holdout-end", "2024-12-31"])
    data = json.loads(result.output)
    assert data["calibration_end"] == "2024-09-30" and data["holdout_end"] == "2024-12-31"
    assert {e["model"] for e in data["evaluations"]} == {"bgnbd", "pnbd", "mbgnbd"}
    assert data["spend"]["converged"] and data["customers"] == 400  # everyone first bought before September
    result = runner.invoke(app, ["clv", "report", "--warehouse", str(warehouse), "--calibration-end", "2020-01-01"])
    assert result.exit_code != 0 and "before the first counted order" in result.output
    result = runner.invoke(app, ["clv", "report", "--warehouse", str(warehouse), "--covariate"])
    assert result.exit_code != 0 and "needs the contacts and person_map tables" in " ".join(result.output.split())
