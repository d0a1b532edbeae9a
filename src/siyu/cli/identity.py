"""`siyu identity merge/split/explain/show` and `siyu dedupe`: thin wrappers over siyu.identity."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from siyu.cli.common import ConfigOpt, EngineOpt, WarehouseOpt, console, err_console, friendly, reading, writing

identity_app = typer.Typer(help="Review and correct OneID: who is whom, and why.", no_args_is_help=True)


@identity_app.command("merge")
@friendly
def merge_cmd(
    a: Annotated[str, typer.Argument(help="identity (channel:channel_uid) or person id")],
    b: Annotated[str, typer.Argument(help="identity (channel:channel_uid) or person id")],
    note: Annotated[str, typer.Option("--note", help="why (kept with the decision)")] = "",
    warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None,
) -> None:
    """Declare A and B one person; every later run keeps them together."""
    from siyu.identity.overrides import record_override
    from siyu.identity.review import find_identity

    with writing(warehouse, config, engine) as (eng, _):
        x, y = find_identity(eng, a), find_identity(eng, b)
        record_override(eng, "merge", x, y, note)
    console.print(f"recorded: merge {x} + {y}; applied by the next `siyu run` (or `siyu run --step identity`)")


@identity_app.command("split")
@friendly
def split_cmd(
    a: Annotated[str, typer.Argument(help="identity (channel:channel_uid) to take out of its person")],
    b: Annotated[str | None, typer.Argument(help="identity it must not be with (default: anyone)")] = None,
    note: Annotated[str, typer.Option("--note", help="why (kept with the decision)")] = "",
    warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None,
) -> None:
    """Declare A not the same person as B (or detach A from its person); later runs respect it."""
    from siyu.identity.overrides import record_override
    from siyu.identity.review import find_identity

    if ":" not in a:
        raise ValueError(f"split takes an identity (channel:channel_uid), not {a!r}: see `siyu identity show {a}`")
    with writing(warehouse, config, engine) as (eng, _):
        x = find_identity(eng, a)
        y = find_identity(eng, b) if b else None
        record_override(eng, "split", x, y, note)
    what = f"{x} apart from {y}" if y else f"{x} detached from its person"
    console.print(f"recorded: split {what}; applied by the next `siyu run` (or `siyu run --step identity`)")


@identity_app.command("show")
@friendly
def show_cmd(
    ref: Annotated[str, typer.Argument(help="person id (P…) or one of its identities (channel:channel_uid)")],
    unmask: Annotated[bool, typer.Option("--unmask", help="show full names and phones")] = False,
    warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None,
) -> None:
    """List a person's identities across channels."""
    from siyu.identity.review import show_person

    with reading(warehouse, config, engine) as (eng, _):
        person, rows = show_person(eng, ref, unmask)
    console.print(f"person {person}: {len(rows)} identities")
    table = Table("channel", "channel uid", "name", "phone", "unionid", "member no", "city", "first seen",
                  "last seen")
    for r in rows:
        table.add_row(*(str(r.get(k) or "") for k in ("channel", "channel_uid", "name", "phone", "unionid",
                                                      "member_no", "city", "first_seen_at", "last_seen_at")))
    console.print(table)


@identity_app.command("explain")
@friendly
def explain_cmd(
    a: Annotated[str, typer.Argument(help="identity (channel:channel_uid) or person id")],
    b: Annotated[str, typer.Argument(help="identity (channel:channel_uid) or person id")],
    warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None,
) -> None:
    """Why A and B are (or are not) one person: shared keys, links, overrides, Splink match weights."""
    from siyu.identity.review import explain
    from siyu.identity.settings import identity_settings

    with reading(warehouse, config, engine) as (eng, choice):
        cfg = identity_settings(choice.settings)
        ex = explain(eng, a, b, cfg)
    verdict = "the same person" if ex.same_person else "different persons"
    console.print(f"{ex.a} ({ex.person_a or 'no person'}) and {ex.b} ({ex.person_b or 'no person'}): {verdict}")
    if ex.shared_keys:
        keys = Table("key", "value", "used?", title="shared hard keys")
        for k in ex.shared_keys:
            keys.add_row(k["key_name"], str(k["key_value"]), f"no: {k['reason']}" if k["reason"] else "yes")
        console.print(keys)
    else:
        console.print("shared hard keys: none")
    for link in ex.links:
        p = f" p={link['probability']:.6f}" if link["probability"] is not None else ""
        console.print(f"direct link: {link['kind']} ({link['key_name']}){p}")
    for o in ex.overrides:
        console.print(f"override {o['at']}: {o['kind']} {o['a']} {o['b'] or ''} {o['note'] or ''}")
    if ex.weights:
        weights = Table("comparison", "level", "match weight", title="Splink")
        for w in ex.weights:
            weights.add_row(w["comparison"], w["level"], f"{w['weight']:+.2f}")
        console.print(weights)
    if ex.note:
        console.print(ex.note, style="dim")


def dedupe(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT", help="CSV or Parquet file of people")],
    id_col: Annotated[str, typer.Option("--id", help="column holding each record's id")],
    truth: Annotated[str | None, typer.Option("--truth", help="column with the true entity, to score")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="write record id → cluster id here (.csv/.parquet)")] = None,
    threshold: Annotated[float | None, typer.Option(
        "--threshold", help="match probability to link (default: the one the model expects to do best)")] = None,
    column: Annotated[list[str] | None, typer.Option(
        "--column", metavar="NAME=ROLE", help="what a column holds, instead of siyu's guess (repeatable); roles: "
        "given_name surname full_name dob email phone postcode city district street_number address state gender "
        "occupation national_id member_no category text ignore")] = None,
) -> None:
    """Deduplicate any table of people: columns recognised by name and values, Splink configured from them."""
    from siyu.identity.dedupe import dedupe_file

    result = dedupe_file(input_file, id_col, truth, out, threshold, column)
    cols = Table("column", "recognised as", "confidence", "why",
                 title=escape(f"{input_file.name}: {result.rows:,} records"))
    for col, kind in result.columns.items():
        seen = result.recognised.get(col)
        cols.add_row(escape(col), kind, f"{seen.confidence:.2f}" if seen else "", escape(seen.why) if seen else "")
    console.print(cols)
    for warning in result.warnings:
        err_console.print(f"warning: {warning}", markup=False, highlight=False)
    console.print(f"{result.clusters:,} clusters from {result.rows:,} records in {result.seconds:.1f}s")
    if result.expected:
        e = result.expected
        how = "given" if threshold is not None else "chosen from the model's estimate"
        console.print(f"threshold {e.threshold:g} ({how}); the model expects precision {e.precision:.3f}  "
                      f"recall {e.recall:.3f}", markup=False, highlight=False, soft_wrap=True)
    if result.scores:
        s = result.scores
        console.print(f"pairwise precision {s['precision']:.4f}  recall {s['recall']:.4f}  F1 {s['f1']:.4f}  "
                      f"(true clusters {s['true_clusters']:,})")
    if out:
        console.print(f"clusters written to {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(identity_app, name="identity")
    app.command("dedupe")(friendly(dedupe))
