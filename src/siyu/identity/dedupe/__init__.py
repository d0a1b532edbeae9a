"""`siyu dedupe`: deduplicate any table of people with Splink, configured from the columns it recognises."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from siyu.identity import splink_linker
from siyu.identity.dedupe import comparisons
from siyu.identity.dedupe.columns import recognise
from siyu.identity.dedupe.evaluation import pairwise_scores
from siyu.identity.dedupe.guard import guarded_clusters, personal_pairs
from siyu.identity.dedupe.prepare import standardise

#: match probability from which a pair counts as a candidate (not a link) when a masked record is placed
CANDIDATES = 0.5


@dataclass
class DedupeResult:
    rows: int
    clusters: int
    seconds: float
    columns: dict[str, str]
    blocks: list[list[str]]
    assignment: pa.Table  # (id, cluster_id)
    scores: dict[str, float] = field(default_factory=dict)


def read_people(path: Path) -> pa.Table:
    """A CSV or Parquet file with every column as text; a clear error for anything else."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            table = pq.read_table(path)
        elif suffix in (".csv", ".txt", ".tsv"):
            parse = pacsv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ",")
            table = pacsv.read_csv(path, parse_options=parse,
                                   convert_options=pacsv.ConvertOptions(auto_dict_encode=False))
        else:
            raise ValueError(f"{path}: read CSV (.csv/.tsv) or Parquet (.parquet) files, not {suffix or 'no suffix'}")
    except pa.ArrowInvalid as exc:
        raise ValueError(f"{path}: cannot be read: {str(exc).splitlines()[0]}") from None
    return pa.table({n: table.column(n).cast(pa.string()) for n in table.column_names})


def dedupe_table(table: pa.Table, id_col: str, truth: str | None = None, threshold: float = 0.99,
                 source: str = "input") -> DedupeResult:
    """Cluster the records of `table`; with `truth`, score the clusters pairwise against it."""
    t0 = time.perf_counter()
    for col, opt in ((id_col, "--id"), (truth, "--truth")):
        if col is not None and col not in table.column_names:
            raise ValueError(f"{source}: {opt} column {col!r} not found; columns: {', '.join(table.column_names)}")
    ids = table.column(id_col)
    if ids.null_count or len(ids.unique()) != len(ids):
        raise ValueError(f"{source}: --id column {id_col!r} must be unique and never empty")
    roles = recognise(table, {id_col, *([truth] if truth else [])})
    data = standardise(table, id_col, roles)
    budget = max(2_000_000, 50 * table.num_rows)
    blocks = comparisons.choose_blocks(data, budget)
    if not blocks:
        raise ValueError(f"{source}: no column to compare records on (recognised: {roles})")
    em, strict = comparisons.training(data)
    u_pairs = min(1.5e5, max(5e4, 10.0 * table.num_rows))  # u settles long before; more only costs time
    linker = splink_linker.train(data, comparisons.settings(data, blocks), u_pairs, em, strict)
    # pairs well below the threshold too: they show a masked record close to two relatives (see guard)
    lowest = min(threshold, CANDIDATES) if "zh_pinyin" in data.column_names else threshold
    predictions = linker.inference.predict(threshold_match_probability=lowest, warning_mode="never")
    pairs = predictions.as_pyarrow_table().select(["unique_id_l", "unique_id_r", "match_probability"])
    assigned = guarded_clusters(personal_pairs(pairs, data), data, threshold, candidates=pairs)
    assigned = pa.table({id_col: assigned.column("unique_id").cast(pa.string()),
                         "cluster_id": assigned.column("cluster_id").cast(pa.string())})
    result = DedupeResult(table.num_rows, len(assigned.column("cluster_id").unique()), 0.0, roles, blocks, assigned)
    if truth:
        truth_table = pa.table({id_col: ids, "truth": table.column(truth)})
        result.scores = pairwise_scores(assigned, truth_table, id_col)
    result.seconds = time.perf_counter() - t0
    return result


def dedupe_file(path: Path, id_col: str, truth: str | None, out: Path | None, threshold: float) -> DedupeResult:
    result = dedupe_table(read_people(path), id_col, truth, threshold, source=str(path))
    if out is not None:
        if out.suffix.lower() in (".parquet", ".pq"):
            pq.write_table(result.assignment, out)
        else:
            pacsv.write_csv(result.assignment, out)
    return result
