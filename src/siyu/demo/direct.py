"""Write the demo's exports straight into the warehouse's raw tables (what large demos use).

Each export is mapped onto its mapping's target tables the way the importer maps a file: map fields go
through the same value maps, `override` and `fallback` apply, the mapping's `channel` fills `channel`, and
`siyu.ingest.meta.add_meta` adds the meta columns and the same row hash, so re-running adds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from siyu.demo.mappings import source_spec, value_maps
from siyu.engine import Engine
from siyu.ingest.meta import add_meta

CHUNK_ROWS = 1_000_000


def _map_values(column: pa.Array | pa.ChunkedArray, mapping: dict[str, str]) -> pa.Array:
    keys = pa.array(list(mapping), pa.string())
    values = pa.array(list(mapping.values()), pa.string())
    trimmed = pc.utf8_trim_whitespace(pc.fill_null(column, ""))
    return values.take(pc.index_in(trimmed, value_set=keys))


def _empty_to_null(column: pa.Array) -> pa.Array:
    if pa.types.is_string(column.type):
        return pc.if_else(pc.equal(column, ""), pa.nulls(len(column), pa.string()), column)
    return column


def raw_tables(source: str, export: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """(raw table, rows) for each target of `source`, from its export table."""
    spec = source_spec(source)
    maps = value_maps(source)
    fields: dict[str, dict[str, object]] = spec["fields"]
    cols: dict[str, pa.Array] = {}
    for name in export.column_names:
        col = export.column(name).combine_chunks()
        field = fields.get(name)
        if field is not None and field.get("type") == "map":
            col = _map_values(col, maps[str(field["map"])])
        cols[name] = _empty_to_null(col)
    for name, field in fields.items():
        if "override" in field and name in cols:
            over = cols.get(str(field["override"]))
            if over is not None:
                cols[name] = pc.if_else(pc.is_valid(over), over, cols[name])
        if "fallback" in field and name in cols:
            cols[name] = pc.coalesce(cols[name], cols[str(field["fallback"])])
    n = export.num_rows
    for target in spec["targets"]:
        data = {f: cols[f] for f in target["fields"] if f in cols}
        if spec.get("channel"):
            data["channel"] = pa.repeat(pa.scalar(str(spec["channel"])), n)
        yield str(target["table"]), pa.table(data)


def _unique_rows(data: pa.Table) -> pa.Table:
    """The first row of each `_row_hash` (a JD order repeats its order row on every SKU line)."""
    first = data.select(["_row_hash"]).append_column("_i", pa.array(np.arange(data.num_rows)))
    keep = first.group_by("_row_hash", use_threads=False).aggregate([("_i", "min")]).column("_i_min")
    return data.take(pa.array(np.sort(keep.to_numpy())))


def write_direct(
    engine: Engine,
    exports: Iterable[tuple[str, pa.Table]],
    on_source: Callable[[str], None] | None = None,
    fresh: bool = False,
) -> dict[str, int]:
    """Append every export's rows to the raw tables in one transaction; returns rows added per table.

    Rows already stored (same `_row_hash`) are skipped, so writing the same brand twice adds nothing.
    `fresh=True` says the raw tables hold nothing from these sources yet (a just-created demo warehouse):
    duplicates are then dropped here in one pass and rows are plainly appended, which is several times
    faster at a million persons than checking every chunk against the growing table.
    """
    added: dict[str, int] = {}
    now = dt.datetime.now().replace(microsecond=0)
    with engine.transaction():
        for source, export in exports:
            if on_source:
                on_source(source)
            for table, data in raw_tables(source, export):
                if not data.num_rows:
                    continue
                rows = pa.array(np.arange(2, 2 + data.num_rows, dtype=np.int64))
                meta = add_meta(data, source, f"demo:{source}", rows, now, target=table)
                if fresh:
                    meta = _unique_rows(meta)
                for start in range(0, meta.num_rows, CHUNK_ROWS):
                    chunk = meta.slice(start, CHUNK_ROWS)
                    n = engine.write_arrow(table, chunk) if fresh else engine.append_new(table, chunk, "_row_hash")
                    added[table] = added.get(table, 0) + n
    return added
