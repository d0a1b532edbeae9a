"""`siyu dedupe`: deduplicate any table of people with Splink, configured from the columns it recognises.

Careless input gets one line naming the file and the column or setting: a duplicate header, a threshold that
is not a probability, an id column with blanks. A column that is empty in every record is left out of the
model with a warning (it links nobody); fewer than two records need no model.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from siyu.errors import UserError
from siyu.identity import splink_linker
from siyu.identity.dedupe import comparisons, estimate
from siyu.identity.dedupe.columns import LOW, Recognised, parse_overrides, recognise_columns
from siyu.identity.dedupe.estimate import Estimate
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
    warnings: list[str] = field(default_factory=list)
    #: the model's own expectation of precision and recall, at the threshold used (None: nothing compared)
    expected: Estimate | None = None
    #: each column's role with its confidence and the reason, as reported
    recognised: dict[str, Recognised] = field(default_factory=dict)


def read_people(path: Path) -> pa.Table:
    """A CSV or Parquet file with every column as text; a clear error for anything else."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            table = pq.read_table(path)
        elif suffix in (".csv", ".txt", ".tsv"):
            parse = pacsv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ",", newlines_in_values=True)
            table = pacsv.read_csv(path, parse_options=parse,
                                   convert_options=pacsv.ConvertOptions(auto_dict_encode=False))
        else:
            raise UserError(f"{path}: read CSV (.csv/.tsv) or Parquet (.parquet) files, not {suffix or 'no suffix'}")
    except (pa.ArrowInvalid, OSError) as exc:
        raise UserError(f"{path}: cannot be read: {str(exc).splitlines()[0]}") from None
    _refuse_duplicate_headers(table.column_names, str(path))
    return pa.table([c.cast(pa.string()) for c in table.columns], names=table.column_names)


def _refuse_duplicate_headers(names: list[str], source: str) -> None:
    twice = [n for n, k in Counter(names).items() if k > 1]
    if twice:
        where = ", ".join(str(i + 1) for i, n in enumerate(names) if n == twice[0])
        raise UserError(f"{source}: the header names column {twice[0]!r} more than once (columns {where}); "
                        f"rename all but one")


def _check_threshold(threshold: float) -> None:
    if not (isinstance(threshold, (int, float)) and math.isfinite(threshold) and 0.0 < threshold <= 1.0):
        raise UserError(f"--threshold must be a match probability above 0 and at most 1, not {threshold}")


def _blank(column: pa.ChunkedArray) -> bool:
    """No value but blanks (what an empty spreadsheet column becomes)."""
    values = pc.utf8_trim_whitespace(pc.drop_null(column.cast(pa.string())))
    return not pc.any(pc.not_equal(values, "")).as_py()


def _singletons(ids: pa.ChunkedArray, id_col: str) -> pa.Table:
    as_text = ids.cast(pa.string())
    return pa.table({id_col: as_text, "cluster_id": as_text})


def _unused(data: pa.Table, sources: dict[str, str], warned: set[str]) -> tuple[pa.Table, list[str]]:
    """`data` without its all-NULL standard columns; a warning for each source column that gave nothing."""
    empty = [c for c in data.column_names if c != "unique_id" and data.column(c).null_count == data.num_rows]
    warnings = []
    kept = {sources[c] for c in data.column_names if c in sources and c not in empty}
    for source in dict.fromkeys(sources[c] for c in empty if c in sources):
        if source not in warned and source not in kept:  # a phone with no masked number still links
            warnings.append(f"column {source!r} has no value siyu can compare: it links nobody")
    return data.drop_columns(empty), warnings


def dedupe_table(table: pa.Table, id_col: str, truth: str | None = None, threshold: float | None = None,
                 source: str = "input", columns: list[str] | None = None) -> DedupeResult:
    """Cluster the records of `table`; with `truth`, score the clusters pairwise against it. Without a
    `threshold`, the one the model expects to do best (siyu.identity.dedupe.estimate). `columns`: the user's
    `NAME=ROLE` for columns whose role siyu should not guess."""
    t0 = time.perf_counter()
    if threshold is not None:
        _check_threshold(threshold)
    _refuse_duplicate_headers(table.column_names, source)
    for col, opt in ((id_col, "--id"), (truth, "--truth")):
        if col is not None and col not in table.column_names:
            raise UserError(f"{source}: {opt} column {col!r} not found; columns: {', '.join(table.column_names)}")
    ids = table.column(id_col)
    if ids.null_count or len(ids.unique()) != len(ids):
        raise UserError(f"{source}: --id column {id_col!r} must be unique and never empty")
    skip = {id_col, *([truth] if truth else [])}
    blank = [c for c in table.column_names if c not in skip and _blank(table.column(c))]
    warnings = [f"column {c!r} is empty in every record: it links nobody" for c in blank]
    given = parse_overrides(columns or [], table.column_names, source)
    blank = [c for c in blank if c not in given]
    recognised = recognise_columns(table.drop_columns(blank), skip, given)
    warnings += [f"column {c!r} read as {r.role} ({r.why}); if wrong, say --column '{c}=ROLE'"
                 for c, r in recognised.items() if r.confidence < LOW]
    roles = {c: r.role for c, r in recognised.items() if r.role != "ignore"}
    blocks: list[list[str]] = []
    expected: Estimate | None = None
    if table.num_rows < 2:
        assigned = _singletons(ids, id_col)
        warnings.append(f"{table.num_rows} record{'' if table.num_rows == 1 else 's'}: nothing to compare")
    else:
        data, sources = standardise(table.drop_columns([c for c, r in recognised.items() if r.role == "ignore"]),
                                    id_col, roles)
        data, unused = _unused(data, sources, set(blank))
        warnings += unused
        assigned, blocks, expected = _clusters(data, id_col, threshold, source, roles)
    roles.update({c: "ignore" for c, r in recognised.items() if r.role == "ignore"})
    roles.update({c: "empty (ignored)" for c in blank})
    result = DedupeResult(table.num_rows, len(assigned.column("cluster_id").unique()), 0.0, roles, blocks,
                          assigned, warnings=warnings, expected=expected, recognised=recognised)
    if truth:
        truth_table = pa.table({id_col: ids.cast(pa.string()), "truth": table.column(truth)})
        result.scores = pairwise_scores(assigned, truth_table, id_col)
    result.seconds = time.perf_counter() - t0
    return result


