"""What siyu assumes about Splink beyond its documented calls, checked in one place.

siyu drives Splink through its public API (`DuckDBAPI`, `Linker`, `linker.training`/`inference`/`misc`, the
model JSON of `save_model_to_json`). What it relies on beyond that lives here: the major version whose
behaviour the tests pin, how Splink numbers a comparison's levels in its `gamma_` columns, and the exception
an EM session that finds no pairs raises (Splink exports no exceptions module). A Splink that breaks them
fails with one line at the first use, not deep in a run.
"""

from __future__ import annotations

import functools
import re
from types import ModuleType
from typing import Any

from siyu.errors import UserError

#: Splink major versions the test suite has run against (pyproject pins `splink>=5,<6`).
SUPPORTED_MAJORS = (5,)
SUPPORTED = "splink>=5,<6"

#: Top-level names siyu imports from `splink`.
NEEDED = ("DuckDBAPI", "Linker")



def _training_failed() -> tuple[type[Exception], ...]:
    """What a failed EM session raises: ValueError when a parameter goes to 0, Splink's own when a block has
    no pairs (its class sits in Splink's internals; another Splink is refused by `check` before it matters)."""
    try:
        from splink.internals.exceptions import SplinkException
    except ImportError:
        return (ValueError,)
    return (ValueError, SplinkException)


TRAINING_FAILED = _training_failed()


class SplinkIncompatible(UserError):
    """The installed Splink is not one siyu was tested with."""


def check(module: ModuleType | Any | None = None) -> None:
    """Refuse a Splink whose major version or public names are not the ones siyu was tested with."""
    if module is None:
        import splink as module
    version = str(getattr(module, "__version__", "unknown"))
    found = re.match(r"(\d+)\.", version)
    if found is None or int(found.group(1)) not in SUPPORTED_MAJORS:
        raise SplinkIncompatible(
            f"Splink {version} is installed; siyu supports {SUPPORTED}: pip install '{SUPPORTED}'"
        )
    missing = [name for name in NEEDED if getattr(module, name, None) is None]
    if missing:
        raise SplinkIncompatible(
            f"Splink {version} has no {', '.join(missing)}; siyu supports {SUPPORTED}: pip install '{SUPPORTED}'"
        )


@functools.cache
def check_installed() -> None:
    """`check()` of the installed Splink, once per process."""
    check()


def level_labels(comparison: dict[str, Any]) -> dict[int, str]:
    """`gamma_` value → level label of one comparison of a model JSON.

    Splink numbers the null level -1 and the others from the most similar (levels - 1) down to ELSE (0).
    """
    levels = comparison["comparison_levels"]
    counter = sum(1 for lv in levels if not lv.get("is_null_level")) - 1
    labels: dict[int, str] = {}
    for level in levels:
        label = str(level.get("label_for_charts") or level["sql_condition"])
        if level.get("is_null_level"):
            labels[-1] = label
        else:
            labels[counter] = label
            counter -= 1
    return labels
