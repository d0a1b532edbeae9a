"""Open the engine a command asked for: DuckDB by default, Spark when configured or requested."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from siyu.engine.base import Engine

if TYPE_CHECKING:  # config imports domain, which quotes through the engine layer: no import cycle at run time
    from siyu.config import Settings


def engine_name(settings: Settings, engine: str | None = None) -> str:
    return engine or settings.engine.name


def store_path(settings: Settings, warehouse: Path, engine: str | None = None) -> Path:
    """Where the engine keeps the tables: the DuckDB file, or Spark's lake folder from siyu.toml."""
    if engine_name(settings, engine) == "spark":
        return settings.path(settings.engine.lake).resolve()
    return warehouse


def open_engine(
    settings: Settings, warehouse: Path, engine: str | None = None, read_only: bool = False, lake: Path | None = None
) -> Engine:
    """`warehouse` is the DuckDB file; Spark keeps its tables in the lake folder of siyu.toml (or `lake`)."""
    name = engine or settings.engine.name
    if name == "duckdb":
        from siyu.engine.duckdb_engine import DuckDBEngine

        return DuckDBEngine(
            warehouse,
            memory_limit=settings.engine.memory_limit,
            threads=settings.engine.threads,
            read_only=read_only,
        )
    if name == "spark":
        from siyu.engine.spark_engine import SparkEngine

        folder = lake if lake is not None else settings.path(settings.engine.lake)
        return SparkEngine(folder, master=settings.engine.spark_master)
    raise ValueError(f"unknown engine {name!r}: use 'duckdb' or 'spark'")
