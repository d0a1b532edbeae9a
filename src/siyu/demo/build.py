"""`siyu demo` end to end: generate the brand, load it (files + importers, or direct), run the pipeline.

The demo warehouse is disposable: building it again replaces it. The ground truth goes next to it
(`<stem>.truth.parquet`, `<stem>.persons.parquet`, `<stem>.truth.json`), never into the warehouse.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import psutil
import pyarrow.parquet as pq

from siyu.config import Settings, load_settings
from siyu.demo.brand import DemoBrand, generate
from siyu.demo.config import DemoConfig
from siyu.demo.direct import write_direct
from siyu.demo.files import write_files
from siyu.engine import Engine, open_engine
from siyu.engine.factory import engine_name, store_path
from siyu.engine.lock import writer_lock
from siyu.engine.snapshot import publish
from siyu.persons.indexes import index_snapshot
from siyu.pipeline.runner import RunReport, run_pipeline
from siyu.schema import migrate

DIRECT_ABOVE = 200_000  # persons: larger demos skip the files and write raw tables directly


@dataclass
class Loaded:
    source: str
    file: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int


@dataclass
class DemoResult:
    warehouse: Path
    truth: Path
    mode: str  # 'files' | 'direct'
    files_dir: Path | None
    brand: DemoBrand
    loaded: list[Loaded] = field(default_factory=list)
    run: RunReport | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    location: str = ""  # where the tables are: duckdb:<file> or spark:<lake folder>


def truth_paths(warehouse: Path) -> dict[str, Path]:
    stem = warehouse.with_suffix("")
    return {
        "truth": Path(f"{stem}.truth.parquet"), "persons": Path(f"{stem}.persons.parquet"),
        "json": Path(f"{stem}.truth.json"),
    }


def write_truth(brand: DemoBrand, warehouse: Path) -> Path:
    paths = truth_paths(warehouse)
    pq.write_table(brand.truth, paths["truth"])
    pq.write_table(brand.persons, paths["persons"])
    paths["json"].write_text(
        json.dumps({"config": brand.config.to_json(), "rates": brand.rates}, ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    return paths["truth"]


def _fresh_engine(settings: Settings, warehouse: Path, engine: str | None) -> Engine:
    """Open an empty warehouse: the demo replaces whatever was there.

    DuckDB gets a memory cap (a quarter of the machine's memory, at least 2 GB, unless siyu.toml sets one) so a
    million-person demo spills to disk instead of competing with the generator's own arrays; 2 GB was too little
    for the identities table at 1M persons (out of memory after 30 minutes on a 24 GiB machine).
    """
    name = engine or settings.engine.name
    if name == "duckdb" and settings.engine.memory_limit is None:
        settings = settings.model_copy(deep=True)
        settings.engine.memory_limit = f"{max(2, psutil.virtual_memory().total // 4 // 2**30)}GB"
    if name == "duckdb":
        for path in (warehouse, Path(f"{warehouse}.wal")):
            path.unlink(missing_ok=True)
    eng = open_engine(settings, warehouse, engine)
    if name != "duckdb":
        for table in eng.tables():
            eng.drop_table(table)
    migrate(eng)
    return eng


def _load_files(eng: Engine, brand: DemoBrand, folder: Path, on_step: Callable[[str], None]) -> list[Loaded]:
    from siyu.ingest.importer import import_file

    if folder.exists():
        shutil.rmtree(folder)
    loaded = []
    for source, path in write_files(brand.iter_exports(), folder, brand.config.seed):
        on_step(f"importing {path.name}")
        rep = import_file(eng, source, path)
        loaded.append(Loaded(source, path.name, rep.rows_read, rep.rows_loaded, rep.rows_quarantined))
    return loaded


def summarise(eng: Engine) -> dict[str, Any]:
    """Identities and orders by channel and the order date range, from the clean tables when present."""
    tables = set(eng.tables())
    ids = "identities" if "identities" in tables else "raw_identity"
    orders = "orders" if "orders" in tables else "raw_order"
    id_rows = eng.query(f"SELECT channel, count(DISTINCT channel_uid) AS n FROM {ids} GROUP BY 1 ORDER BY 2 DESC")
    order_rows = eng.query(
        f"SELECT channel, count(DISTINCT order_id) AS n FROM {orders} GROUP BY 1 ORDER BY 2 DESC"
    )
    span = eng.query(f"SELECT min(created_at) AS lo, max(created_at) AS hi FROM {orders}").to_pylist()[0]
    return {
        "identities": {r["channel"]: r["n"] for r in id_rows.to_pylist()},
        "orders": {r["channel"]: r["n"] for r in order_rows.to_pylist()},
        "first_order": span["lo"], "last_order": span["hi"],
    }


def build_demo(
    warehouse: Path,
    config: DemoConfig,
    *,
    files_dir: Path | None = None,
    direct: bool | None = None,
    engine: str | None = None,
    settings: Settings | None = None,
    on_step: Callable[[str], None] | None = None,
) -> DemoResult:
    """Generate, load and run the pipeline; `direct=None` picks files for small demos, direct for large."""
    step = on_step or (lambda _: None)
    settings = settings or load_settings(None)
    if engine_name(settings, engine) == "spark":  # the demo's lake lands beside --out, not in the current folder
        settings = settings.model_copy(deep=True)
        settings.engine.lake = str(demo_lake(warehouse))
    store = store_path(settings, warehouse, engine)
    with writer_lock(store):
        result = _build(warehouse, config, files_dir, direct, engine, settings, step)
        # readers (`siyu status`, the service) see the finished demo, with the service's lookup indexes
        publish(store, prepare=partial(index_snapshot, memory_limit=settings.engine.memory_limit))
    return result


def demo_lake(warehouse: Path) -> Path:
    """The Spark lake of a demo: `<out stem>-lake` beside the --out file."""
    return warehouse.parent.resolve() / f"{warehouse.stem}-lake"


def _build(
    warehouse: Path,
    config: DemoConfig,
    files_dir: Path | None,
    direct: bool | None,
    engine: str | None,
    settings: Settings,
    step: Callable[[str], None],
) -> DemoResult:
    use_direct = direct if direct is not None else config.persons > DIRECT_ABOVE
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    step("generating the brand")
    brand = generate(config)
    seconds["generate"] = time.perf_counter() - t0
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    eng = _fresh_engine(settings, warehouse, engine)
    try:
        t0 = time.perf_counter()
        loaded: list[Loaded] = []
        folder = None
        if use_direct:
            write_direct(eng, brand.iter_exports(), on_source=lambda s: step(f"writing {s}"))
        else:
            folder = files_dir or warehouse.parent / f"{warehouse.stem}-files"
            loaded = _load_files(eng, brand, folder, step)
        seconds["load"] = time.perf_counter() - t0
        truth = write_truth(brand, warehouse)
        t0 = time.perf_counter()
        run = run_pipeline(eng, settings, on_step=lambda s: step(f"step {s}"))
        seconds["pipeline"] = time.perf_counter() - t0
        summary = summarise(eng)
        location = eng.describe()
    finally:
        eng.close()
    return DemoResult(warehouse, truth, "direct" if use_direct else "files", folder, brand, loaded, run, seconds,
                      summary, location)
