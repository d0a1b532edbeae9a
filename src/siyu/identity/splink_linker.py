"""Splink on an in-process DuckDB: train on the identities themselves, score pairs, save the model.

Splink talks to its own in-memory database (Arrow in, Arrow out), whatever engine holds the warehouse:
the features of even 1M identities fit in memory, and the warehouse only ever sees SQL from siyu.
Only Splink's public API is used here; what siyu assumes beyond it is in `splink_adapter`.
"""

from __future__ import annotations

import copy
import json
import logging
import tempfile
import uuid
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import splink  # names looked up at use, after splink_adapter.check: another Splink fails in one line

from siyu.errors import UserError
from siyu.identity import match_comparisons
from siyu.identity.splink_adapter import TRAINING_FAILED, check_installed, level_labels

logging.getLogger("splink").setLevel(logging.ERROR)
log = logging.getLogger(__name__)


#: Splink's own DuckDB spills to disk past this, so the identity step's memory stays bounded at 1M persons.
MEMORY_LIMIT = "4GB"
#: Below this many pairs a random sample says nothing about u (two records: the one pair is the sample);
#: Splink's default u values stand instead.
MIN_PAIRS_FOR_U = 1_000


class NothingToLearn(UserError):
    """Every EM session failed (a tiny or degenerate set of identities: no two of them share what a session
    blocks on), so no model can be estimated. The identity step then links by keys alone (match_pairs)."""


def spill_directory() -> Path:
    """Where one Splink database spills past MEMORY_LIMIT: a fresh folder under the system temp dir (TMPDIR).

    An in-memory DuckDB otherwise spills into `./.tmp` of whatever folder siyu was started from. DuckDB creates
    the folder on the first spill and removes it when the connection closes.
    """
    return Path(tempfile.gettempdir()) / f"siyu-splink-{uuid.uuid4().hex[:12]}"


def _database() -> splink.DuckDBAPI:
    check_installed()
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": MEMORY_LIMIT, "temp_directory": str(spill_directory())}
    return splink.DuckDBAPI(connection=duckdb.connect(config=config))


def _linker(data: pa.Table, settings: dict[str, Any], db_api: splink.DuckDBAPI | None = None) -> splink.Linker:
    return splink.Linker((db_api or _database()).register(data), settings, log_level=None)


def _prior(linker: splink.Linker) -> float:
    return float(linker.misc.save_model_to_json()["probability_two_random_records_match"])


def train(data: pa.Table, settings: dict[str, Any], max_pairs_for_u: float,
          training_blocks: list[list[str]], deterministic_rules: list[str]) -> splink.Linker:
    """A linker whose parameters were estimated from `data` (no labels).

    Without deterministic rules, or when they find no match, the prior is the settings'
    `probability_two_random_records_match` (else one match in all pairs); without training blocks the m
    probabilities are the settings' starting values.
    """
    db_api = _database()
    linker = _linker(data, settings, db_api)
    n = data.num_rows
    floor = 1.0 / max(1.0, n * (n - 1) / 2)  # no match seen: still one expected, or EM divides by zero
    ceiling = 0.5  # a prior of 1 is an infinite weight: two records of a tiny file decide on evidence alone
    if deterministic_rules:
        try:
            linker.training.estimate_probability_two_random_records_match(list(deterministic_rules), recall=0.7)
        except ValueError as exc:  # the rules pair (nearly) everything: keep the settings' prior
            log.warning("prior kept: %s", str(exc).splitlines()[0])
    prior = _prior(linker)
    if not prior > floor:  # the rules found no match: the caller's own guess, if it gave one, beats the floor
        prior = float(settings.get("probability_two_random_records_match", floor))
    if not floor < prior <= ceiling:
        prior = min(max(prior, floor), ceiling)
    if prior != _prior(linker):
        model = linker.misc.save_model_to_json()
        model["probability_two_random_records_match"] = prior
        linker = _linker(data, model, db_api)
    if n * (n - 1) / 2 >= MIN_PAIRS_FOR_U:
        # one pass over the sample: waiting for 100 of every rare level (the default) costs 10× the time
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs_for_u, seed=42,
                                                       min_count_per_level=None, num_chunks=1)
    trained = 0
    skipped: list[str] = []
    for block in training_blocks:
        before = copy.deepcopy(linker)  # Splink's own copy: same database, independent model
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(match_comparisons.blocking_sql(block))
            trained += 1
        except TRAINING_FAILED as exc:  # EM drove a parameter to 0, or found no pairs: keep what
            # the other sessions learnt
            linker = before  # a failed session leaves the model half-changed
            skipped.append(f"EM blocked on {', '.join(block)} skipped: {str(exc).splitlines()[0]}")
    if training_blocks and not trained:
        raise NothingToLearn(f"Splink could not estimate the model from these {n:,} records (all {len(skipped)} "
                             "EM sessions failed: no two records share what a session compares): add columns "
                             "that tell people apart, or more records")
    for reason in skipped:
        log.warning("%s", reason)
    return linker


