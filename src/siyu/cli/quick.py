"""The commands answered without typer and rich: `siyu version` and `siyu segment count`.

Loading typer and rich costs about 0.06 s of CPU, and typer then coerces every parameter through a pydantic
TypeAdapter: together more than `segment count` spends on its query over 1M persons (issue 18 §7 asks for
≤ 0.4 s). These two commands take only plain text options, so the entry point reads them here; `siyu segment
count` under typer (its --help) runs the same `count_now`. Anything else in their arguments (--help, an option
they do not have, a missing or second expression) is left to typer, which prints its usual usage message.
"""

from __future__ import annotations

import sys
from pathlib import Path

_COUNT_OPTIONS = {"-w": "warehouse", "--warehouse": "warehouse", "-c": "config", "--config": "config",
                  "--engine": "engine"}


def count_arguments(args: list[str]) -> dict[str, str] | None:
    """`segment count`'s expression and options, or None when typer must read them (see the module doc)."""
    found: dict[str, str] = {}
    rest = iter(args)
    positional_only = False
    for token in rest:
        name, _, inline = token.partition("=")
        if not positional_only and token == "--":
            positional_only = True
        elif not positional_only and token.startswith("-"):
            option = _COUNT_OPTIONS.get(name if inline or "=" in token else token)
            value = inline if "=" in token else next(rest, None)
            if option is None or value is None or option in found:
                return None
            found[option] = value
        elif "expression" in found:
            return None
        else:
            found["expression"] = token
    return found if "expression" in found else None


def answer(args: list[str]) -> int | None:
    """Run `version` or `segment count` and return its exit status; None when typer must take the command."""
    if args == ["version"]:
        from siyu import __version__

        print(__version__)
        return 0
    if args[:2] != ["segment", "count"]:
        return None
    found = count_arguments(args[2:])
    if found is None:
        return None
    from siyu.cli.outcome import exit_status

    config = found.get("config")
    try:
        members = count_now(found["expression"], found.get("warehouse"), Path(config) if config else None,
                            found.get("engine"))
    except (Exception, KeyboardInterrupt) as exc:
        return exit_status(exc)
    print(f"{members:,}", flush=True)
    return 0


def count_now(expression: str, warehouse: str | None, config: Path | None, engine: str | None) -> int:
    """How many persons match, from the last published snapshot; says on stderr which warehouse it read."""
    from siyu.config import locate_warehouse
    from siyu.pipeline.access import open_reader
    from siyu.segment.vocabulary import count

    choice = locate_warehouse(warehouse, config)
    print(f"warehouse: {choice.path} ({choice.reason})", file=sys.stderr, flush=True)
    with open_reader(choice.settings, choice.path, engine) as eng:
        return count(eng, expression)
