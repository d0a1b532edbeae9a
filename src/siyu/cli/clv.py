"""`siyu clv`: fit lifetime-value models on any transactions file, or score the warehouse's persons."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from siyu.cli.common import (
    ConfigOpt,
    EngineOpt,
    UserError,
    WarehouseOpt,
    console,
    err_console,
    friendly,
    reading,
    writing,
)

if TYPE_CHECKING:
    from siyu.clv.comparison import ClvFit


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option} {value!r} is not a date: use YYYY-MM-DD") from None


def _f(v: float, digits: int = 4) -> str:
    return "–" if not math.isfinite(v) else f"{v:,.{digits}f}"


def fit(
    file: Annotated[Path, typer.Argument(help="transactions: CSV/TSV, space-separated text or Parquet")],
    customer: Annotated[str, typer.Option("--customer", help="column holding the customer id")],
    date: Annotated[str, typer.Option("--date", help="column holding the order date")],
    calibration_end: Annotated[str, typer.Option("--calibration-end", help="last day of calibration, YYYY-MM-DD")],
    amount: Annotated[str | None, typer.Option("--amount", help="column holding the order value")] = None,
    holdout_end: Annotated[str | None, typer.Option("--holdout-end", help="last day of the holdout")] = None,
    model: Annotated[str, typer.Option("--model", help="bgnbd | pnbd | mbgnbd | auto")] = "auto",
    unit: Annotated[str, typer.Option("--unit", help="days or weeks")] = "weeks",
    report: Annotated[Path | None, typer.Option("--report", help="write the HTML evaluation report here")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON for machines")] = False,
) -> None:
    """Fit BG/NBD, Pareto/NBD, MBG/NBD (and Gamma-Gamma with --amount) on a transactions file."""
    from siyu.clv.comparison import fit_file
    from siyu.clv.summary import Period
    from siyu.clv.transactions import Columns

    if unit not in ("days", "weeks"):
        raise UserError(f"--unit must be 'days' or 'weeks', not {unit!r}")
    cal = _date(calibration_end, "--calibration-end")
    assert cal is not None
    period = Period(cal, _date(holdout_end, "--holdout-end"), unit)  # type: ignore[arg-type]
    result = fit_file(file, Columns(customer, date, amount), period, model)
    _show(result, report, as_json)


def _show(result: ClvFit, report: Path | None, as_json: bool) -> None:
    """Print a fit (tables, or JSON) and write its HTML report."""
    from siyu.clv.html import write_report

    if report:
        write_report(report, result.report_html())
    if as_json:
        console.print_json(json.dumps(result.as_dict(), default=str))
        return
    s = result.summary
    period = s.period
    console.print(f"{s.size:,} customers, {int((s.x == 0).sum()):,} without a repeat purchase; "
                  f"calibration to {period.calibration_end}, unit {period.unit}")
    params = Table("model", "parameter", "estimate", "std. error", "log-likelihood", "converged",
                   title="maximum-likelihood fits")
    fits = [m.result for m in result.models if m.result]
    if result.spend and result.spend.result:
        fits.append(result.spend.result)
    for r in fits:
        status = "yes" if r.converged else r.message
        for i, (k, v) in enumerate(r.params.items()):
            first = i == 0
            params.add_row(r.model if first else "", k, _f(v), _f(r.std_errors[k]),
                           _f(r.log_likelihood, 2) if first else "", status if first else "")
    console.print(params)
    if result.evaluations:
        ev = Table("model", "MAE", "RMSE", "correlation", "predicted total", "actual total",
                   title=f"holdout to {period.holdout_end} (per customer)")
        for e in result.evaluations:
            mark = " ✓" if e.model == result.chosen.name else ""
            ev.add_row(e.label + mark, _f(e.mae), _f(e.rmse), _f(e.correlation, 3), _f(e.predicted_total, 1),
                       _f(e.actual_total, 0))
        console.print(ev)
        freq = Table("calibration repeats", "customers", "actual", *[e.label for e in result.evaluations],
                     title="mean holdout purchases by calibration frequency")
        for i, row in enumerate(result.evaluations[0].by_frequency):
            freq.add_row(row.x, f"{row.customers:,}", _f(row.actual, 3),
                         *[_f(e.by_frequency[i].predicted, 3) for e in result.evaluations])
        console.print(freq)
    if result.covariate:
        cov = Table("model", "members / others", "MAE pooled", "MAE stratified", "gain", "members' MAE",
                    title="private-domain membership as a covariate (holdout, per person)")
        for g in result.covariate:
            cov.add_row(g.model, f"{g.members:,} / {g.non_members:,}", _f(g.mae_pooled), _f(g.mae_stratified),
                        f"{g.gain:+.2%}", f"{_f(g.mae_members[0])} → {_f(g.mae_members[1])}")
        console.print(cov)
    console.print(f"chosen model: {result.chosen.label}")
    for note in result.notes:
        err_console.print(f"note: {note}", style="dim")
    if report:
        console.print(f"report: {report}")


def score(
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Fit on the warehouse's orders (\\[clv] in siyu.toml) and write clv_model and clv_score."""
    from siyu.clv.step import run_clv

    with writing(warehouse, config, engine) as (eng, choice):
        with console.status("fitting and scoring…"):
            rows_in, rows_out, message = run_clv(eng, choice.settings)
        console.print(f"{rows_in:,} orders → {rows_out:,} persons scored: {message}")


def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="where to write the HTML report")] = Path("clv-report.html"),
    calibration_end: Annotated[str | None, typer.Option(
        "--calibration-end", help="end of calibration (default: the last third of the history is held out)")] = None,
    holdout_end: Annotated[str | None, typer.Option(
        "--holdout-end", help="end of the holdout (default: the last counted order)")] = None,
    model: Annotated[str | None, typer.Option("--model", help="bgnbd | pnbd | mbgnbd | auto (\\[clv] model)")] = None,
    covariate: Annotated[bool, typer.Option(
        "--covariate", help="also fit members of the private domain and the others separately, and compare")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON for machines")] = False,
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Evaluate the models on the warehouse's orders: calibration vs holdout, printed and saved as HTML."""
    from siyu.clv.comparison import report_warehouse

    if model is not None:
        from siyu.clv.selection import model_names

        model_names(model)  # an unknown name is refused before any work
    cal, hold = _date(calibration_end, "--calibration-end"), _date(holdout_end, "--holdout-end")
    with reading(warehouse, config, engine, quiet=as_json) as (eng, choice), console.status("fitting and evaluating…"):
        result = report_warehouse(eng, choice.settings, cal, hold, model, covariate)
    _show(result, out, as_json)


def register(app: typer.Typer) -> None:
    clv = typer.Typer(help="Lifetime value: who will buy again, when, and what each customer is worth.",
                      no_args_is_help=True)
    clv.command("fit")(friendly(fit))
    clv.command("score")(friendly(score))
    clv.command("report")(friendly(report))
    app.add_typer(clv, name="clv")