def predict(linker: splink.Linker, threshold: float) -> pa.Table:
    """Scored pairs above the threshold: unique_id_l, unique_id_r, match_probability, match_weight."""
    frame = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    table: pa.Table = frame.as_pyarrow_table()
    return table.select(["unique_id_l", "unique_id_r", "match_probability", "match_weight"])


def model_json(linker: splink.Linker) -> str:
    return json.dumps(linker.misc.save_model_to_json(), ensure_ascii=False)


def linker_from_json(data: pa.Table, saved: str, detailed: bool = False,
                     db_api: splink.DuckDBAPI | None = None) -> splink.Linker:
    """A linker with a previously trained model over new data (incremental runs; `detailed` for explain)."""
    settings = json.loads(saved)
    if detailed:
        settings["retain_intermediate_calculation_columns"] = True
    return _linker(data, settings, db_api)


def explain_pair(data: pa.Table, saved: str, left: pa.Table, right: pa.Table) -> list[dict[str, Any]]:
    """Per comparison: the level reached and its match weight; then the prior, and the final probability (last row).

    `left` and `right` are one-row tables of `data` (typed, so a missing birthday is a NULL date, not an untyped
    NULL); term frequencies come from `data`, the model from `saved`.
    """
    db_api = _database()
    linker = linker_from_json(data, saved, detailed=True, db_api=db_api)
    out = linker.inference.score_pair(db_api.register(left), db_api.register(right)).as_record_list()[0]
    rows: list[dict[str, Any]] = []
    for comp in json.loads(saved)["comparisons"]:
        col = comp["output_column_name"]
        gamma = out.get(f"gamma_{col}")
        label = level_labels(comp).get(int(gamma)) if gamma is not None else None
        rows.append({"comparison": col, "level": label or str(gamma),
                     "weight": float(out.get(f"mw_{col}") or 0.0)})
    total = float(out["match_weight"])
    # Splink's total is the prior's weight (how likely two random identities match) plus the comparisons'.
    prior = total - sum(float(r["weight"]) for r in rows)
    rows.append({"comparison": "prior", "level": "two random identities", "weight": prior})
    rows.append({"comparison": "total", "level": f"probability {out['match_probability']:.6f}", "weight": total})
    return rows


def predict_touching(data: pa.Table, saved: str, ids: list[str], threshold: float) -> pa.Table:
    """Pairs involving `ids` (with everyone, and among themselves), scored with a saved model.

    Term frequencies come from all of `data`, as in a full run.
    """
    db_api = _database()
    linker = linker_from_json(data, saved, db_api=db_api)
    tf_columns = {
        level["tf_adjustment_column"]
        for comparison in json.loads(saved)["comparisons"] for level in comparison["comparison_levels"]
        if level.get("tf_adjustment_column")
    }
    for column in sorted(tf_columns):
        linker.table_management.compute_tf_table(column)
    chosen = pc.is_in(data.column("unique_id"), value_set=pa.array(ids, pa.string()))
    touched = db_api.register(data.filter(chosen))
    others = db_api.register(data.filter(pc.invert(chosen)))
    parts = [
        linker.inference.predict_between(touched, others, threshold_match_probability=threshold,
                                         warning_mode="never"),
        linker.inference.predict_within(touched, threshold_match_probability=threshold, warning_mode="never"),
    ]
    cols = ["unique_id_l", "unique_id_r", "match_probability", "match_weight"]
    return pa.concat_tables([p.as_pyarrow_table().select(cols) for p in parts])