def _budget(rows: int) -> int:
    """Pairs a blocking rule may generate before it is dropped."""
    return max(2_000_000, 50 * rows)


def _trained(data: pa.Table, blocks: list[list[str]], budget: int, source: str) -> Any:
    """A Splink linker trained by EM on the first two usable EM blocks; when EM fails on both (a level no pair
    of those blocks reaches drives its m to 0), on the next two, and so on: a refusal only when every one fails."""
    em, strict = comparisons.training(data, budget)
    u_pairs = min(1.5e5, max(5e4, 10.0 * data.num_rows))  # u settles long before; more only costs time
    settings = comparisons.settings(data, blocks)
    tries = [em[start:start + 2] for start in range(0, len(em), 2)] or [[]]
    for i, pair in enumerate(tries):
        try:
            return splink_linker.train(data, settings, u_pairs, pair, strict)
        except splink_linker.NothingToLearn as exc:
            if i == len(tries) - 1:
                raise UserError(f"{source}: {exc}") from None
        except UserError as exc:
            raise UserError(f"{source}: {exc}") from None
    raise AssertionError("unreachable: the last try returns or raises")


def _clusters(data: pa.Table, id_col: str, threshold: float | None, source: str,
              roles: dict[str, str]) -> tuple[pa.Table, list[list[str]], Estimate]:
    """(id, cluster_id) of the standardised records, by a model trained on them; the blocking rules; and what the
    model expects of the clustering (at `threshold`, or at the threshold chosen from that expectation)."""
    budget = _budget(data.num_rows)
    blocks = comparisons.choose_blocks(data, budget)
    if not blocks:
        seen = ", ".join(f"{col!r} as {role}" for col, role in roles.items()) or "nothing"
        raise UserError(f"{source}: no columns to find candidate pairs with (recognised {seen}); "
                        f"a phone, e-mail or national id, a given name with a surname, or a name with a date of birth, "
                        f"postcode or address would do")
    linker = _trained(data, blocks, budget, source)
    # every pair worth a score: the estimates sum them; for Chinese names those from 0.5 also show a masked
    # record close to two relatives
    grid = estimate.GRID if threshold is None else (threshold,)
    predictions = linker.inference.predict(threshold_match_probability=min(estimate.FLOOR, *grid),
                                           warning_mode="never")
    pairs = predictions.as_pyarrow_table().select(["unique_id_l", "unique_id_r", "match_probability"])
    personal = personal_pairs(estimate.above(pairs, min(grid)), data)
    nearby = estimate.above(pairs, min(CANDIDATES, *grid)) if "zh_pinyin" in data.column_names else None

    done: dict[int, pa.Table] = {}

    def cluster(at: float) -> pa.Table:
        # two thresholds with no pair between them cluster alike: the guard runs once for both
        links = pc.sum(pc.greater_equal(personal.column("match_probability"), at)).as_py() or 0
        if links not in done:
            done[links] = guarded_clusters(personal, data, at, candidates=nearby)
        return done[links]

    assigned, chosen, _ = estimate.choose(pairs, cluster, grid)
    return pa.table({id_col: assigned.column("unique_id").cast(pa.string()),
                     "cluster_id": assigned.column("cluster_id").cast(pa.string())}), blocks, chosen


def dedupe_file(path: Path, id_col: str, truth: str | None, out: Path | None,
                threshold: float | None = None, columns: list[str] | None = None) -> DedupeResult:
    result = dedupe_table(read_people(path), id_col, truth, threshold, source=str(path), columns=columns)
    if out is not None:
        if out.suffix.lower() in (".parquet", ".pq"):
            pq.write_table(result.assignment, out)
        else:
            pacsv.write_csv(result.assignment, out)
    return result
