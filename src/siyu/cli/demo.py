"""`siyu demo`: build the demo brand into a fresh warehouse, run the pipeline and show what came out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from siyu.cli.common import console, friendly

if TYPE_CHECKING:
    from siyu.demo.build import DemoResult

DIRECT_ABOVE = 200_000  # siyu.demo.build.DIRECT_ABOVE, repeated so `--help` does not import the generator


def _print(result: DemoResult) -> None:
    rates = result.brand.rates
    how = "files + importers" if result.mode == "files" else "direct to raw tables"
    console.print(
        f"demo brand: {rates['persons']:,} persons, {rates['orders']:,} orders "
        f"({result.summary['first_order']:%Y-%m-%d} → {result.summary['last_order']:%Y-%m-%d}), loaded {how}"
    )
    counts = Table("channel", "identities", "orders", title="by channel")
    ids, orders = result.summary["identities"], result.summary["orders"]
    for ch in sorted(set(ids) | set(orders), key=lambda c: -ids.get(c, 0)):
        counts.add_row(ch, f"{ids.get(ch, 0):,}", f"{orders.get(ch, 0):,}")
    console.print(counts)
    steps = Table("step", "rows in", "rows out", "seconds", title="what happened")
    steps.add_row("generate", "", "", f"{result.seconds['generate']:.1f}")
    loaded = sum(x.rows_loaded for x in result.loaded)
    bad = sum(x.rows_quarantined for x in result.loaded)
    detail = f"{loaded:,}" if result.loaded else ""
    steps.add_row("load" + (f" ({bad:,} quarantined)" if bad else ""), "", detail, f"{result.seconds['load']:.1f}")
    for o in result.run.outcomes if result.run else []:
        steps.add_row(o.step, f"{o.rows_in:,}", f"{o.rows_out:,}", f"{o.seconds:.1f}")
    console.print(steps)
    console.print(
        f"funnel: acquisition {rates['acquisition_rate']:.1%}, first order ≤7d {rates['first_order_rate']:.1%}, "
        f"private domain {rates['private_domain_size']:,}, stored value {rates['stored_value_rate']:.1%}, "
        f"activity {rates['activity_rate']:.1%}, churn {rates['churn_last_year']:.1%}/yr"
    )
    if result.files_dir:
        console.print(f"export files: {result.files_dir}")
    console.print(f"warehouse: {result.location}\nground truth: {result.truth}")


def register(app: typer.Typer) -> None:
    @app.command()
    @friendly
    def demo(
        persons: Annotated[int, typer.Option("--persons", help="how many customers the brand has")] = 20_000,
        seed: Annotated[int, typer.Option("--seed", help="same seed, same brand")] = 7,
        out: Annotated[Path, typer.Option("--out", help="the demo warehouse (replaced)")] = Path("siyu-demo.duckdb"),
        files: Annotated[
            Path | None, typer.Option("--files", help="write the channel export files here and import them")
        ] = None,
        direct: Annotated[
            bool, typer.Option("--direct", help=f"write raw tables directly (default above {DIRECT_ABOVE:,} persons)")
        ] = False,
        engine: Annotated[str | None, typer.Option("--engine", help="duckdb (default) or spark")] = None,
    ) -> None:
        """Build a demo brand with ground truth, load it, run the pipeline and print a summary."""
        from siyu.demo.build import build_demo
        from siyu.demo.config import DemoConfig

        config = DemoConfig(persons=persons, seed=seed)
        # --direct wins; an explicit --files folder asks for files at any size; else by size
        mode = True if direct else (False if files is not None else None)
        with console.status("building the demo…") as status:
            result = build_demo(
                out.expanduser().resolve(), config, files_dir=files, direct=mode,
                engine=engine, on_step=lambda s: status.update(f"{s}…"),
            )
        _print(result)
