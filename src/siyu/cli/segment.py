"""`siyu segment` and `siyu tags`: count, save, list, inspect and export crowds; import and list tags."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from siyu.cli.common import ConfigOpt, EngineOpt, UserError, WarehouseOpt, console, friendly, reading, writing

UnmaskOpt = Annotated[bool, typer.Option("--unmask", help="show full names and phones (PII: handle with care)")]


def count(
    expression: Annotated[str, typer.Argument(help="e.g. \"orders >= 2 and has_tag('sleeping')\"")],
    warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None,
) -> None:
    """How many persons match an expression."""
    from siyu.cli.quick import count_now  # `siyu segment count` is usually answered there, before typer loads

    console.print(f"{count_now(expression, warehouse, config, engine):,}")


def save(
    name: Annotated[str, typer.Argument(help="segment name")],
    expression: Annotated[str, typer.Argument(help="the segment expression")],
    description: Annotated[str, typer.Option("--description", "-d", help="what the crowd is for")] = "",
    warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None,
) -> None:
    """Save (or replace) a segment; its members are snapshotted on every `siyu run`."""
    from siyu.segment.store import count as count_members
    from siyu.segment.store import save_segment

    with writing(warehouse, config, engine) as (eng, _):
        replaced = save_segment(eng, name, expression, description)
        size = count_members(eng, expression)
        console.print(f"{'replaced' if replaced else 'saved'} segment {name}: {size:,} members now")


def list_(warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None) -> None:
    """Saved segments with their size at the last snapshot."""
    from siyu.segment.store import last_sizes, list_segments

    with reading(warehouse, config, engine) as (eng, _):
        sizes = last_sizes(eng)
        table = Table("name", "expression", "last size", "as of", "description", title="saved segments")
        for s in list_segments(eng):
            last = sizes.get(str(s["name"]), {})
            size = f"{last['members']:,}" if last else "–"
            table.add_row(str(s["name"]), str(s["expression"]), size, str(last.get("as_of", "–")),
                          str(s["description"] or ""))
        console.print(table)


def members(
    name: Annotated[str, typer.Argument(help="a saved segment")],
    limit: Annotated[int, typer.Option("--limit", "-n", help="rows to show")] = 20,
    unmask: UnmaskOpt = False,
    warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None,
) -> None:
    """The first members of a saved segment (names and phones masked unless --unmask)."""
    from siyu.segment.export import members as segment_members

    with reading(warehouse, config, engine) as (eng, _):
        data = segment_members(eng, name, unmask, limit)
        table = Table(*data.column_names[:8], title=f"{name}: first {data.num_rows} members")
        for row in data.to_pylist():
            table.add_row(*["" if v is None else str(v) for v in list(row.values())[:8]])
        console.print(table)


def export(
    name: Annotated[str, typer.Argument(help="a saved segment")],
    out: Annotated[Path, typer.Option("--out", "-o", help="file.csv or file.xlsx")],
    unmask: UnmaskOpt = False,
    warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None,
) -> None:
    """Write a saved segment's members to CSV or Excel (PII masked unless --unmask)."""
    from siyu.segment.export import export as export_members

    with reading(warehouse, config, engine) as (eng, _):
        rows = export_members(eng, name, out, unmask)
        console.print(f"wrote {rows:,} members to {out}{' (unmasked)' if unmask else ''}")


def history(
    name: Annotated[str, typer.Argument(help="a saved segment")],
    warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None,
) -> None:
    """Size of a saved segment at each run, and how many entered and exited."""
    from siyu.segment.store import history as segment_history

    with reading(warehouse, config, engine) as (eng, _):
        table = Table("run", "as of", "snapshot at", "members", "entered", "exited", title=name)
        for r in segment_history(eng, name):
            table.add_row(str(r["run_id"]), str(r["as_of"]), str(r["snapshot_at"]), f"{r['members']:,}",
                          f"{r['entered']:,}", f"{r['exited']:,}")
        console.print(table)


def delete(
    name: Annotated[str, typer.Argument(help="a saved segment")],
    warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None,
) -> None:
    """Forget a saved segment (its past snapshots stay)."""
    from siyu.segment.store import delete_segment

    with writing(warehouse, config, engine) as (eng, _):
        delete_segment(eng, name)
        console.print(f"deleted segment {name}")


def tags_list(warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None) -> None:
    """Every tag held now, with how many persons hold it."""
    from siyu.segment.tagging import tag_counts

    with reading(warehouse, config, engine) as (eng, _):
        rows = tag_counts(eng)
        table = Table("family", "tag", "persons", title="tags")
        for r in rows:
            table.add_row(str(r["family"]), str(r["tag"]), f"{r['n']:,}")
        console.print(table)


def tags_import(
    file: Annotated[Path, typer.Argument(help="CSV with a person_id or phone column (and a tag column)")],
    tag: Annotated[str | None, typer.Option("--tag", "-t", help="tag every listed person with this")] = None,
    warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None,
) -> None:
    """Import manual tags from a list; they join person_tag at the next `siyu run` (step tags)."""
    from siyu.segment.manual import import_tags

    with writing(warehouse, config, engine) as (eng, _):
        if not eng.table_exists("person_profile"):
            raise UserError("no person_profile yet: run `siyu run` first, then import tags")
        added, unknown = import_tags(eng, file, tag)
        console.print(f"added {added:,} manual tag(s) from {file}")
        if unknown:
            console.print(f"{len(unknown):,} row(s) matched no person, e.g. {', '.join(unknown[:5])}", style="yellow")


def register(app: typer.Typer) -> None:
    segment = typer.Typer(help="Crowds (人群筛选): count, save, list, inspect and export segments.",
                          no_args_is_help=True)
    for name, func in (("count", count), ("save", save), ("list", list_), ("members", members),
                       ("export", export), ("history", history), ("delete", delete)):
        segment.command(name)(friendly(func))
    app.add_typer(segment, name="segment")
    tags = typer.Typer(help="Tags: list what persons hold, import manual tags.", no_args_is_help=True)
    tags.command("list")(friendly(tags_list))
    tags.command("import")(friendly(tags_import))
    app.add_typer(tags, name="tags")
