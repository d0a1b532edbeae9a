"""Is this file a siyu warehouse? Refuse anything else in one line before DuckDB touches it.

DuckDB opens a SQLite file by loading (and, if allowed, downloading) its sqlite extension, and opens another
application's DuckDB file happily; a migration would then add siyu's tables to it. So a file is read by its
header first, and a DuckDB file with tables but none of siyu's is left alone.
"""

from __future__ import annotations

from pathlib import Path

from siyu.errors import UserError

SQLITE_MAGIC = b"SQLite format 3\x00"
DUCKDB_MAGIC = b"DUCK"  # bytes 8–12 of every DuckDB database file (after an 8-byte checksum)
SIYU_MARK = "schema_version"  # the table every siyu warehouse has from its first migration


def check_file(path: Path) -> None:
    """Refuse a file that is not a DuckDB database (SQLite, CSV, anything); a missing or empty file is new."""
    if not path.exists():
        return
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a DuckDB warehouse file; pass --warehouse FILE.duckdb")
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise UserError(f"cannot read the warehouse {path}: {exc.strerror or exc}") from None
    if not head:
        return
    if head.startswith(SQLITE_MAGIC):
        raise UserError(f"{path} is a SQLite database, not a siyu warehouse (DuckDB); pass another --warehouse")
    if head[8:12] != DUCKDB_MAGIC:
        raise UserError(f"{path} is not a DuckDB database file, so not a siyu warehouse; pass another --warehouse")


def check_tables(path: Path | str, tables: list[str]) -> None:
    """Refuse a DuckDB file that holds tables but not siyu's: it belongs to another application."""
    if tables and SIYU_MARK not in tables:
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise UserError(
            f"{path} is a DuckDB file of another application (tables: {shown}); siyu leaves it unchanged: "
            "pass a new --warehouse path"
        )
