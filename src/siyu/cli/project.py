"""`siyu init`: a project folder with a commented siyu.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from siyu.cli.common import UserError, console, friendly


def register(app: typer.Typer) -> None:
    app.command("init")(init)


@friendly
def init(
    folder: Annotated[Path, typer.Argument(help="project folder to create (default: here)")] = Path("."),
    name: Annotated[str | None, typer.Option(help="the brand's name")] = None,
    force: Annotated[bool, typer.Option(help="overwrite an existing siyu.toml")] = False,
) -> None:
    """Create a project folder with a commented siyu.toml (DuckDB warehouse, Asia/Shanghai, CNY)."""
    from siyu.config import load_settings
    from siyu.config.template import template_text

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "siyu.toml"
    if target.exists() and not force:
        raise UserError(f"{target} already exists; use --force to overwrite it")
    target.write_text(template_text(name or None), encoding="utf-8")
    load_settings(target)  # the template must always be valid
    (folder / "imports").mkdir(exist_ok=True)
    console.print(f"created {target}")
    go = "" if folder.resolve() == Path.cwd().resolve() else f"cd {folder} && "
    console.print(f"next: put channel exports in {folder / 'imports'} and run "
                  f"`{go}siyu import --source tmall imports/orders.csv`")
