"""`siyu import`: load channel export files into the raw tables, with a progress bar and a report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from siyu.cli.common import ConfigOpt, EngineOpt, UserError, WarehouseOpt, console, err_console, friendly, writing

if TYPE_CHECKING:
    from siyu.config import WarehouseChoice
    from siyu.engine import Engine
    from siyu.ingest.importer import ImportReport
    from siyu.ingest.mapping import Mapping

SOURCES_DIR = Path(__file__).resolve().parents[1] / "ingest" / "sources"


def _sources_help() -> str:
    """The built-in source names, read from the folder (importing the ingest layer for --help costs 0.3 s)."""
    return ", ".join(p.stem for p in sorted(SOURCES_DIR.glob("*.toml")) if not p.name.startswith("_"))


def _report_table(reports: list[ImportReport]) -> Table:
    table = Table("file", "source", "encoding", "rows read", "loaded", "duplicate", "quarantined", "fields emptied",
                  "rows/s", title="import")
    for r in reports:
        table.add_row(
            r.file, r.source, r.encoding or "", f"{r.rows_read:,}", f"{r.rows_loaded:,}", f"{r.rows_duplicate:,}",
            f"{r.rows_quarantined:,}", f"{r.fields_quarantined:,}", f"{r.rows_per_second:,.0f}",
        )
    return table


def _problems_table(reports: list[ImportReport]) -> Table | None:
    rows = [(r.file, p) for r in reports for p in r.problems]
    if not rows:
        return None
    table = Table("file", "row", "field", "reason", title="first rejected rows (all are in the quarantine table)")
    for file, p in rows[:20]:
        table.add_row(file, "" if p.row is None else str(p.row), p.field or "", p.reason)
    return table


def _import_all(
    files: list[Path], mapping: Mapping, warehouse: str | None, config: Path | None, engine: str | None,
    encoding: str | None, sheet: str | None,
) -> list[ImportReport]:
    for f in files:
        if not f.exists():
            raise UserError(f"file not found: {f}")
    from siyu.errors import Interrupted

    reports: list[ImportReport] = []
    try:
        with writing(warehouse, config, engine, must_exist=False) as (eng, choice):
            _import_each(eng, choice, files, mapping, encoding, sheet, reports)
    except KeyboardInterrupt:
        done = ", ".join(r.file for r in reports)
        kept = f"{done} imported in full; " if done else ""
        raise Interrupted(f"interrupted: {kept}the file being imported was rolled back, nothing of it was kept; "
                          "importing it again is safe") from None
    return reports


def _import_each(
    eng: Engine, choice: WarehouseChoice, files: list[Path], mapping: Mapping, encoding: str | None,
    sheet: str | None, reports: list[ImportReport],
) -> None:
    from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeRemainingColumn

    from siyu.ingest.importer import import_file

    settings = choice.settings.imports
    for f in files:
        with Progress(
            TextColumn("{task.description}", style="bold", markup=False), BarColumn(), TaskProgressColumn(),
            TimeRemainingColumn(), console=err_console, transient=True,
        ) as bar:
            task = bar.add_task(f.name, total=None)

            def tick(done: int, total: int | None, unit: str, task_id: TaskID = task) -> None:
                bar.update(task_id, completed=done, total=total)

            reports.append(import_file(
                eng, mapping, f, encoding=encoding or settings.encoding, sheet=sheet,
                batch_rows=settings.batch_rows, progress=tick, timezone=choice.settings.brand.timezone,
            ))


def register(app: typer.Typer) -> None:
    @app.command("import")
    @friendly
    def import_(
        files: Annotated[list[Path], typer.Argument(help="export files: CSV (UTF-8/GB18030), XLSX, Parquet, JSONL")],
        source: Annotated[
            str | None, typer.Option("--source", "-s", help=f"built-in source: {_sources_help()}")
        ] = None,
        mapping: Annotated[Path | None, typer.Option("--mapping", "-m", help="your own mapping file (TOML)")] = None,
        encoding: Annotated[str | None, typer.Option("--encoding", help="CSV encoding (default: detect)")] = None,
        sheet: Annotated[str | None, typer.Option("--sheet", help="XLSX sheet name or number")] = None,
        allow_bad: Annotated[bool, typer.Option("--allow-bad", help="exit 0 even if rows were quarantined")] = False,
        warehouse: WarehouseOpt = None,
        config: ConfigOpt = None,
        engine: EngineOpt = None,
    ) -> None:
        """Load channel export files into the raw tables; bad rows go to the quarantine table."""
        from siyu.ingest.mapping import load_mapping

        if (source is None) == (mapping is None):
            raise UserError(f"pass exactly one of --source ({_sources_help()}) or --mapping my.toml")
        loaded = load_mapping(source) if source is not None else load_mapping(Path(str(mapping)))
        reports = _import_all(files, loaded, warehouse, config, engine, encoding, sheet)
        console.print(_report_table(reports))
        problems = _problems_table(reports)
        if problems is not None:
            console.print(problems)
        bad = sum(r.rows_quarantined + r.fields_quarantined for r in reports)
        if bad and not allow_bad:
            err_console.print(
                f"{bad:,} row(s) or field(s) quarantined: see `SELECT * FROM quarantine`; "
                "fix and re-import, or pass --allow-bad", style="yellow"
            )
            raise typer.Exit(1)
